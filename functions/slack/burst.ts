import type { Alert } from '../core/notify.js';
import type {
  ChannelBurst,
  CountedMark,
  DigestAggregate,
  DigestChange,
  Lease,
  NameCount,
  OpenDigest,
} from '../state/digest.js';

// Burst mode's decisions, pure: given a channel's shared state, what one instance does next — count
// a finding in the digest or let it go out alone, take the lease to show the digest or wait, post
// the next thread detail or leave it to the holder. The notifier does the I/O around them.

export interface BurstSettings {
  /** Arrival pressure above which findings go into a digest (Slack's own bucket holds 5). */
  threshold: number;
  /** Messages per second Slack takes per channel: how fast the pressure drains and details are posted. */
  perSecond: number;
  /** A digest with no new finding for this long is closed; the next burst opens a new one. */
  quietMs: number;
  /** Least time between two updates of a digest (chat.update is about 50 a minute per workspace). */
  minUpdateMs: number;
  /** How long a lease lasts without renewal: a crashed holder is replaced after this. */
  leaseMs: number;
}

export const DEFAULT_BURST: BurstSettings = {
  threshold: 4,
  perSecond: 1,
  quietMs: 60_000,
  minUpdateMs: 1_300,
  leaseMs: 30_000,
};

/** Kept per digest; more are only counted. */
export const KEPT_GROUPS = 12;
export const KEPT_NAMES = 15;
/** Stored names are cut here (a resource name is at most a few hundred characters; an attacker's is not). */
const NAME_MAX = 300;
const THREADS_KEPT = 10;

export type Arrival =
  | { kind: 'single' }
  | { kind: 'counted'; digestId: string; version: number; opened: boolean }
  | { kind: 'again'; digestId: string; version: number };

export function emptyChannel(channel: string, now: number): ChannelBurst {
  return {
    channel,
    level: 0,
    levelAt: now,
    open: null,
    threads: [],
    seq: 0,
    cursor: 0,
    render: null,
    lastRenderAt: 0,
    drain: null,
  };
}

/** A finding's identity across redeliveries: the change it came from and what it is about. */
export function findingId(alert: Alert): string {
  return `${alert.change.insertId}|${alert.verdict.decision.finding.key}`;
}

/**
 * One finding arrives for a channel. Counted in the open digest (opening one when arrivals outpace
 * Slack), or sent alone; a finding counted before (a redelivery) is not counted again.
 */
export function arrive(
  state: ChannelBurst | null,
  mark: CountedMark | null,
  input: { channel: string; id: string; alert: Alert; now: number; newDigestId: string },
  s: BurstSettings,
): DigestChange<Arrival> {
  if (mark?.digestId === null) return { result: { kind: 'single' } };
  if (mark) return { result: { kind: 'again', digestId: mark.digestId, version: mark.version } };
  const { now } = input;
  const st = state ?? emptyChannel(input.channel, now);
  const level = Math.max(0, st.level - (Math.max(0, now - st.levelAt) / 1000) * s.perSecond) + 1;
  // Arrivals commit out of order across instances; the bucket's clock never goes back.
  const levelAt = Math.max(st.levelAt, now);
  let open = st.open && now - st.open.agg.lastAt <= s.quietMs ? st.open : null;
  const threads = closeInto(st, open);
  if (!open && level <= s.threshold)
    return {
      result: { kind: 'single' },
      next: { ...st, level, levelAt, open, threads },
      // So that a redelivery racing this one is not counted in a digest that opens meanwhile.
      counted: { findingId: input.id, mark: { digestId: null, version: 0, seq: -1 } },
    };
  const opened = !open;
  open ??= { id: input.newDigestId, openedAt: now, version: 0, shown: 0, ts: null, agg: emptyAggregate(now) };
  const version = open.version + 1;
  const next: ChannelBurst = {
    ...st,
    level,
    levelAt,
    threads,
    open: { ...open, version, agg: addToAggregate(open.agg, input.alert, now) },
    seq: st.seq + 1,
    // A new digest's renderer starts at once, not after the last one's pause.
    ...(opened ? { render: null, lastRenderAt: 0 } : {}),
  };
  return {
    result: { kind: 'counted', digestId: open.id, version, opened },
    next,
    counted: {
      findingId: input.id,
      mark: { digestId: open.id, version, seq: st.seq },
      detail: { seq: st.seq, digestId: open.id, findingId: input.id, alert: JSON.stringify(input.alert) },
    },
  };
}

/** The closed digest's message stays known to its thread's details. */
function closeInto(st: ChannelBurst, stillOpen: OpenDigest | null): ChannelBurst['threads'] {
  const closing = st.open && !stillOpen ? st.open : null;
  if (!closing?.ts || st.threads.some((t) => t.id === closing.id)) return st.threads;
  return [...st.threads, { id: closing.id, ts: closing.ts }].slice(-THREADS_KEPT);
}

export function emptyAggregate(now: number): DigestAggregate {
  return {
    total: 0,
    firstAt: now,
    lastAt: now,
    done: {},
    severity: {},
    groups: [],
    groupsMore: { count: 0, done: {} },
    resources: [],
    resourcesMore: 0,
    actors: [],
    actorsMore: 0,
  };
}

const bump = (m: Record<string, number>, k: string): Record<string, number> => ({ ...m, [k]: (m[k] ?? 0) + 1 });

function countName(list: NameCount[], more: number, raw: string): [NameCount[], number] {
  const name = raw.length > NAME_MAX ? raw.slice(0, NAME_MAX) : raw;
  const i = list.findIndex((n) => n.name === name);
  if (i >= 0) return [list.map((n, j) => (j === i ? { ...n, count: n.count + 1 } : n)), more];
  if (list.length < KEPT_NAMES) return [[...list, { name, count: 1 }], more];
  return [list, more + 1];
}

export function addToAggregate(agg: DigestAggregate, alert: Alert, now: number): DigestAggregate {
  const f = alert.verdict.decision.finding;
  const done = alert.verdict.done;
  const rule = f.rule.slice(0, NAME_MAX);
  const project = alert.change.project.slice(0, NAME_MAX);
  const gi = agg.groups.findIndex((g) => g.rule === rule && g.project === project);
  let groups = agg.groups;
  let groupsMore = agg.groupsMore;
  if (gi >= 0) groups = groups.map((g, j) => (j === gi ? { ...g, count: g.count + 1, done: bump(g.done, done) } : g));
  else if (groups.length < KEPT_GROUPS)
    groups = [...groups, { rule, project, severity: f.severity, count: 1, done: { [done]: 1 } }];
  else groupsMore = { count: groupsMore.count + 1, done: bump(groupsMore.done, done) };
  const [resources, resourcesMore] = countName(agg.resources, agg.resourcesMore, f.resource);
  const [actors, actorsMore] = countName(agg.actors, agg.actorsMore, alert.change.actor || 'unknown');
  return {
    total: agg.total + 1,
    firstAt: Math.min(agg.firstAt, now),
    lastAt: Math.max(agg.lastAt, now),
    done: bump(agg.done, done),
    severity: bump(agg.severity, f.severity),
    groups,
    groupsMore,
    resources,
    resourcesMore,
    actors,
    actorsMore,
  };
}

// ---------------------------------------------------------------------------------------------
// Showing the digest: one instance at a time posts or updates it, no faster than chat.update allows.

export type RenderStep =
  | { kind: 'shown' }
  | { kind: 'wait'; ms: number }
  | { kind: 'render'; digest: OpenDigest; version: number };

const free = (l: Lease | null, now: number): boolean => l === null || l.until <= now;

/** Whether `version` of digest `id` is on screen, or who should put it there. */
export function startRender(
  state: ChannelBurst | null,
  id: string,
  version: number,
  me: string,
  now: number,
  s: BurstSettings,
): DigestChange<RenderStep> {
  const open = state?.open;
  // A closed digest was quiet for quietMs: everything it counted has long been shown.
  if (!state || !open || open.id !== id || open.shown >= version) return { result: { kind: 'shown' } };
  if (!free(state.render, now) && state.render?.holder !== me)
    return { result: { kind: 'wait', ms: Math.min(250, state.render!.until - now) } };
  // The first post of a digest is a chat.postMessage, not an update: no pause before it.
  const pause = open.ts === null ? 0 : state.lastRenderAt + s.minUpdateMs - now;
  if (pause > 0) return { result: { kind: 'wait', ms: Math.min(pause, 1_000) } };
  return {
    result: { kind: 'render', digest: open, version: open.version },
    next: { ...state, render: { holder: me, until: now + s.leaseMs } },
  };
}

/** After a post or update of `version` (ts: the digest's message). */
export function finishRender(
  state: ChannelBurst | null,
  id: string,
  version: number,
  ts: string,
  me: string,
  now: number,
): DigestChange<{ orphan: boolean }> {
  const open = state?.open;
  if (!state || !open || open.id !== id) return { result: { orphan: false } };
  // Two messages for one digest only if a holder's lease lapsed mid-post; the first one saved stays.
  const orphan = open.ts !== null && open.ts !== ts;
  const mine = state.render?.holder === me;
  return {
    result: { orphan },
    next: {
      ...state,
      open: { ...open, ts: open.ts ?? ts, shown: mine || open.ts === ts ? Math.max(open.shown, version) : open.shown },
      render: mine ? null : state.render,
      lastRenderAt: now,
    },
  };
}

export function releaseRender(state: ChannelBurst | null, me: string): DigestChange<void> {
  if (!state || state.render?.holder !== me) return { result: undefined };
  return { result: undefined, next: { ...state, render: null } };
}

// ---------------------------------------------------------------------------------------------
// Draining the details into the digests' threads, one holder per channel, at Slack's pace.

export type DrainStep = { kind: 'idle' } | { kind: 'busy' } | { kind: 'wait'; ms: number } | DrainPost;
export interface DrainPost {
  kind: 'post';
  seq: number;
}

/** The ts of digest `id`'s message, once posted. */
export function threadOf(state: ChannelBurst, id: string): string | null {
  if (state.open?.id === id) return state.open.ts;
  return state.threads.find((t) => t.id === id)?.ts ?? null;
}

export function startDrain(
  state: ChannelBurst | null,
  me: string,
  now: number,
  s: BurstSettings,
): DigestChange<DrainStep> {
  if (!state) return { result: { kind: 'idle' } };
  if (state.cursor >= state.seq) {
    const mine = state.drain?.holder === me;
    return { result: { kind: 'idle' }, ...(mine ? { next: { ...state, drain: null } } : {}) };
  }
  if (!free(state.drain, now) && state.drain?.holder !== me) return { result: { kind: 'busy' } };
  return {
    result: { kind: 'post', seq: state.cursor },
    next: { ...state, drain: { holder: me, until: now + s.leaseMs } },
  };
}

/** Detail `seq` went out (or failed for good and was logged): the queue moves on, if this holder still holds it. */
export function finishDrain(
  state: ChannelBurst | null,
  seq: number,
  me: string,
  now: number,
  s: BurstSettings,
): DigestChange<boolean> {
  if (!state || state.drain?.holder !== me || state.cursor !== seq) return { result: false };
  return {
    result: true,
    next: { ...state, cursor: seq + 1, drain: { holder: me, until: now + s.leaseMs } },
  };
}

export function releaseDrain(state: ChannelBurst | null, me: string): DigestChange<void> {
  if (!state || state.drain?.holder !== me) return { result: undefined };
  return { result: undefined, next: { ...state, drain: null } };
}
