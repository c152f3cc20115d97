import type { Proposal } from './propose.js';
import { evidenceSentence } from './render-text.js';
import { setPolicyCommand } from './render-yaml.js';

// What the weekly report shows of each proposal: a title, the evidence and the command. Pure.

export interface ReportItem {
  title: string;
  evidence: string;
  command?: string;
}

export function proposalItems(proposals: readonly Proposal[]): ReportItem[] {
  return proposals.map((p) => {
    // At most one sentence after the evidence: the report shows one or two.
    const caveats = [
      ...(p.breaks.length > 0 ? [`it would break ${p.breaks.length} deployed service(s) today`] : []),
      ...(p.needsCustomerId ? ['the customer ID must be filled in first'] : []),
    ].join(', and ');
    return {
      title: `Enforce ${p.constraintName} on ${p.parent}`,
      evidence: `${evidenceSentence(p.evidence)}${caveats ? ` Caveat: ${caveats}.` : ''}`,
      command: setPolicyCommand(p),
    };
  });
}
