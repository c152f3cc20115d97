import type { Done } from '../core/verdict.js';

// What runguard decided, as it happened: the record the weekly report and `runguard recommend`
// read. Written by the live path and the sweep in the same commit as the delivery's checkpoint (no
// extra round trip), never updated: a redelivery writes the same id again.

/** One finding on one change (or one sweep), and what runguard did about it. */
export interface DecisionRecord {
  /**
   * Unique and stable across redeliveries: `${insertId}|${findingKey}` (a sweep: `sweep:${startedAt}|${findingKey}`).
   */
  id: string;
  /** When runguard decided, ms since the epoch. */
  at: number;
  /** When the change happened (the audit entry's timestamp), ISO 8601; the sweep's start for a sweep finding. */
  changedAt: string;
  /** The audit entry's insertId; absent for a sweep finding. */
  insertId?: string;
  /** The audit method (`google.cloud.run.v2.Services.UpdateService`), or 'sweep'. */
  method: string;
  rule: string;
  severity: string;
  /** The finding key: `<rule>|<resource>[|<subject>]` (core/subject.ts). */
  findingKey: string;
  resource: string;
  /** `run.googleapis.com/Service`, … (core/types.ts ResourceType). */
  resourceType: string;
  project: string;
  location: string;
  /** The original caller (first principal of the delegation chain); '' when unknown (a sweep finding). */
  actor: string;
  principals: string[];
  /** What runguard did: reverted, alerted, exempt, fighting, failed, dry-run, already-safe, gone. */
  done: Done;
  /** The mode of the project when it was decided. */
  mode: string;
  /** Set when an exemption covered it: its id (breakglass) or the config exemption's resource glob. */
  exemption?: string;
  foundBy: 'event' | 'sweep';
}

/** Reads the decisions back, oldest first. */
export interface HistoryReader {
  decisions(range: { since: number; until: number; project?: string }): Promise<DecisionRecord[]>;
}
