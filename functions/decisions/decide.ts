import type { Decision, Finding, ProjectMode } from '../core/types.js';
import type { CompiledExemption } from '../config/load.js';
import { matchExemption } from './exemptions.js';

export interface DecideContext {
  mode: ProjectMode;
  dryRun: boolean;
  exemptions: readonly CompiledExemption[];
  /** Milliseconds since the epoch; passed in so the core has no clock. */
  now: number;
}

/**
 * Per finding: exempted (whatever the mode) → exempt; enforce with a remediation → revert, or
 * dry-run when the global dry run is on; anything else → alert.
 */
export function decide(finding: Finding, ctx: DecideContext): Decision {
  const { active, expired } = matchExemption(finding, ctx.exemptions, ctx.now);
  const base = { finding, mode: ctx.mode, exemption: active, expiredExemptions: expired };
  if (active) {
    const by = active.approvedBy ? ` by ${active.approvedBy}` : '';
    return {
      ...base,
      action: 'exempt',
      reason: `exempt until ${active.expires}${by} (${active.source}): ${active.reason}`,
    };
  }
  const lapsed = expired.length > 0 ? `; exemption expired ${expired.map((e) => e.expires).join(', ')}` : '';
  if (ctx.mode !== 'enforce') return { ...base, action: 'alert', reason: `project is in ${ctx.mode} mode${lapsed}` };
  const remediation = finding.remediation;
  if (!remediation) return { ...base, action: 'alert', reason: `rule has no automatic remediation${lapsed}` };
  if (ctx.dryRun)
    return {
      ...base,
      action: 'dry-run',
      reason: `dry run: would ${remediation.action} (project is enforced)${lapsed}`,
    };
  return { ...base, action: 'revert', reason: `project is enforced: ${remediation.action}${lapsed}` };
}
