import type { Decision } from '../core/types.js';
import type { RemediationOutcome } from '../remediation/types.js';
import type { Fight } from '../state/types.js';

/** What runguard did about one finding, in one word, for alerts, log lines and metrics. */
export type Done =
  | 'reverted' // changed it back; the re-read confirms
  | 'already-safe' // nothing to change any more (someone else fixed it, or a redelivery)
  | 'gone' // the resource no longer exists
  | 'failed' // tried and could not; `outcome.error` says why (e.g. the missing permission)
  | 'fighting' // did not revert: something keeps putting the setting back
  | 'dry-run' // would have reverted
  | 'alerted' // alert only (monitor mode, or no remediation)
  | 'exempt'; // exempted, by whom and until when is in the decision

/** A decision and what came of it. */
export interface Verdict {
  decision: Decision;
  done: Done;
  /** In words, for a person: what runguard did and what is true now. */
  summary: string;
  outcome: RemediationOutcome | null;
  fight: Fight | null;
}

export function verdictWithoutAction(decision: Decision): Verdict {
  const done: Done = decision.action === 'exempt' ? 'exempt' : decision.action === 'dry-run' ? 'dry-run' : 'alerted';
  const summary =
    decision.action === 'dry-run'
      ? `dry run: would ${decision.finding.remediation?.action ?? 'revert'}; nothing was changed`
      : decision.action === 'exempt'
        ? decision.reason
        : `alert only: ${decision.reason}`;
  return { decision, done, summary, outcome: null, fight: null };
}
