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
    const breaks = p.breaks.length > 0 ? ` It would break ${p.breaks.length} deployed service(s) today.` : '';
    const fill = p.needsCustomerId ? ' The customer ID must be filled in first.' : '';
    return {
      title: `Enforce ${p.constraintName} on ${p.parent}`,
      evidence: `${evidenceSentence(p.evidence)}${breaks}${fill}`,
      command: setPolicyCommand(p),
    };
  });
}
