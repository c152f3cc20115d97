// A finding's subject: exactly what it is about on its resource, so that an exemption covers what
// was approved and nothing wider. Two forms:
//   a grant    `member@role`   e.g. `allUsers@roles/run.invoker` (split at the last "@": roles hold none)
//   a setting  `field=value`   e.g. `ingress=INGRESS_TRAFFIC_ALL`, `invokerIamDisabled=true`
// A finding without a subject ('') is about its rule on the resource as a whole. Pure.

export type Subject =
  | { kind: 'grant'; member: string; role: string }
  | { kind: 'setting'; field: string; value: string };

const ROLE = /^(roles\/|projects\/[^/\s]+\/roles\/|organizations\/[^/\s]+\/roles\/)[^\s@|]+$/;
const FIELD = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;

/** The subject's parts, or null when `s` is neither form. */
export function parseSubject(s: string): Subject | null {
  if (/[\s|]/.test(s)) return null;
  const at = s.lastIndexOf('@');
  if (at > 0 && ROLE.test(s.slice(at + 1))) return { kind: 'grant', member: s.slice(0, at), role: s.slice(at + 1) };
  const eq = s.indexOf('=');
  if (eq > 0 && FIELD.test(s.slice(0, eq)) && s.length > eq + 1)
    return { kind: 'setting', field: s.slice(0, eq), value: s.slice(eq + 1) };
  return null;
}

/** Why `s` is not a subject, for configuration errors; null when it is one. */
export function subjectProblem(s: string): string | null {
  return parseSubject(s)
    ? null
    : `"${s}" is not a subject: write member@role (allUsers@roles/run.invoker) ` +
        `or field=value (ingress=INGRESS_TRAFFIC_ALL)`;
}

/** `rule|resource`, or `rule|resource|subject`: the unit of exemptions, fight counts and marks. */
export function findingKey(rule: string, resource: string, subject = ''): string {
  return subject ? `${rule}|${resource}|${subject}` : `${rule}|${resource}`;
}

/** The parts of a finding key; `subject` is null when the key names none (`rule|resource`). */
export function parseFindingKey(key: string): { rule: string; resource: string; subject: string | null } {
  const bar = key.indexOf('|');
  if (bar <= 0) return { rule: '', resource: '', subject: null };
  const rest = key.slice(bar + 1);
  const bar2 = rest.indexOf('|');
  return bar2 < 0
    ? { rule: key.slice(0, bar), resource: rest, subject: null }
    : { rule: key.slice(0, bar), resource: rest.slice(0, bar2), subject: rest.slice(bar2 + 1) };
}

/**
 * The remediation parameters that keep a revert within the finding's subject: a public grant is
 * removed from its one role only, so an exempt grant of the same member elsewhere stays.
 */
export function scopeRemediation(
  action: string,
  params: Record<string, unknown>,
  subject: string | undefined,
): Record<string, unknown> {
  const s = subject ? parseSubject(subject) : null;
  if (action !== 'remove-public-members' || s?.kind !== 'grant') return params;
  return { ...params, publicMembers: [s.member], roles: [s.role] };
}

/** True when an update mask names `field`, a field inside it or a field that holds it ('*' names all). */
export function maskTouches(mask: readonly string[], field: string): boolean {
  const f = field.toLowerCase();
  return mask.some((raw) => {
    const p = raw
      .trim()
      .toLowerCase()
      .replace(/_([a-z])/g, (_m, c: string) => c);
    return p === '*' || p === f || f.startsWith(`${p}.`) || p.startsWith(`${f}.`);
  });
}
