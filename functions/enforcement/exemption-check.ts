import type { CompiledExemption } from '../config/resolve.js';
import type { Exemption } from '../core/types.js';
import { compileExactExemption, matchExemption } from '../decisions/exemptions.js';
import type { StateStore } from '../state/types.js';

/**
 * The exemption that covers a finding now, as the live path decides it: the configuration's reviewed
 * exemptions and the breakglass acknowledgements in the store, matched by rule, resource and subject.
 * "Revert now" asks it at the click and again when auditEvents carries the request out.
 */
export async function activeExemption(
  state: Pick<StateStore, 'exemptionsFor'>,
  configured: readonly CompiledExemption[],
  finding: { rule: string; resource: string; subject: string },
  now: number,
): Promise<Exemption | null> {
  const breakglass = (await state.exemptionsFor(finding.resource)).map(compileExactExemption);
  return matchExemption(finding, [...configured, ...breakglass], now).active;
}
