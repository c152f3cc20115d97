import type { DocumentData, DocumentReference, DocumentSnapshot, Firestore, WriteBatch } from '@google-cloud/firestore';
import {
  claimToken,
  connectFirestore,
  firestoreModule,
  DEFAULT_DEADLINE_MS,
  docId,
  type FirestoreConnectOptions,
  optimistic,
  commitIfUnchanged,
  RETRY,
  FirestoreCalls,
  writeIfUnchanged,
} from './firestore-support.js';
import type { Fight } from '../core/verdict.js';
import type { DecisionRecord, HistoryReader } from '../history/types.js';
import type {
  BreakglassExemption,
  ClaimResult,
  ClaimToken,
  ExemptionRequest,
  FindingState,
  LedgerWrites,
  Progress,
  SlackPerson,
  StateStore,
  SweepMark,
  ThreadRef,
} from './types.js';

export { firestoreSettings, type FirestoreConnectOptions } from './firestore-support.js';

const DAY = 86_400_000;

export interface FirestoreStateStoreOptions {
  /** Collections are `<prefix>-claims`, `<prefix>-reverts`, … (default `runguard`). */
  prefix?: string;
  /** Upper bound on one call, retries included (default 20 s); past it the call fails with a TransientError. */
  deadlineMs?: number;
  /** How long a document is kept after it stops mattering: its `expireAt`, for a TTL policy (default 7 days). */
  retentionMs?: number;
  /**
   * After a call finds Firestore not answering, how long later calls fail at once instead of each
   * waiting out its deadline (default 30 s; functions/state/outage-breaker.ts).
   */
  outageMs?: number;
  /** The breaker's clock (tests). */
  now?: () => number;
  /** How long a decision is kept (`<prefix>-decisions`' expireAt; default 400 days: a year and a bit to compare). */
  historyRetentionMs?: number;
}

type ClaimDoc = {
  key: string;
  state: 'processing' | 'released' | 'done';
  leaseUntil: number;
  progress: string | null;
  expireAt: Date;
};
type ExemptionHead = { findingKey: string; exemptionId: string; expiresMs: number; expireAt: Date };

/**
 * StateStore on Firestore, shared by every instance of the function. Writes that can race are
 * optimistic: read, decide, then commit with preconditions (create-if-absent, or unchanged since the
 * read) in one atomic batch, starting over when another writer won. Documents carry `expireAt`, the
 * field for a TTL policy. Ids are sha256 of the key, which is kept readable in a field.
 */
export class FirestoreStateStore implements StateStore, HistoryReader {
  private readonly calls: FirestoreCalls;
  private readonly prefix: string;
  private readonly retentionMs: number;
  private readonly historyRetentionMs: number;

  constructor(db: Firestore | (() => Promise<Firestore>), prefixOrOptions: string | FirestoreStateStoreOptions = {}) {
    const opts = typeof prefixOrOptions === 'string' ? { prefix: prefixOrOptions } : prefixOrOptions;
    this.calls = new FirestoreCalls(db, opts.deadlineMs ?? DEFAULT_DEADLINE_MS, opts);
    this.prefix = opts.prefix ?? 'runguard';
    this.retentionMs = opts.retentionMs ?? 7 * DAY;
    this.historyRetentionMs = opts.historyRetentionMs ?? 400 * DAY;
  }

  /**
   * One create-if-absent commit for a new entry (the usual case: one round trip); a redelivery, whose
   * claim documents exist, reads them and writes only if they are unchanged since. The token is the
   * commit's time, which is the documents' update time: later fenced writes are preconditioned on it.
   */
  async claim(keys: readonly string[], now: number, leaseMs: number): Promise<ClaimResult> {
    const unique = [...new Set(keys)];
    return this.run('claim', async (db) => {
      const fresh = db.batch();
      for (const k of unique)
        fresh.create(this.ref(db, 'claims', k), this.claimDoc(k, 'processing', now + leaseMs, null, now + leaseMs));
      const created = await commitIfUnchanged(fresh);
      if (created !== RETRY) return { status: 'claimed', progress: null, token: claimToken(created) };
      return optimistic('claim', async (): Promise<ClaimResult | typeof RETRY> => {
        const snaps = await db.getAll(...unique.map((k) => this.ref(db, 'claims', k)));
        const existing = snaps.find((s) => s.exists)?.data() as ClaimDoc | undefined;
        if (existing?.state === 'done') return { status: 'duplicate' };
        if (existing?.state === 'processing' && existing.leaseUntil > now) return { status: 'busy' };
        const progress = existing?.progress ?? null;
        const batch = db.batch();
        snaps.forEach((snap, i) => {
          writeIfUnchanged(
            batch,
            snap,
            this.claimDoc(unique[i]!, 'processing', now + leaseMs, progress, now + leaseMs),
          );
        });
        const written = await commitIfUnchanged(batch);
        if (written === RETRY) return RETRY;
        return {
          status: 'claimed',
          progress: progress === null ? null : (JSON.parse(progress) as Progress),
          token: claimToken(written),
        };
      });
    });
  }

  async checkpoint(
    keys: readonly string[],
    token: ClaimToken | null,
    at: { now: number; leaseMs: number; progress: Progress },
    records?: LedgerWrites,
  ): Promise<ClaimToken | null> {
    const doc = (key: string) =>
      this.claimDoc(key, 'processing', at.now + at.leaseMs, JSON.stringify(at.progress), at.now + at.leaseMs);
    const hasRecords =
      records !== undefined && records.reverts.length + records.fights.length + (records.decisions?.length ?? 0) > 0;
    const next = await this.fenced('checkpoint', keys, token, doc, hasRecords ? records : undefined);
    // Fenced out: the revert still happened, so it still counts towards a fight.
    if (next === null && hasRecords)
      await this.run('checkpoint', async (db) => {
        const batch = db.batch();
        await this.addRecords(batch, db, records);
        await batch.commit();
      });
    return next;
  }

  async release(keys: readonly string[], token: ClaimToken | null, progress: Progress): Promise<ClaimToken | null> {
    return this.fenced('release', keys, token, (key) =>
      this.claimDoc(key, 'released', 0, JSON.stringify(progress), Date.now()),
    );
  }

  async complete(keys: readonly string[], token: ClaimToken | null, now: number): Promise<ClaimToken | null> {
    return this.fenced('complete', keys, token, (key) => this.claimDoc(key, 'done', now, null, now));
  }

  /** The fights and reverts of these findings, in one read. */
  async findingStates(
    findingKeys: readonly string[],
    now: number,
    windowMs: number,
  ): Promise<Map<string, FindingState>> {
    const out = new Map<string, FindingState>();
    if (findingKeys.length === 0) return out;
    return this.run('findingStates', async (db) => {
      const refs = findingKeys.flatMap((k) => [this.ref(db, 'fights', k), this.ref(db, 'reverts', k)]);
      const snaps = await db.getAll(...refs);
      findingKeys.forEach((k, i) => {
        const d = snaps[2 * i]!.data();
        const fight =
          d && d.until > now ? { actor: d.actor, since: d.since, until: d.until, reverts: d.reverts } : null;
        out.set(k, { fight, reverts: recent(snaps[2 * i + 1]!, now, windowMs).sort((a, b) => a - b) });
      });
      return out;
    });
  }
  async recordRevert(findingKey: string, at: number, windowMs: number): Promise<number> {
    return this.run('recordRevert', (db) =>
      optimistic('recordRevert', async () => {
        const snap = await this.ref(db, 'reverts', findingKey).get();
        const times = [...recent(snap, at, windowMs), at];
        const batch = db.batch();
        writeIfUnchanged(batch, snap, { findingKey, times, expireAt: this.expireAt(Math.max(...times) + windowMs) });
        return (await commitIfUnchanged(batch)) === RETRY ? RETRY : times.length;
      }),
    );
  }

  async revertCount(findingKey: string, now: number, windowMs: number): Promise<number> {
    return this.run(
      'revertCount',
      async (db) => recent(await this.ref(db, 'reverts', findingKey).get(), now, windowMs).length,
    );
  }

  async getFight(findingKey: string, now: number): Promise<Fight | null> {
    return this.run('getFight', async (db) => {
      const d = (await this.ref(db, 'fights', findingKey).get()).data();
      return d && d.until > now ? { actor: d.actor, since: d.since, until: d.until, reverts: d.reverts } : null;
    });
  }

  async setFight(findingKey: string, fight: Fight): Promise<void> {
    const { actor, since, until, reverts } = fight;
    await this.run('setFight', (db) =>
      this.ref(db, 'fights', findingKey).set({
        findingKey,
        actor,
        since,
        until,
        reverts,
        expireAt: this.expireAt(until),
      }),
    );
  }

  async getThread(key: string, now: number): Promise<ThreadRef | null> {
    return this.run('getThread', async (db) => {
      const d = (await this.ref(db, 'threads', key).get()).data();
      return d && d.until > now ? { channel: d.channel, ts: d.ts, alerts: d.alerts, until: d.until } : null;
    });
  }

  async setThread(key: string, ref: ThreadRef): Promise<void> {
    const { channel, ts, alerts, until } = ref;
    await this.run('setThread', (db) =>
      this.ref(db, 'threads', key).set({ key, channel, ts, alerts, until, expireAt: this.expireAt(until) }),
    );
  }

  /**
   * One head document per finding (`<prefix>-exemptions-current`) names the exemption that stands:
   * the head and the new exemption are written in one batch, the head only if it is unchanged since it
   * was read, so of two approvers acknowledging at once exactly one creates.
   */
  async recordExemption(
    exemption: BreakglassExemption,
    now: number,
  ): Promise<{ created: boolean; exemption: BreakglassExemption }> {
    return this.run('recordExemption', (db) =>
      optimistic('recordExemption', async () => {
        const headRef = this.ref(db, 'exemptions-current', exemption.findingKey);
        const head = await headRef.get();
        const current = head.data() as ExemptionHead | undefined;
        if (current && current.expiresMs > now) {
          const standing = await this.ref(db, 'exemptions', current.exemptionId).get();
          if (standing.exists) return { created: false, exemption: toExemption(standing.data()!) };
        }
        const expiresMs = Date.parse(exemption.expires);
        const expireAt = this.expireAt(Number.isFinite(expiresMs) ? expiresMs : now);
        const batch = db.batch();
        writeIfUnchanged(batch, head, {
          findingKey: exemption.findingKey,
          exemptionId: exemption.id,
          expiresMs,
          expireAt,
        } satisfies ExemptionHead);
        const expiresAt = Number.isFinite(expiresMs) ? new Date(expiresMs) : null;
        batch.set(this.ref(db, 'exemptions', exemption.id), { ...toExemption(exemption), expiresAt });
        return (await commitIfUnchanged(batch)) === RETRY ? RETRY : { created: true, exemption };
      }),
    );
  }

  async exemptionsFor(resource: string): Promise<BreakglassExemption[]> {
    return this.run('exemptionsFor', async (db) => {
      const found = await db.collection(`${this.prefix}-exemptions`).where('resource', '==', resource).get();
      return found.docs
        .map((d) => toExemption(d.data()))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    });
  }

  async listExemptions(filter: { project?: string } = {}): Promise<BreakglassExemption[]> {
    return this.run('listExemptions', async (db) => {
      const all = db.collection(`${this.prefix}-exemptions`);
      // '0' follows '/': the range holds exactly the names under projects/P/.
      const query = filter.project
        ? all
            .where('resource', '>=', `projects/${filter.project}/`)
            .where('resource', '<', `projects/${filter.project}0`)
        : all;
      const found = await query.get();
      return found.docs
        .map((d) => toExemption(d.data()))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    });
  }

  async recordExemptionRequest(request: ExemptionRequest): Promise<void> {
    const until = Date.parse(request.expires);
    await this.run('recordExemptionRequest', (db) =>
      this.ref(db, 'exemption-requests', request.id).create({
        ...request,
        expireAt: this.expireAt(Number.isFinite(until) ? until : Date.now()),
      }),
    );
  }

  async exemptionRequest(id: string): Promise<ExemptionRequest | null> {
    return this.run('exemptionRequest', async (db) => {
      const d = (await this.ref(db, 'exemption-requests', id).get()).data();
      return d ? toRequest(d) : null;
    });
  }

  async confirmExemptionRequest(id: string, exemptionId: string): Promise<boolean> {
    return this.run('confirmExemptionRequest', (db) =>
      optimistic('confirmExemptionRequest', async () => {
        const ref = this.ref(db, 'exemption-requests', id);
        const snap = await ref.get();
        if (!snap.exists || snap.get('confirmedAs') !== undefined) return false;
        const batch = db.batch();
        writeIfUnchanged(batch, snap, { ...snap.data(), confirmedAs: exemptionId });
        return (await commitIfUnchanged(batch)) === RETRY ? RETRY : true;
      }),
    );
  }

  async sweepMarks(findingKeys: readonly string[]): Promise<Map<string, SweepMark>> {
    if (findingKeys.length === 0) return new Map();
    return this.run('sweepMarks', async (db) => {
      // One round trip for a whole project's findings.
      const snaps = await db.getAll(...findingKeys.map((k) => this.ref(db, 'sweep-marks', k)));
      const found = new Map<string, SweepMark>();
      snaps.forEach((snap, i) => {
        const d = snap.data();
        if (d) found.set(findingKeys[i]!, { fingerprint: d.fingerprint, firstSeen: d.firstSeen, lastSeen: d.lastSeen });
      });
      return found;
    });
  }

  async setSweepMarks(marks: ReadonlyMap<string, SweepMark>): Promise<void> {
    const entries = [...marks];
    // One writer: reconcile runs with max one instance, so plain sets; batches hold at most 500 writes.
    for (let i = 0; i < entries.length; i += 500) {
      await this.run('setSweepMarks', async (db) => {
        const batch = db.batch();
        for (const [key, m] of entries.slice(i, i + 500)) {
          batch.set(this.ref(db, 'sweep-marks', key), { findingKey: key, ...m, expireAt: this.expireAt(m.lastSeen) });
        }
        await batch.commit();
      });
    }
  }

  async lastSweep(project: string): Promise<number | null> {
    return this.run(
      'lastSweep',
      async (db) => ((await this.ref(db, 'sweeps', project).get()).get('startedAt') as number | undefined) ?? null,
    );
  }

  async setLastSweep(project: string, startedAt: number): Promise<void> {
    await this.run('setLastSweep', (db) =>
      this.ref(db, 'sweeps', project).set({ project, startedAt, expireAt: this.expireAt(startedAt) }),
    );
  }

  async recordDecisions(records: readonly DecisionRecord[]): Promise<void> {
    // One writer per record id (a sweep, or the delivery holding the claim): plain sets, 500 a batch.
    for (let i = 0; i < records.length; i += 500) {
      await this.run('recordDecisions', async (db) => {
        const batch = db.batch();
        for (const r of records.slice(i, i + 500)) this.addDecision(batch, db, r);
        await batch.commit();
      });
    }
  }

  /** A range on `at` alone needs only Firestore's automatic single-field index; the project is filtered here. */
  async decisions(range: { since: number; until: number; project?: string }): Promise<DecisionRecord[]> {
    return this.run('decisions', async (db) => {
      const found = await db
        .collection(`${this.prefix}-decisions`)
        .where('at', '>=', range.since)
        .where('at', '<', range.until)
        .orderBy('at')
        .get();
      return found.docs
        .map((d) => toDecisionRecord(d.data()))
        .filter((r) => !range.project || r.project === range.project)
        .sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
    });
  }

  async firstDecisionAt(): Promise<number | null> {
    return this.run('firstDecisionAt', async (db) => {
      const found = await db.collection(`${this.prefix}-decisions`).orderBy('at').limit(1).get();
      return (found.docs[0]?.get('at') as number | undefined) ?? null;
    });
  }

  async listFights(now: number): Promise<Array<{ findingKey: string; fight: Fight }>> {
    return this.run('listFights', async (db) => {
      const found = await db.collection(`${this.prefix}-fights`).where('until', '>', now).get();
      return found.docs
        .map((d) => {
          const x = d.data();
          return {
            findingKey: x.findingKey as string,
            fight: { actor: x.actor, since: x.since, until: x.until, reverts: x.reverts },
          };
        })
        .sort((a, b) => a.fight.since - b.fight.since || a.findingKey.localeCompare(b.findingKey));
    });
  }

  /** Ends the client, once every call under way has settled. */
  close(): Promise<void> {
    return this.calls.close();
  }

  private run<T>(op: string, fn: (db: Firestore) => Promise<T>): Promise<T> {
    return this.calls.run(op, fn);
  }

  private ref(db: Firestore, kind: string, key: string): DocumentReference {
    return db.collection(`${this.prefix}-${kind}`).doc(docId(key));
  }

  /**
   * Writes the claim documents only if they are as the holder of `token` last wrote them (an update
   * preconditioned on their update time), together with `records`. When they are gone (a TTL, a
   * store that lost them, a claim never written because the store was down) they are created, unless
   * another delivery has created them meanwhile. Returns the new token, or null when fenced out.
   */
  private async fenced(
    op: string,
    keys: readonly string[],
    token: ClaimToken | null,
    doc: (key: string) => ClaimDoc,
    records?: LedgerWrites,
  ): Promise<ClaimToken | null> {
    const unique = [...new Set(keys)];
    return this.run(op, async (db) => {
      const { Timestamp } = await firestoreModule();
      const attempt = async (lastUpdateTime: InstanceType<typeof Timestamp> | null) => {
        const batch = db.batch();
        for (const key of unique) {
          const ref = this.ref(db, 'claims', key);
          if (lastUpdateTime) batch.update(ref, doc(key), { lastUpdateTime });
          else batch.create(ref, doc(key));
        }
        if (records) await this.addRecords(batch, db, records);
        return commitIfUnchanged(batch);
      };
      if (token !== null) {
        const [seconds, nanos] = token.split('.').map(Number);
        const written = await attempt(new Timestamp(seconds!, nanos!));
        if (written !== RETRY) return claimToken(written);
        const snaps = await db.getAll(...unique.map((k) => this.ref(db, 'claims', k)));
        if (snaps.some((s) => s.exists)) return null;
      }
      const created = await attempt(null);
      return created === RETRY ? null : claimToken(created);
    });
  }

  /** Reverts are appended without a read (arrayUnion: concurrent reverts all count); fights are set. */
  private async addRecords(batch: WriteBatch, db: Firestore, records: LedgerWrites): Promise<void> {
    const { FieldValue } = await firestoreModule();
    for (const r of records.reverts)
      batch.set(
        this.ref(db, 'reverts', r.findingKey),
        { findingKey: r.findingKey, times: FieldValue.arrayUnion(r.at), expireAt: this.expireAt(r.at + r.windowMs) },
        { merge: true },
      );
    for (const { findingKey, fight } of records.fights)
      batch.set(this.ref(db, 'fights', findingKey), {
        findingKey,
        actor: fight.actor,
        since: fight.since,
        until: fight.until,
        reverts: fight.reverts,
        expireAt: this.expireAt(fight.until),
      });
    for (const r of records.decisions ?? []) this.addDecision(batch, db, r);
  }

  /** Firestore refuses undefined fields: an absent optional field is left out. */
  private addDecision(batch: WriteBatch, db: Firestore, r: DecisionRecord): void {
    const doc = Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
    batch.set(this.ref(db, 'decisions', r.id), { ...doc, expireAt: new Date(r.at + this.historyRetentionMs) });
  }

  private claimDoc(
    key: string,
    state: ClaimDoc['state'],
    leaseUntil: number,
    progress: string | null,
    from: number,
  ): ClaimDoc {
    return { key, state, leaseUntil, progress, expireAt: this.expireAt(from) };
  }

  private expireAt(from: number): Date {
    return new Date(from + this.retentionMs);
  }
}

/** A store on the project's Firestore (or the emulator); the client library is loaded on first use. */
export function createFirestoreStateStore(
  opts: FirestoreConnectOptions & FirestoreStateStoreOptions = {},
): FirestoreStateStore {
  return new FirestoreStateStore(() => connectFirestore(opts), opts);
}

function recent(snap: DocumentSnapshot, now: number, windowMs: number): number[] {
  return ((snap.get('times') as number[] | undefined) ?? []).filter((t) => t > now - windowMs);
}

/** Exactly the BreakglassExemption fields, whatever else the object or document holds. */
function toExemption(d: DocumentData | BreakglassExemption): BreakglassExemption {
  return {
    resource: d.resource,
    rule: d.rule,
    ...(typeof d.subject === 'string' && d.subject ? { subject: d.subject } : {}),
    reason: d.reason,
    expires: d.expires,
    approvedBy: d.approvedBy,
    source: 'breakglass',
    id: d.id,
    findingKey: d.findingKey,
    requester: d.requester,
    createdAt: d.createdAt,
    slackUserId: d.slackUserId,
    slackMessage: d.slackMessage ? { channel: d.slackMessage.channel, ts: d.slackMessage.ts } : null,
    ...(Array.isArray(d.principals) ? { principals: [...d.principals] } : {}),
    ...(d.requestedBy ? { requestedBy: toPerson(d.requestedBy) } : {}),
    ...(Array.isArray(d.approvers) ? { approvers: d.approvers.map(toPerson) } : {}),
  };
}

/** Exactly the DecisionRecord fields, without the document's expireAt. */
function toDecisionRecord(d: DocumentData): DecisionRecord {
  const { expireAt: _expireAt, ...rest } = d;
  return { ...rest, principals: [...(d.principals ?? [])] } as DecisionRecord;
}

function toPerson(p: DocumentData): SlackPerson {
  return { slackUserId: p.slackUserId, email: p.email ?? null };
}

function toRequest(d: DocumentData): ExemptionRequest {
  return {
    id: d.id,
    findingKey: d.findingKey,
    rule: d.rule,
    resource: d.resource,
    principals: [...(d.principals ?? [])],
    requestedBy: toPerson(d.requestedBy),
    reason: d.reason,
    durationLabel: d.durationLabel,
    durationMs: d.durationMs,
    createdAt: d.createdAt,
    expires: d.expires,
    slackMessage: {
      channel: d.slackMessage.channel,
      ts: d.slackMessage.ts,
      ...(d.slackMessage.threadTs ? { threadTs: d.slackMessage.threadTs } : {}),
    },
    ...(typeof d.confirmedAs === 'string' ? { confirmedAs: d.confirmedAs } : {}),
  };
}
