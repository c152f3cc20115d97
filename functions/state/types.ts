import type { Exemption } from '../core/types.js';
import type { Fight, Verdict } from '../core/verdict.js';
import type { DecisionRecord } from '../history/types.js';

/**
 * What runguard remembers between deliveries. An interface so the live path runs the same against
 * memory (tests, local runs) and Firestore (production).
 */
export interface StateStore {
  /**
   * Claims an entry under all its keys at once (insertId, and the operation id for long-running
   * operations). `claimed` carries what an earlier, failed delivery already did; `duplicate` means
   * the entry was fully handled; `busy` means another delivery holds a live lease on it now.
   */
  claim(keys: readonly string[], now: number, leaseMs: number): Promise<ClaimResult>;
  // Fenced writes: each succeeds only for the delivery holding the claim (`token`, from `claim` or the
  // last checkpoint) and returns its new token, or null when another delivery has taken the claim over
  // since (then nothing about the claim is written). A null token (the store could not be reached at
  // claim time) writes only if no delivery holds a claim on the entry.
  /** Saves what was done (and counts reverts, starts fights) before alerting; the lease starts again. */
  checkpoint(
    keys: readonly string[],
    token: ClaimToken | null,
    at: { now: number; leaseMs: number; progress: Progress },
    records?: LedgerWrites,
  ): Promise<ClaimToken | null>;
  /** Gives the claim back after a transient failure, keeping what was done so a redelivery does not redo it. */
  release(keys: readonly string[], token: ClaimToken | null, progress: Progress): Promise<ClaimToken | null>;
  /** Marks the entry done: every later delivery of it is a duplicate. */
  complete(keys: readonly string[], token: ClaimToken | null, now: number): Promise<ClaimToken | null>;

  /** What is known about these findings (fights, reverts within the window), in one read. */
  findingStates(findingKeys: readonly string[], now: number, windowMs: number): Promise<Map<string, FindingState>>;

  /**
   * Records a revert of a finding (rule on resource) and returns how many fall within the window, this one included.
   */
  recordRevert(findingKey: string, at: number, windowMs: number): Promise<number>;
  revertCount(findingKey: string, now: number, windowMs: number): Promise<number>;
  getFight(findingKey: string, now: number): Promise<Fight | null>;
  setFight(findingKey: string, fight: Fight): Promise<void>;

  /** The Slack message that opened the thread about a resource in a channel, while it is recent. */
  getThread(key: string, now: number): Promise<ThreadRef | null>;
  setThread(key: string, ref: ThreadRef): Promise<void>;

  /**
   * Records a breakglass exemption unless an active one already covers the same finding (rule on
   * resource) — two approvers acknowledging the same alert at once leave exactly one. Returns the
   * exemption that stands and whether it is the one just given.
   */
  recordExemption(
    exemption: BreakglassExemption,
    now: number,
  ): Promise<{ created: boolean; exemption: BreakglassExemption }>;
  /** Every breakglass exemption on a resource, active or expired (an expired one is reported, not honoured). */
  exemptionsFor(resource: string): Promise<BreakglassExemption[]>;
  /** Every breakglass exemption (of one project's resources), oldest first: exemptions are never deleted. */
  listExemptions(filter?: { project?: string }): Promise<BreakglassExemption[]>;

  /** Keeps a breakglass request that waits for a second approver (the change's author is unknown). */
  recordExemptionRequest(request: ExemptionRequest): Promise<void>;
  exemptionRequest(id: string): Promise<ExemptionRequest | null>;
  /** Marks a request as confirmed (by the exemption it became); false when it already was. */
  confirmExemptionRequest(id: string, exemptionId: string): Promise<boolean>;

  /** What earlier sweeps saw of these findings (rule on resource); a key never seen is absent. */
  sweepMarks(findingKeys: readonly string[]): Promise<Map<string, SweepMark>>;
  setSweepMarks(marks: ReadonlyMap<string, SweepMark>): Promise<void>;
  /** When the last complete sweep of a project started, or null. */
  lastSweep(project: string): Promise<number | null>;
  setLastSweep(project: string, startedAt: number): Promise<void>;

  /** Keeps decisions as they happened (the sweep's; the live path's go with its checkpoint). Same id: same record. */
  recordDecisions(records: readonly DecisionRecord[]): Promise<void>;
  /** The decisions made in [since, until), oldest first (HistoryReader). */
  decisions(range: { since: number; until: number; project?: string }): Promise<DecisionRecord[]>;
  /** When the oldest decision kept was made, or null: days before it have no history (the report fills them). */
  firstDecisionAt(): Promise<number | null>;
  /** The fights still on at `now` (runguard stopped reverting), by finding key. */
  listFights(now: number): Promise<Array<{ findingKey: string; fight: Fight }>>;
}

/**
 * A finding as the sweeps saw it. It is "already alerted and unchanged" when the fingerprint is the
 * same and it was seen by the previous complete sweep of its project (so it never went away between).
 */
export interface SweepMark {
  /** The decision and the finding's words: a change to either is news. */
  fingerprint: string;
  firstSeen: number;
  lastSeen: number;
}

/** An exemption granted from Slack: who approved it, for whose change, why and until when. */
export interface BreakglassExemption extends Exemption {
  source: 'breakglass';
  /** Unique: `${findingKey}|${createdAt}`. */
  id: string;
  /** `${rule}|${resource}`: the finding it covers. `resource` is the exact resource name, `rule` its id. */
  findingKey: string;
  /** The Google identity that made the change (the audit entry's actor), for the two-person rule and the auditor. */
  requester: string;
  /** ISO 8601 instant it was granted. */
  createdAt: string;
  /** The approver in Slack: user id and, when known, e-mail (approvedBy holds the e-mail, else the id). */
  slackUserId: string;
  /** The alert message it was granted from. */
  slackMessage: { channel: string; ts: string } | null;
  /** The change's principal chain (principalEmail, principalSubject, delegation hops) as the alert carried it. */
  principals?: string[];
  /** The approver who asked for it (the only approver, unless a second one had to confirm). */
  requestedBy?: SlackPerson;
  /** Every approver who agreed, the requester first: one, or two for a change no person can be tied to. */
  approvers?: SlackPerson[];
}

/** A person in Slack acting on breakglass: user id and, when Slack gives it, e-mail. */
export interface SlackPerson {
  slackUserId: string;
  email: string | null;
}

/**
 * A breakglass acknowledgement of a change no person can be tied to (a service account with no
 * person in its delegation chain and none mapped to it): one approver asks, and it becomes an
 * exemption only when a different approver confirms.
 */
export interface ExemptionRequest {
  /** Unique: `${findingKey}|${createdAt}|${slackUserId}`. */
  id: string;
  findingKey: string;
  rule: string;
  resource: string;
  /** The change's principal chain, as the alert carried it. */
  principals: string[];
  requestedBy: SlackPerson;
  reason: string;
  durationLabel: string;
  durationMs: number;
  /** ISO 8601 instants: when it was asked, and after when it can no longer be confirmed. */
  createdAt: string;
  expires: string;
  /** The alert it was asked from. */
  slackMessage: { channel: string; ts: string; threadTs?: string };
  /** Set once a second approver confirmed it: the exemption it became. */
  confirmedAs?: string;
}

/** A Slack thread per resource and channel: later alerts are replies, and its first message shows the latest state. */
export interface ThreadRef {
  channel: string;
  ts: string;
  alerts: number;
  /** After this, a new alert opens a new thread, so a week-old thread does not hide a new incident. */
  until: number;
}

/** Which delivery holds a claim: opaque (Firestore: the claim documents' update time). */
export type ClaimToken = string;

export type ClaimResult =
  | { status: 'claimed'; progress: Progress | null; token: ClaimToken }
  | { status: 'duplicate' }
  | { status: 'busy' };

/** What a delivery finished before it failed: verdicts already acted on, alerts already sent. */
export interface Progress {
  verdicts: Verdict[];
  notified: string[];
}

/** A finding's fight and its reverts within the window (times, oldest first). */
export interface FindingState {
  fight: Fight | null;
  reverts: number[];
}

/** Revert counts and fights written together with a checkpoint, in the same commit. */
export interface LedgerWrites {
  reverts: Array<{ findingKey: string; at: number; windowMs: number }>;
  fights: Array<{ findingKey: string; fight: Fight }>;
  /** The delivery's decisions, kept for the weekly report and `runguard recommend` (history/types.ts). */
  decisions?: DecisionRecord[];
}
