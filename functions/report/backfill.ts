import { verdictWithoutAction, type Verdict } from '../core/verdict.js';
import type { EntryResult } from '../enforcement/pipeline.js';
import { decisionRecord } from '../history/from-verdict.js';
import type { DecisionRecord } from '../history/types.js';

// An audit entry judged by the rules, as the history record runguard would have written for it:
// for the days before it kept history. Nothing was acted on, so "would have reverted" is a revert
// the live path would have made (enforce mode, no exemption), counted as one in the chart.

export function wouldHaveDecided(result: EntryResult): DecisionRecord[] {
  const event = result.event;
  if (!event || result.skipped !== null || result.error !== undefined) return [];
  const at = Date.parse(result.timestamp);
  if (Number.isNaN(at)) return [];
  return result.findings.map((decision) => {
    const verdict: Verdict =
      decision.action === 'revert'
        ? { ...verdictWithoutAction(decision), done: 'reverted', summary: 'would have reverted' }
        : verdictWithoutAction(decision);
    return decisionRecord(verdict, { foundBy: 'event', event, method: result.method, timestamp: result.timestamp }, at);
  });
}
