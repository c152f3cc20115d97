import type { Exemption, Finding } from '../core/types.js';
import type { CompiledExemption } from '../config/load.js';

export interface ExemptionMatch {
  active: Exemption | null;
  /** Exemptions that match the finding but have expired: reported, never honoured. */
  expired: Exemption[];
}

/** Finds the exemption that covers a finding at `now`; the one that lasts longest wins. */
export function matchExemption(
  finding: Pick<Finding, 'rule' | 'resource' | 'subject'>,
  exemptions: readonly CompiledExemption[],
  now: number,
): ExemptionMatch {
  let active: CompiledExemption | null = null;
  const expired: Exemption[] = [];
  for (const e of exemptions) {
    if ((e.rule !== '*' && e.rule !== finding.rule) || !e.glob.test(finding.resource)) continue;
    // An exemption that names a subject covers that subject only: a wider grant is a finding of its own.
    if (e.subject && e.subject !== (finding.subject ?? '')) continue;
    if (e.expiresAt <= now) expired.push(plain(e));
    else if (!active || e.expiresAt > active.expiresAt) active = e;
  }
  return { active: active ? plain(active) : null, expired };
}

function plain({ glob: _glob, expiresAt: _at, ...rest }: CompiledExemption): Exemption {
  return rest;
}

/** A breakglass exemption covers exactly one resource: matched by equality, never as a pattern. */
export function compileExactExemption(e: Exemption): CompiledExemption {
  return { ...e, glob: { source: e.resource, test: (s) => s === e.resource }, expiresAt: Date.parse(e.expires) };
}
