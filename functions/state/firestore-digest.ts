import type { Firestore } from '@google-cloud/firestore';
import type { ChannelBurst, CountedMark, DigestChange, DigestStore, QueuedDetail } from './digest.js';
import {
  commitIfUnchanged,
  connectFirestore,
  DEFAULT_DEADLINE_MS,
  docId,
  type FirestoreConnectOptions,
  optimistic,
  FirestoreCalls,
  RETRY,
  writeIfUnchanged,
} from './firestore-support.js';

// Burst state in Firestore, one atomic commit per step: `<prefix>-digests` holds one document per
// channel (the digest, its counts, the queue cursor and the leases), `<prefix>-digest-findings` one
// mark per finding seen (so a redelivery is not counted twice), `<prefix>-digest-details` the queued
// thread details and `<prefix>-digest-messages` each digest's message ts. Every document has
// `expireAt` for the TTL policy.

const DAY = 86_400_000;

export interface FirestoreDigestOptions {
  prefix?: string;
  deadlineMs?: number;
  /** expireAt: how long after its last write a document is kept (default 7 days, as the state store). */
  retentionMs?: number;
  /** As the state store's: after a call finds Firestore not answering, calls fail at once this long (30 s). */
  outageMs?: number;
}

type Stored<T> = T & { expireAt: Date };

export class FirestoreDigestStore implements DigestStore {
  // Behind the outage breaker: in an outage each alert would otherwise wait out the deadline here
  // before going out on its own.
  private readonly calls: FirestoreCalls;
  private readonly prefix: string;
  private readonly retentionMs: number;

  constructor(source: Firestore | (() => Promise<Firestore>), opts: FirestoreDigestOptions = {}) {
    this.calls = new FirestoreCalls(source, opts.deadlineMs ?? DEFAULT_DEADLINE_MS, opts);
    this.prefix = opts.prefix ?? 'runguard';
    this.retentionMs = opts.retentionMs ?? 7 * DAY;
  }

  /**
   * Optimistic, as the state store: read, decide, commit with preconditions (the channel document
   * unchanged since the read, the finding's mark and detail created), and start over when another
   * instance committed first. Server-side transactions queued behind each other's locks instead
   * (the emulator took over 20 s for ten concurrent findings on one channel).
   */
  async update<T>(
    channel: string,
    findingId: string | null,
    decide: (state: ChannelBurst | null, mark: CountedMark | null) => DigestChange<T>,
    now: number,
  ): Promise<T> {
    return this.run('digest update', async (db) => {
      const channelRef = this.col(db, 'digests').doc(docId(channel));
      const markRef = findingId === null ? null : this.col(db, 'digest-findings').doc(docId(`${channel}|${findingId}`));
      return optimistic('digest update', async (): Promise<T | typeof RETRY> => {
        const [snap, markSnap] = await db.getAll(...(markRef ? [channelRef, markRef] : [channelRef]));
        const state = snap!.exists ? (strip(snap!.data()) as unknown as ChannelBurst) : null;
        const mark = markSnap?.exists ? (strip(markSnap.data()) as unknown as CountedMark) : null;
        const change = decide(state, mark);
        if (!change.next && !change.counted) return change.result;
        const expireAt = new Date(now + this.retentionMs);
        const batch = db.batch();
        if (change.next) writeIfUnchanged(batch, snap!, { ...change.next, expireAt });
        if (change.counted && markRef) {
          const { mark: m, detail } = change.counted;
          // create: a second delivery of the same finding fails the whole commit instead of counting twice.
          batch.create(markRef, { ...m, channel, expireAt });
          if (detail)
            batch.create(this.col(db, 'digest-details').doc(docId(`${channel}|${detail.seq}`)), {
              ...detail,
              channel,
              expireAt,
            });
        }
        return (await commitIfUnchanged(batch)) === RETRY ? RETRY : change.result;
      });
    });
  }

  async read(channel: string): Promise<ChannelBurst | null> {
    return this.run('digest read', async (db) => {
      const snap = await this.col(db, 'digests').doc(docId(channel)).get();
      return snap.exists ? (strip(snap.data()) as unknown as ChannelBurst) : null;
    });
  }

  async detail(channel: string, seq: number): Promise<QueuedDetail | null> {
    return this.run('digest detail', async (db) => {
      const snap = await this.col(db, 'digest-details')
        .doc(docId(`${channel}|${seq}`))
        .get();
      return snap.exists ? (strip(snap.data()) as unknown as Stored<QueuedDetail>) : null;
    });
  }

  async backlog(): Promise<string[]> {
    return this.run('digest backlog', async (db) => {
      // Channels are few (a handful of routes); the cursor check is done here rather than in an index.
      const snaps = await this.col(db, 'digests').select('channel', 'seq', 'cursor').get();
      return snaps.docs
        .map((d) => d.data() as Pick<ChannelBurst, 'channel' | 'seq' | 'cursor'>)
        .filter((d) => d.cursor < d.seq)
        .map((d) => d.channel);
    });
  }

  async claimMessage(channel: string, digestId: string, ts: string, now: number): Promise<string> {
    return this.run('digest message', async (db) => {
      const ref = this.col(db, 'digest-messages').doc(docId(`${channel}|${digestId}`));
      const batch = db.batch().create(ref, { channel, digestId, ts, expireAt: new Date(now + this.retentionMs) });
      if ((await commitIfUnchanged(batch)) !== RETRY) return ts;
      return ((await ref.get()).get('ts') as string | undefined) ?? ts;
    });
  }

  async message(channel: string, digestId: string): Promise<string | null> {
    return this.run('digest message', async (db) => {
      const snap = await this.col(db, 'digest-messages')
        .doc(docId(`${channel}|${digestId}`))
        .get();
      return snap.exists ? (snap.get('ts') as string) : null;
    });
  }

  private col(db: Firestore, name: string) {
    return db.collection(`${this.prefix}-${name}`);
  }

  private run<T>(op: string, fn: (db: Firestore) => Promise<T>): Promise<T> {
    return this.calls.run(op, fn);
  }
}

function strip(data: Record<string, unknown> | undefined): Record<string, unknown> {
  const { expireAt: _e, ...rest } = data ?? {};
  return rest;
}

export function createFirestoreDigestStore(
  opts: FirestoreConnectOptions & FirestoreDigestOptions = {},
): FirestoreDigestStore {
  return new FirestoreDigestStore(() => connectFirestore(opts), opts);
}
