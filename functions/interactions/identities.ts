import type { BreakglassPolicy, PeopleMap } from '../config/load.js';
import { canonicalPrincipal, isPersonPrincipal } from '../core/principals.js';
import type { ProjectMode } from '../core/types.js';
import type { InteractionDeps } from './types.js';

// Who is who, for the two-person rule. An approver's identities are their Slack profile e-mail
// plus every principal the configuration's `people:` map gives their Slack user id or any user
// group they belong to (the service accounts they deploy through, their workforce identities).
// A change's author is its principal chain (principalEmail, principalSubject, the delegation hops),
// as runguard put it into the alert's buttons. The rule refuses whenever the two meet; a chain in
// which no principal is a person (a user account or a workforce identity) or mapped to one needs a
// second, different approver.

export interface ApproverIdentity {
  slackUserId: string;
  approver: boolean;
  /** The Slack profile e-mail; null when Slack does not give it. */
  email: string | null;
  /** Canonical principals this person acts as: the e-mail and everything `people:` maps to them. */
  identities: string[];
}

/** Approver or not, e-mail and identities, looked up side by side. Throws when group membership cannot be read. */
export async function identifyApprover(
  userId: string,
  policy: BreakglassPolicy,
  deps: Pick<InteractionDeps, 'slack' | 'approvers' | 'config'>,
): Promise<ApproverIdentity> {
  const people = deps.config.people;
  const email = deps.slack.users
    .info({ user: userId })
    .then((r) => (r.user?.deleted ? null : r.user?.profile?.email?.trim() || null))
    .catch(() => null);
  const [approver, address, groups] = await Promise.all([
    deps.approvers.isApprover(userId, policy),
    email,
    deps.approvers.groupsOf(userId, [...people.groups.keys()]),
  ]);
  return { slackUserId: userId, approver, email: address, identities: identitiesOf(userId, address, groups, people) };
}

export function identitiesOf(
  userId: string,
  email: string | null,
  groups: readonly string[],
  people: PeopleMap,
): string[] {
  const all = [
    ...(email ? [email] : []),
    ...(people.users.get(userId) ?? []),
    ...groups.flatMap((g) => people.groups.get(g) ?? []),
  ].map(canonicalPrincipal);
  return [...new Set(all)];
}

/** True when some principal of the chain is a person by its form, or is mapped to one in `people:`. */
export function tiedToPerson(chain: readonly string[] | null, people: PeopleMap): boolean {
  if (!chain) return false;
  const mapped = new Set([...people.users.values(), ...people.groups.values()].flat());
  return chain.some((p) => isPersonPrincipal(p) || mapped.has(canonicalPrincipal(p)));
}

/** The principals of the chain this person acts as. */
export function overlap(chain: readonly string[] | null, identities: readonly string[]): string[] {
  const mine = new Set(identities.map(canonicalPrincipal));
  return (chain ?? []).map(canonicalPrincipal).filter((p) => mine.has(p));
}

export type TwoPersonVerdict =
  /** `second`: nobody can be tied to the change, so a different approver must confirm. */
  { ok: true; second: boolean } | { ok: false; why: string };

/**
 * The two-person rule for one approver on one change. Unknown identities never pass by default:
 * an approver whose e-mail Slack does not give is refused, and a change whose author is unknown
 * needs a second approver.
 */
export function twoPersonRule(
  policy: BreakglassPolicy,
  mode: ProjectMode,
  chain: readonly string[] | null,
  who: Pick<ApproverIdentity, 'email' | 'identities'>,
  people: PeopleMap,
): TwoPersonVerdict {
  if (!policy.twoPersonRule || mode !== 'enforce') return { ok: true, second: false };
  if (!who.email)
    return {
      ok: false,
      why:
        'runguard cannot read your e-mail address from Slack, ' +
        'so the two-person rule cannot be checked. Ask another approver.',
    };
  const mine = overlap(chain, who.identities);
  if (mine.length > 0)
    return {
      ok: false,
      why:
        `You made this change (as ${mine.join(', ')}). ` +
        `Under the two-person rule another approver must acknowledge it.`,
    };
  return { ok: true, second: !tiedToPerson(chain, people) };
}

/** "a → b → c" for people to read; "unknown" when runguard does not know the chain. */
export function describeChain(chain: readonly string[] | null): string {
  return chain && chain.length > 0 ? chain.join(' → ') : 'unknown';
}
