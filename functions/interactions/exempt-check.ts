import { activeExemption as activeExemptionNow } from '../enforcement/exemption-check.js';
import type { Exemption } from '../core/types.js';
import type { FindingRef } from './finding.js';
import type { InteractionDeps } from './types.js';

// "Revert now" honours what the live path honours: while an exemption covers the finding (the
// configuration's, or a breakglass acknowledgement from Slack), a click does not revert it.

/** The exemption that covers the finding now, or null. */
export function activeExemption(finding: FindingRef, deps: InteractionDeps): Promise<Exemption | null> {
  const target = { rule: finding.rule.id, resource: finding.resource, subject: finding.subject };
  return activeExemptionNow(deps.state, deps.config.exemptions, target, deps.now());
}

/** "exempt until T by X (breakglass): reason", for the person who clicked and the log. */
export function describeExemption(e: Exemption): string {
  const by = e.approvedBy ? ` by ${e.approvedBy}` : '';
  const what = e.subject ? ` for ${e.subject}` : '';
  return `an exemption covers this finding${what}: granted${by} (${e.source}), until ${e.expires}: ${e.reason}`;
}
