import type { Binding, Ingress, Policy, RunService } from '../core/types.js';
import type { ServiceChange } from './types.js';

// Pure helpers for remediation: what to change, and how to say it in an alert. No I/O here, so
// every edge case (conditions, emptied bindings, duplicates) is a table row in plan.test.ts.

export interface Removal {
  role: string;
  member: string;
}

/**
 * The policy with exactly `members` taken out of every binding. Everything else is kept as it
 * was — other members, binding order, conditions (a conditional binding still grants access) —
 * and bindings left empty are dropped, as IAM itself would.
 */
export function withoutPublicMembers(
  policy: Policy,
  members: readonly string[],
  roles?: readonly string[],
): { policy: Policy; removed: Removal[] } {
  const removed: Removal[] = [];
  const bindings: Binding[] = [];
  for (const b of policy.bindings) {
    // Scoped to `roles` when given: a grant that is not the finding's (an exempt one) stays.
    const drop = new Set(roles && !roles.includes(b.role) ? [] : members);
    const kept = b.members.filter((m) => !drop.has(m));
    for (const m of b.members) if (drop.has(m)) removed.push({ role: b.role, member: m });
    if (kept.length === 0) continue;
    bindings.push(kept.length === b.members.length ? structuredClone(b) : { ...structuredClone(b), members: kept });
  }
  return { policy: { bindings, etag: policy.etag }, removed };
}

/** Every (role, member) of `policy` that is one of `members`. */
export function publicGrants(policy: Policy, members: readonly string[], roles?: readonly string[]): Removal[] {
  return withoutPublicMembers(policy, members, roles).removed;
}

const plural = (n: number, word: string): string =>
  n === 0 ? `no other ${word}s` : `${n} other ${word}${n === 1 ? '' : 's'}`;

const listWords = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;

/**
 * "removed allUsers from roles/run.invoker; kept 2 other members" — kept counts the members left in the roles touched.
 */
export function describeRemoval(removed: readonly Removal[], after: Policy): string {
  const rolesOf = new Map<string, string[]>();
  for (const r of removed) {
    const roles = rolesOf.get(r.member) ?? [];
    if (!roles.includes(r.role)) roles.push(r.role);
    rolesOf.set(r.member, roles);
  }
  const parts = [...rolesOf].map(([member, roles]) => `${member} from ${listWords(roles)}`);
  const touched = new Set(removed.map((r) => r.role));
  const kept = new Set(after.bindings.filter((b) => touched.has(b.role)).flatMap((b) => b.members));
  return `removed ${parts.join(', ')}; kept ${plural(kept.size, 'member')}`;
}

/** What a policy says about public access, in words: "allUsers holds roles/run.invoker". */
export function describePublicAccess(policy: Policy, members: readonly string[], roles?: readonly string[]): string {
  const grants = publicGrants(policy, members, roles);
  if (grants.length === 0)
    return `no ${listWords([...members])} in the IAM policy${roles ? ` for ${listWords([...roles])}` : ''}`;
  return grants.map((g) => `${g.member} holds ${g.role}`).join('; ');
}

/** A setting of a service that remediation may put back, described once for both service actions. */
export interface ServiceFix {
  /** The one field written, nothing else. */
  change: ServiceChange;
  /** What runguard set out to do, for "could not …". */
  goal: string;
  /** True when the service needs no change; also what verifies a write. */
  isSafe(s: RunService): boolean;
  now(s: RunService): string;
  done(before: RunService): string;
  unchanged(s: RunService): string;
}

// UNSPECIFIED is read as ALL: the API defaults an unset ingress to ALL, and an enum value this
// code does not know could be just as open.
const OPEN_INGRESS: ReadonlySet<Ingress> = new Set(['INGRESS_TRAFFIC_ALL', 'INGRESS_TRAFFIC_UNSPECIFIED']);

export function ingressFix(safeIngress: Ingress): ServiceFix {
  return {
    change: { ingress: safeIngress },
    goal: `set ingress to ${safeIngress}`,
    isSafe: (s) => !OPEN_INGRESS.has(s.ingress),
    now: (s) => `ingress is ${s.ingress}`,
    done: (before) => `set ingress to ${safeIngress} (was ${before.ingress})`,
    unchanged: (s) => `ingress is already ${s.ingress}; nothing to change`,
  };
}

export const invokerCheckFix: ServiceFix = {
  change: { invokerIamDisabled: false },
  goal: 'turn the invoker IAM check back on',
  isSafe: (s) => !s.invokerIamDisabled,
  now: (s) =>
    s.invokerIamDisabled ? 'the invoker IAM check is off (invokerIamDisabled: true)' : 'the invoker IAM check is on',
  done: () => 'turned the invoker IAM check back on (invokerIamDisabled was true)',
  unchanged: () => 'the invoker IAM check is already on; nothing to change',
};
