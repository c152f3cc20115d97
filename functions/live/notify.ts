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
    /** Set when no change event lies behind the alert: the sweep found the setting already in place. */
    foundBy?: 'sweep';
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
  /** One message per sweep that found something new; the per-finding alerts carry the detail. */
  summarize(summary: SweepSummary): Promise<void>;
}

/** What a sweep tells people when something is new. */
export interface SweepSummary {
  startedAt: number;
  finishedAt: number;
  projects: number;
  services: number;
  /** The new or changed findings, most severe first. */
  news: Array<{
    severity: string;
    rule: string;
    resource: string;
    project: string;
    message: string;
    done: string;
    summary: string;
  }>;
  /** Findings already alerted earlier and still there. */
  ongoing: number;
  /** What could not be read: a project, a region, a policy; and why. */
  unread: Array<{ project: string; what: string; reason: string }>;
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
    async summarize(s) {
      log({
        severity: s.news.length > 0 ? 'WARNING' : 'INFO',
        message: `sweep: ${s.news.length} new finding(s), ${s.ongoing} ongoing, ${s.services} services in ${s.projects} project(s)${s.unread.length ? `; could not read ${s.unread.length}` : ''}`,
        event: 'sweep-summary',
        news: s.news,
        unread: s.unread,
      });
    },
  };
}
