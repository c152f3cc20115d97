import type { Binding, BindingDelta, MemberType, Policy } from '../core/types.js';
import { rec, str } from '../core/json.js';

// IAM policies and binding deltas as rules see them. policyDelta is the server's own diff and the
// only trustworthy statement of what changed (docs/audit-log-shapes.md §5); without it all we know is the end
// state, so every binding of the new policy counts as added.

export interface ParseError {
  error: string;
}

// The prefix before the first ':' names the member type; the bare words have no prefix.
// A Map, so that a member like "constructor:x" is 'other' and not an Object.prototype key.
const PREFIXED: ReadonlyMap<string, MemberType> = new Map(
  (['user', 'group', 'serviceAccount', 'domain', 'deleted', 'principal', 'principalSet'] as const).map((t) => [t, t]),
);
const HAS_EMAIL_DOMAIN = new Set<MemberType>(['user', 'group', 'serviceAccount']);

export function memberInfo(member: string): { memberType: MemberType; memberDomain: string } {
  if (member === 'allUsers' || member === 'allAuthenticatedUsers') return { memberType: member, memberDomain: '' };
  const colon = member.indexOf(':');
  const memberType = colon > 0 ? (PREFIXED.get(member.slice(0, colon)) ?? 'other') : 'other';
  if (memberType === 'domain') return { memberType, memberDomain: member.slice(colon + 1).toLowerCase() };
  if (!HAS_EMAIL_DOMAIN.has(memberType)) return { memberType, memberDomain: '' };
  const at = member.lastIndexOf('@');
  return { memberType, memberDomain: at > colon ? member.slice(at + 1).toLowerCase() : '' };
}

function delta(action: 'ADD' | 'REMOVE', role: string, member: string): BindingDelta {
  return { action, role, member, ...memberInfo(member) };
}

/**
 * A policy from its JSON; `path` names it in errors. Absent bindings mean an empty policy (proto3 JSON omits empty
 * lists).
 */
export function parsePolicy(value: unknown, path: string): Policy | ParseError {
  const p = rec(value);
  if (!p) return { error: `${path} is not an object` };
  const raw = p.bindings;
  if (raw === undefined || raw === null) return { bindings: [], etag: str(p.etag) };
  if (!Array.isArray(raw)) return { error: `${path}.bindings is not an array` };
  const bindings: Binding[] = [];
  for (let i = 0; i < raw.length; i++) {
    const b = rec(raw[i]);
    if (!b) return { error: `${path}.bindings[${i}] is not an object` };
    const members = b.members ?? [];
    if (!Array.isArray(members)) return { error: `${path}.bindings[${i}].members is not an array` };
    const binding: Binding = { role: str(b.role), members: members.filter((x): x is string => typeof x === 'string') };
    const condition = rec(b.condition);
    if (condition) {
      binding.condition = {};
      if (typeof condition.expression === 'string') binding.condition.expression = condition.expression;
      if (typeof condition.title === 'string') binding.condition.title = condition.title;
    }
    bindings.push(binding);
  }
  return { bindings, etag: str(p.etag) };
}

/** Deltas from serviceData.policyDelta.bindingDeltas; actions other than ADD and REMOVE are not changes. */
export function deltasFromPolicyDelta(value: unknown, path: string): BindingDelta[] | ParseError {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return { error: `${path} is not an array` };
  const out: BindingDelta[] = [];
  for (let i = 0; i < value.length; i++) {
    const d = rec(value[i]);
    if (!d) return { error: `${path}[${i}] is not an object` };
    if (d.action !== 'ADD' && d.action !== 'REMOVE') continue;
    out.push(delta(d.action, str(d.role), str(d.member)));
  }
  return out;
}

/** Every (role, member) of a policy as an ADD: the end state, when the log has no delta. */
export function deltasFromPolicy(policy: Policy): BindingDelta[] {
  const out: BindingDelta[] = [];
  for (const b of policy.bindings) for (const member of b.members) out.push(delta('ADD', b.role, member));
  return out;
}
