import type { Decision } from './types.js';
import type { GoogleApiErrorCode } from './google-api-error.js';

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

export interface RemediationOutcome {
  action: string;
  /**
   * reverted: runguard changed it and the re-read confirms; already-safe: nothing to change (idempotent
   * second run); gone: the resource no longer exists; failed: could not (error says why).
   */
  status: 'reverted' | 'already-safe' | 'gone' | 'failed';
  /** In words, for the alert: "set ingress to INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER (was INGRESS_TRAFFIC_ALL)". */
  summary: string;
  /** What the re-read says is true now, in words: "ingress is INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER". */
  now: string;
  /** True when a re-read after the write shows the insecure setting gone. */
  verified: boolean;
  /** Writes attempted (more than 1 after etag conflicts). */
  attempts: number;
  error?: { code: GoogleApiErrorCode; message: string; permission?: string };
}

/** runguard stopped reverting a finding because something keeps putting the setting back. */
export interface Fight {
  /** Who made the change that tipped it over (the other automation). */
  actor: string;
  since: number;
  /** The fight ends when no insecure change has been seen for a window. */
  until: number;
  reverts: number;
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
