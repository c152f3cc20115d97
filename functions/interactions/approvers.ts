import type { BreakglassPolicy } from '../config/load.js';
import type { InteractionSlack } from './slack-port.js';

// Who may acknowledge and revert: a user named in breakglass.approvers.users, or a member of one
// of its user groups (usergroups.users.list). Group members are cached for a minute — a person
// taken out of a group can still approve for at most that long — and a lookup that fails is not
// cached and fails closed: nobody is let in because Slack could not be asked.

export interface Approvers {
  /** Throws when group membership is needed and cannot be read. */
  isApprover(userId: string, policy: BreakglassPolicy): Promise<boolean>;
  /** The groups (of those given) the user is a member of, from the same cache. Throws when one cannot be read. */
  groupsOf(userId: string, groups: readonly string[]): Promise<string[]>;
}

export const GROUP_TTL_MS = 60_000;
/** More groups than this are a configuration nobody should have; the cache stays bounded anyway. */
const MAX_CACHED_GROUPS = 200;

export function createApprovers(slack: InteractionSlack, now: () => number, ttlMs = GROUP_TTL_MS): Approvers {
  const cache = new Map<string, { members: ReadonlySet<string>; until: number }>();
  const inFlight = new Map<string, Promise<ReadonlySet<string>>>();

  function members(group: string): Promise<ReadonlySet<string>> {
    const hit = cache.get(group);
    if (hit && hit.until > now()) return Promise.resolve(hit.members);
    const pending = inFlight.get(group);
    if (pending) return pending;
    const lookup = slack.usergroups.users
      .list({ usergroup: group })
      .then((res) => {
        const set = new Set((res.users ?? []).filter((u): u is string => typeof u === 'string'));
        if (cache.size >= MAX_CACHED_GROUPS) cache.clear();
        cache.set(group, { members: set, until: now() + ttlMs });
        return set;
      })
      .finally(() => inFlight.delete(group));
    inFlight.set(group, lookup);
    return lookup;
  }

  return {
    async isApprover(userId, policy) {
      if (policy.approverUsers.includes(userId)) return true;
      if (policy.approverGroups.length === 0) return false;
      const results = await Promise.allSettled(policy.approverGroups.map(members));
      if (results.some((r) => r.status === 'fulfilled' && r.value.has(userId))) return true;
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      return false;
    },
    async groupsOf(userId, groups) {
      const sets = await Promise.all(groups.map(members));
      return groups.filter((_, i) => sets[i]!.has(userId));
    },
  };
}

/** "<@U1>, <@U2> or members of <!subteam^S1>": who to ask, for a refusal. Ids are schema-checked, so safe in mrkdwn. */
export function describeApprovers(policy: BreakglassPolicy): string {
  const people = [
    ...policy.approverUsers.map((u) => `<@${u}>`),
    ...policy.approverGroups.map((g) => `members of <!subteam^${g}>`),
  ];
  if (people.length <= 1) return people[0] ?? 'nobody';
  return `${people.slice(0, -1).join(', ')} or ${people.at(-1)}`;
}
