import type { Observation } from './observe.js';
import type { Verdict } from './verdict.js';
import type { Logger } from './log.js';

/** One finding on one change, with what runguard did: what a person is told. */
export interface Alert {
  change: {
    insertId: string;
    messageId?: string;
    method: string;
    timestamp: string;
    resource: string;
    project: string;
    location: string;
    actor: string;
    tool: string;
    toolDetail: string;
  };
  verdict: Verdict;
  observation: Observation;
  /** From the rule file: why it matters, and the command that fixes it by hand (placeholders filled in). */
  rule: { title: string; explanation: string; fix: string };
}

/** Where alerts go. Slack comes with its own issue; until then, and whenever Slack is not configured, the log. */
export interface Notifier {
  /** Throws NotifyError with transient=true when it is worth redelivering. */
  notify(alert: Alert): Promise<void>;
}

export class NotifyError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'NotifyError';
  }
}

const SEVERITY = { CRITICAL: 'CRITICAL', HIGH: 'ERROR', MEDIUM: 'WARNING', LOW: 'NOTICE' } as const;

export function logNotifier(log: Logger): Notifier {
  return {
    async notify({ change, verdict, observation }) {
      const f = verdict.decision.finding;
      log({
        severity: SEVERITY[f.severity],
        message: `[${f.severity}] ${f.rule} on ${change.resource}: ${f.message} — by ${change.actor || 'unknown'} (${change.tool}) — ${verdict.summary}`,
        event: 'alert',
        labels: { rule: f.rule, done: verdict.done, project: change.project },
        insertId: change.insertId,
        findingKey: f.key,
        observed: observation.source === 'live' ? 'live' : `${observation.source}: ${observation.note}`,
      });
    },
  };
}
