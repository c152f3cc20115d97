// In-memory workspace behind the Slack stand-in: channels, messages with threads, the per-channel
// chat.postMessage token bucket, users, user groups and modal views.
import { createHash } from 'node:crypto';

export interface ChannelSpec {
  id: string;
  /** Without '#'; requests may address the channel by id, `name` or `#name`. */
  name?: string;
  /** chat.* calls answer `is_archived`. */
  archived?: boolean;
  /** false: chat.* calls answer `not_in_channel` (the bot was never invited). Default true. */
  member?: boolean;
}

export interface UserSpec {
  id: string;
  name: string;
  real_name?: string;
  email?: string;
  deleted?: boolean;
  is_bot?: boolean;
}

export interface RateLimit {
  /** Sustained messages per second per channel (Slack: about 1). */
  perSecond: number;
  /** Bucket capacity: how many messages may go out at once after a quiet spell. */
  burst: number;
}

export interface StoredMessage {
  type: 'message';
  channel: string;
  ts: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
  thread_ts?: string;
  reply_broadcast?: boolean;
  user: string;
  bot_id: string;
  team: string;
  edited?: { user: string; ts: string };
}

/** One successful chat.postMessage or chat.update, as it stood right after the call, with when it happened. */
export interface HistoryEntry {
  kind: 'post' | 'update';
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks?: unknown[];
  /** Date.now() when the stand-in applied it. */
  at: number;
}

/** A top-level message as `messages(channel)` returns it: current state plus its thread. */
export interface ThreadedMessage extends StoredMessage {
  replies: StoredMessage[];
  reply_count: number;
}

export interface StoredView {
  id: string;
  hash: string;
  external_id?: string;
  trigger_id?: string;
  view: Record<string, unknown>;
  updates: number;
}

export interface Identity {
  teamId: string;
  team: string;
  userId: string;
  botId: string;
  user: string;
}

export const DEFAULT_CHANNELS: ChannelSpec[] = [
  { id: 'C0RUNGUARD1', name: 'runguard-alerts' },
  { id: 'C0SECURITY1', name: 'security' },
];

export const DEFAULT_IDENTITY: Identity = {
  teamId: 'T0RUNGUARD',
  team: 'runguard-test',
  userId: 'U0RUNGUARD',
  botId: 'B0RUNGUARD',
  user: 'runguard',
};

/** Slack-style timestamps: "<unix seconds>.<6 digits>", strictly increasing across the whole workspace. */
export class TsClock {
  private last = 0;
  constructor(private readonly startSeconds?: number) {}

  next(): string {
    // With a fixed start every ts is start + n × 100 µs (deterministic); otherwise wall clock in µs.
    const candidate = this.startSeconds === undefined ? Date.now() * 1000 : 0;
    if (this.last === 0 && this.startSeconds !== undefined) this.last = this.startSeconds * 1e6;
    this.last = Math.max(candidate, this.last + 100);
    return `${Math.floor(this.last / 1e6)}.${String(this.last % 1e6).padStart(6, '0')}`;
  }
}

/** Per-channel token bucket; `take` answers the whole seconds to wait (Retry-After) when it is empty. */
export class Buckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    public limit: RateLimit | false,
    private readonly now: () => number = () => performance.now(),
  ) {}

  take(channel: string): { ok: true } | { ok: false; retryAfter: number } {
    if (this.limit === false) return { ok: true };
    const { perSecond, burst } = this.limit;
    const t = this.now();
    const b = this.buckets.get(channel) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
    b.at = t;
    this.buckets.set(channel, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfter: Math.max(1, Math.ceil((1 - b.tokens) / perSecond)) };
  }

  reset(limit?: RateLimit | false): void {
    if (limit !== undefined) this.limit = limit;
    this.buckets.clear();
  }
}

export class Workspace {
  readonly channels = new Map<string, ChannelSpec>();
  readonly users = new Map<string, UserSpec>();
  readonly usergroups = new Map<string, string[]>();
  readonly views = new Map<string, StoredView>();
  /** channel id → ts → message (top-level and replies alike). */
  private readonly byChannel = new Map<string, Map<string, StoredMessage>>();
  readonly ephemeral: Array<{
    channel: string;
    user: string;
    message_ts: string;
    text: string;
    blocks?: unknown[];
    thread_ts?: string;
  }> = [];
  readonly postsPerChannel: Record<string, number> = {};
  /** Every post and update in order: what a person could read, and since when. */
  readonly history: HistoryEntry[] = [];
  private viewSeq = 0;
  /** trigger_id → when it was made (the click), for the ones the stand-in minted. */
  private readonly triggers = new Map<string, number>();
  /** How long a minted trigger_id opens a view. */
  triggerLifetimeMs = 3_000;

  constructor(
    readonly identity: Identity,
    readonly clock: TsClock,
  ) {}

  /** A trigger_id shaped like Slack's (digits.digits.hex), made at `at` (ms). */
  mintTrigger(at: number): string {
    const id =
      `${Math.floor(at / 1000)}${String(this.triggers.size).padStart(4, '0')}` +
      `.${Math.floor(Math.random() * 1e9)}.${randomHex(16)}`;
    this.triggers.set(id, at);
    return id;
  }

  /** 'expired' when a minted trigger_id is older than its lifetime at `now`; 'ok' otherwise (unknown ones included). */
  triggerState(id: string, now: number): 'ok' | 'expired' {
    const at = this.triggers.get(id);
    return at !== undefined && now - at > this.triggerLifetimeMs ? 'expired' : 'ok';
  }

  /** A spec, or a bare id ('C0123456789') or name ('#alerts' / 'alerts', which gets a stable made-up id). */
  addChannel(c: ChannelSpec | string): ChannelSpec {
    const spec = typeof c === 'string' ? channelFromString(c) : c;
    const full = { member: true, ...spec };
    this.channels.set(full.id, full);
    return full;
  }

  /** By id, name or #name. */
  channel(ref: unknown): ChannelSpec | undefined {
    if (typeof ref !== 'string' || ref === '') return undefined;
    const direct = this.channels.get(ref);
    if (direct) return direct;
    const name = ref.startsWith('#') ? ref.slice(1) : ref;
    return [...this.channels.values()].find((c) => c.name === name);
  }

  find(channel: string, ts: string): StoredMessage | undefined {
    return this.byChannel.get(channel)?.get(ts);
  }

  post(
    channel: string,
    fields: Pick<StoredMessage, 'text' | 'blocks' | 'attachments' | 'metadata' | 'thread_ts' | 'reply_broadcast'>,
  ): StoredMessage {
    const { userId, botId, teamId } = this.identity;
    const msg: StoredMessage = {
      type: 'message',
      channel,
      ts: this.clock.next(),
      user: userId,
      bot_id: botId,
      team: teamId,
      ...dropUndefined(fields),
      text: fields.text,
    };
    let store = this.byChannel.get(channel);
    if (!store) this.byChannel.set(channel, (store = new Map()));
    store.set(msg.ts, msg);
    this.postsPerChannel[channel] = (this.postsPerChannel[channel] ?? 0) + 1;
    this.record('post', msg);
    return msg;
  }

  /** chat.update semantics: text replaced; blocks/attachments/metadata kept unless given. */
  update(
    msg: StoredMessage,
    fields: Partial<Pick<StoredMessage, 'text' | 'blocks' | 'attachments' | 'metadata'>>,
  ): StoredMessage {
    Object.assign(msg, dropUndefined(fields), { edited: { user: this.identity.userId, ts: this.clock.next() } });
    this.record('update', msg);
    return msg;
  }

  private record(kind: HistoryEntry['kind'], m: StoredMessage): void {
    this.history.push({
      kind,
      channel: m.channel,
      ts: m.ts,
      ...(m.thread_ts !== undefined && m.thread_ts !== m.ts ? { thread_ts: m.thread_ts } : {}),
      text: m.text,
      ...(m.blocks ? { blocks: structuredClone(m.blocks) } : {}),
      at: Date.now(),
    });
  }

  /** Top-level messages in ts order, each with its replies (by thread_ts) in ts order. */
  messages(channelRef: string): ThreadedMessage[] {
    const id = this.channel(channelRef)?.id ?? channelRef;
    const all = [...(this.byChannel.get(id)?.values() ?? [])].sort((a, b) => cmpTs(a.ts, b.ts));
    return all
      .filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts)
      .map((m) => {
        const replies = all.filter((r) => r.thread_ts === m.ts && r.ts !== m.ts).map((r) => structuredClone(r));
        return { ...structuredClone(m), replies, reply_count: replies.length };
      });
  }

  openView(view: Record<string, unknown>, triggerId?: string): StoredView {
    const id = `V${String(++this.viewSeq).padStart(9, '0')}`;
    const external = typeof view.external_id === 'string' ? { external_id: view.external_id } : {};
    const stored: StoredView = {
      id,
      hash: `${Date.now()}.${id}`,
      view,
      updates: 0,
      ...external,
      ...(triggerId ? { trigger_id: triggerId } : {}),
    };
    this.views.set(id, stored);
    return stored;
  }

  clearMessages(): void {
    this.byChannel.clear();
    this.views.clear();
    this.ephemeral.length = 0;
    this.history.length = 0;
    for (const k of Object.keys(this.postsPerChannel)) delete this.postsPerChannel[k];
  }
}

function channelFromString(ref: string): ChannelSpec {
  if (/^[CGD][A-Z0-9]{8,}$/.test(ref)) return { id: ref };
  const name = ref.replace(/^#/, '');
  return { id: `C${createHash('sha1').update(name).digest('hex').slice(0, 10).toUpperCase()}`, name };
}

export function cmpTs(a: string, b: string): number {
  const [as = '0', af = '0'] = a.split('.');
  const [bs = '0', bf = '0'] = b.split('.');
  return Number(as) - Number(bs) || Number(af) - Number(bf);
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function randomHex(n: number): string {
  let out = '';
  while (out.length < n) out += Math.floor(Math.random() * 16).toString(16);
  return out;
}
