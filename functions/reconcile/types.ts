import type pLimit from 'p-limit';
import type { ChangeEvent, Decision, ProjectMode, Severity } from '../core/types.js';
import type { Verdict } from '../core/verdict.js';
import type { LiveDeps } from '../enforcement/deps.js';
import type { EntryResult } from '../enforcement/pipeline.js';
import type { RunInventory } from '../remediation/types.js';

// What a sweep needs and what it reports: shared by reading (read.ts), deciding what is news and
// reporting it (news.ts), and the sweep that runs both (sweep.ts).

/** The live path's dependencies, plus the listing side of Cloud Run. */
export interface SweepDeps extends LiveDeps {
  inventory: RunInventory;
  /** false (scan without --fix): nothing is changed; a revert decision is reported as what would be done. */
  act: boolean;
  /** false (scan): no Slack, no marks; the caller prints the report. */
  notify: boolean;
  onProgress?: (p: SweepProgress) => void;
}

export interface SweepProgress {
  project: string;
  /** Services found so far in the project's regions, and how many of them are judged. */
  total: number;
  scanned: number;
  /** True once every region of the project has been listed (total is final). */
  listed: boolean;
  done: boolean;
}

export interface SweepFinding {
  project: string;
  resource: string;
  location: string;
  rule: string;
  severity: Severity;
  message: string;
  mode: ProjectMode;
  action: Decision['action'];
  done: Verdict['done'];
  summary: string;
  /** Not alerted before, changed since, or back after it had gone. */
  isNew: boolean;
}

export interface ProjectReport {
  project: string;
  mode: ProjectMode;
  locations: number;
  services: number;
  scanned: number;
  /** Services deleted between the listing and the reading. */
  gone: number;
  findings: number;
  /** Every region listed and every service judged within the budget. */
  complete: boolean;
  ms: number;
}

export interface Unread {
  project: string;
  /** "project", "region us-central1", "policy of projects/p/locations/l/services/s", "budget". */
  what: string;
  reason: string;
}

export interface SweepReport {
  startedAt: number;
  finishedAt: number;
  projects: ProjectReport[];
  findings: SweepFinding[];
  unread: Unread[];
  /** Rules that failed to evaluate: reported, never a silent pass. */
  ruleErrors: Array<{ resource: string; rule: string; message: string }>;
  /** Alerts Slack refused for good during this sweep (each also an `alert-undelivered` line). */
  undelivered: number;
  /** Read-only sweeps: the reverts enforce mode calls for, for `applyPlanned` after they are shown. */
  planned: Array<{ decision: Decision; event: ChangeEvent }>;
}

/** The one budget of API calls in flight for a whole sweep. */
export type Limit = ReturnType<typeof pLimit>;

/** A service read and judged: the event made of it, and what the rules and the decision said. */
export interface Judged {
  event: ChangeEvent;
  result: EntryResult;
}

/** A judged finding and what came of it. */
export interface Acted extends Judged {
  verdict: Verdict;
}
