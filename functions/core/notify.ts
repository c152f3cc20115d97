import type { Verdict } from './verdict.js';

/** Where the state that was evaluated came from; the alert says so when it is not the live state. */
export type Observation = { source: 'live' } | { source: 'event'; note: string } | { source: 'gone'; note: string };

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
    /**
     * The change's principal chain in call order (the delegation hops from the original caller on,
     * then principalEmail and principalSubject; see core/principals.ts). Absent when runguard does
     * not know it (a sweep finding): nobody is then assumed to be its author.
     */
    principals?: string[];
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
  /** Posts what a burst left queued (its findings' own alerts), where a stalled queue may wait; the sweep calls it. */
  resume?(): Promise<void>;
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
  /** runguard's own failures during the sweep, which also page through Terraform's self-watch policy. */
  health?: SweepHealth;
}

/** Counts of the self-watch kinds seen by one sweep. */
export interface SweepHealth {
  /** Alerts Slack refused for good. */
  undelivered: number;
  ruleErrors: number;
  /** Reverts that failed (a missing permission, a conflict that would not end). */
  failed: number;
  /** Findings runguard stopped reverting because it is fighting another actor. */
  fights: number;
}
