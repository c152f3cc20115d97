// What burst mode shares between instances, per Slack channel: the arrival pressure that opens a
// digest, the open digest (its ts, its counts, what Slack shows of it), the queue of thread details
// and the leases of whoever posts to Slack for the channel. Kept apart from StateStore: one channel
// document written in transactions, plus one mark and one queued detail per counted finding.

/** A short claim on a job for the channel (updating the digest, draining the details); it lapses at `until`. */
export interface Lease {
  holder: string;
  until: number;
}

export interface NameCount {
  name: string;
  count: number;
}

/** Findings of one rule in one project, by what runguard did about them. */
export interface DigestGroup {
  rule: string;
  project: string;
  severity: string;
  count: number;
  done: Record<string, number>;
}

/**
 * What a digest counts. Bounded whatever arrives: a few groups and names are kept, the rest only
 * counted (`…More`), so an attacker's flood cannot grow the document or the message.
 */
export interface DigestAggregate {
  total: number;
  /** Arrival times (ms) of the first and the latest finding. */
  firstAt: number;
  lastAt: number;
  done: Record<string, number>;
  severity: Record<string, number>;
  groups: DigestGroup[];
  /** Findings of groups beyond the kept ones, and how many such groups (at least). */
  groupsMore: { count: number; done: Record<string, number> };
  resources: NameCount[];
  resourcesMore: number;
  actors: NameCount[];
  actorsMore: number;
}

export interface OpenDigest {
  id: string;
  openedAt: number;
  /** Bumped with every finding counted; `shown` is the version Slack shows. */
  version: number;
  shown: number;
  /** The digest's message, once posted. */
  ts: string | null;
  agg: DigestAggregate;
}

export interface ChannelBurst {
  channel: string;
  /** Arrival pressure: a leaky bucket that fills by one per finding and drains at Slack's posting rate. */
  level: number;
  levelAt: number;
  open: OpenDigest | null;
  /** Recent digests' messages, for the thread replies of their details (newest last, a few kept). */
  threads: Array<{ id: string; ts: string }>;
  /** Details queued: seq of the next one to queue, and of the next one to post. */
  seq: number;
  cursor: number;
  render: Lease | null;
  lastRenderAt: number;
  drain: Lease | null;
}

/** A finding seen: counted in a digest, or sent alone (digestId null). A redelivery finds it and goes the same way. */
export interface CountedMark {
  digestId: string | null;
  version: number;
  seq: number;
}

/** A finding's usual message, waiting to go into its digest's thread. */
export interface QueuedDetail {
  seq: number;
  digestId: string;
  findingId: string;
  /** The Alert as JSON. */
  alert: string;
}

export interface DigestChange<T> {
  result: T;
  /** The channel's new state; absent: nothing is written. */
  next?: ChannelBurst;
  /** Written with `next`, atomically: the finding's mark and, when counted in a digest, its queued detail. */
  counted?: { findingId: string; mark: CountedMark; detail?: QueuedDetail };
}

export interface DigestStore {
  /**
   * Reads the channel's state (and, given a finding, its mark), lets `decide` choose, and writes what it
   * returns, all or nothing. `decide` is pure and may run again when another instance wrote first.
   */
  update<T>(
    channel: string,
    findingId: string | null,
    decide: (state: ChannelBurst | null, mark: CountedMark | null) => DigestChange<T>,
    now: number,
  ): Promise<T>;
  /** A plain read, for waiting without taking locks. */
  read(channel: string): Promise<ChannelBurst | null>;
  detail(channel: string, seq: number): Promise<QueuedDetail | null>;
  /** Channels with details not posted yet: the sweep resumes them. */
  backlog(): Promise<string[]>;
  /**
   * Records `ts` as digest `digestId`'s message unless one is recorded already; answers the recorded one.
   * Apart from the channel document, which every finding of a burst writes: this commit meets no contention,
   * so a poster saves its ts long before its lease could lapse and a second poster could post again.
   */
  claimMessage(channel: string, digestId: string, ts: string, now: number): Promise<string>;
  message(channel: string, digestId: string): Promise<string | null>;
}

/** One process (tests, `npm start`); share one instance between notifiers to stand for several instances. */
export class MemoryDigestStore implements DigestStore {
  private readonly channels = new Map<string, ChannelBurst>();
  private readonly marks = new Map<string, CountedMark>();
  private readonly details = new Map<string, QueuedDetail>();
  private readonly messages = new Map<string, string>();
  /** Set to make every call fail, as an unreachable Firestore would. */
  failing: Error | null = null;

  async update<T>(
    channel: string,
    findingId: string | null,
    decide: (state: ChannelBurst | null, mark: CountedMark | null) => DigestChange<T>,
  ): Promise<T> {
    this.check();
    const state = this.channels.get(channel);
    const mark = findingId === null ? undefined : this.marks.get(`${channel}|${findingId}`);
    const change = decide(state ? structuredClone(state) : null, mark ? { ...mark } : null);
    if (change.next) this.channels.set(channel, structuredClone(change.next));
    if (change.counted) {
      const { findingId: id, mark: m, detail } = change.counted;
      this.marks.set(`${channel}|${id}`, { ...m });
      if (detail) this.details.set(`${channel}|${detail.seq}`, { ...detail });
    }
    return change.result;
  }

  async read(channel: string): Promise<ChannelBurst | null> {
    this.check();
    const s = this.channels.get(channel);
    return s ? structuredClone(s) : null;
  }

  async detail(channel: string, seq: number): Promise<QueuedDetail | null> {
    this.check();
    return this.details.get(`${channel}|${seq}`) ?? null;
  }

  async backlog(): Promise<string[]> {
    this.check();
    return [...this.channels.values()].filter((c) => c.cursor < c.seq).map((c) => c.channel);
  }

  async claimMessage(channel: string, digestId: string, ts: string): Promise<string> {
    this.check();
    const key = `${channel}|${digestId}`;
    if (!this.messages.has(key)) this.messages.set(key, ts);
    return this.messages.get(key)!;
  }

  async message(channel: string, digestId: string): Promise<string | null> {
    this.check();
    return this.messages.get(`${channel}|${digestId}`) ?? null;
  }

  private check(): void {
    if (this.failing) throw this.failing;
  }
}
