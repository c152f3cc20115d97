import { describe, expect, it } from 'vitest';
import {
  arrive,
  type BurstSettings,
  finishDrain,
  finishRender,
  startDrain,
  startRender,
  threadOf,
} from '../../functions/slack/burst.js';
import type { ChannelBurst, CountedMark, DigestChange } from '../../functions/state/digest.js';
import { alertFor } from './alerts.js';

const S: BurstSettings = { threshold: 4, perSecond: 1, quietMs: 60_000, minUpdateMs: 1_300, leaseMs: 30_000 };
const C = '#runguard-alerts';

/** Applies each change as a store would; returns the results. */
function channel() {
  let state: ChannelBurst | null = null;
  const marks = new Map<string, CountedMark>();
  const apply = <T>(change: DigestChange<T>): T => {
    if (change.next) state = structuredClone(change.next);
    if (change.counted) marks.set(change.counted.findingId, change.counted.mark);
    return change.result;
  };
  let n = 0;
  return {
    get state() {
      return state;
    },
    arrive: (i: number, now: number) => {
      const id = `e${i}|run-ingress-all|svc-${i}`;
      return apply(
        arrive(
          state,
          marks.get(id) ?? null,
          { channel: C, id, alert: alertFor({ service: `svc-${i}`, insertId: `e${i}` }), now, newDigestId: `d${++n}` },
          S,
        ),
      );
    },
    apply,
  };
}

describe('burst decisions', () => {
  it('lets findings arriving no faster than Slack takes them go out alone', () => {
    const ch = channel();
    const kinds = Array.from({ length: 20 }, (_, i) => ch.arrive(i, i * 1_000).kind);
    expect(kinds.every((k) => k === 'single')).toBe(true);
  });

  it('opens one digest once arrivals outpace Slack, and counts every later finding in it', () => {
    const ch = channel();
    const kinds = Array.from({ length: 30 }, (_, i) => ch.arrive(i, i * 300));
    const firstCounted = kinds.findIndex((k) => k.kind !== 'single');
    // Pressure grows by 0.7 per arrival at 300 ms (1 in, 0.3 out): above 4 at the 6th.
    expect(firstCounted).toBe(5);
    expect(kinds.slice(firstCounted).every((k) => k.kind === 'counted' && k.digestId === 'd6')).toBe(true);
    expect(kinds.filter((k) => k.kind === 'counted' && k.opened)).toHaveLength(1);
    expect(ch.state!.open!.agg.total).toBe(25);
    expect(ch.state!.seq).toBe(25);
  });

  it('counts a redelivered finding once, and says which version shows it', () => {
    const ch = channel();
    for (let i = 0; i < 10; i++) ch.arrive(i, i * 100);
    const total = ch.state!.open!.agg.total;
    const again = ch.arrive(7, 1_200);
    // At 100 ms apart the 5th finding (e4) opened the digest; e7 was its 4th.
    expect(again).toEqual({ kind: 'again', digestId: 'd5', version: 4 });
    expect(ch.state!.open!.agg.total).toBe(total);
    expect(ch.state!.seq).toBe(total);
  });

  it('closes the digest after a quiet period: the next finding goes alone, the next burst gets a new digest', () => {
    const ch = channel();
    for (let i = 0; i < 10; i++) ch.arrive(i, i * 100);
    const first = ch.state!.open!.id;
    ch.apply(startRender(ch.state, first, 5, 'a', 1_000, S));
    ch.apply(finishRender(ch.state, first, 5, '111.000100', 'a', 1_000));
    expect(ch.arrive(100, 200_000).kind).toBe('single');
    expect(ch.state!.open).toBeNull();
    expect(threadOf(ch.state!, first)).toBe('111.000100'); // its queued details still find its thread
    const burst = Array.from({ length: 10 }, (_, i) => ch.arrive(200 + i, 300_000 + i * 100));
    const ids = new Set(burst.flatMap((k) => (k.kind === 'counted' ? [k.digestId] : [])));
    expect(ids.size).toBe(1);
    expect(ids.has(first)).toBe(false);
  });

  it('lets one holder show the digest at a time, and no more often than chat.update allows', () => {
    const ch = channel();
    for (let i = 0; i < 8; i++) ch.arrive(i, 0);
    const d = ch.state!.open!;
    const a = ch.apply(startRender(ch.state, d.id, d.version, 'a', 10, S));
    expect(a).toMatchObject({ kind: 'render', version: d.version });
    expect(ch.apply(startRender(ch.state, d.id, d.version, 'b', 20, S)).kind).toBe('wait');
    ch.apply(finishRender(ch.state, d.id, d.version, '1.1', 'a', 30));
    expect(ch.apply(startRender(ch.state, d.id, d.version, 'b', 40, S)).kind).toBe('shown');
    ch.arrive(50, 50);
    const later = ch.state!.open!.version;
    expect(ch.apply(startRender(ch.state, d.id, later, 'b', 60, S))).toEqual({ kind: 'wait', ms: 1_000 });
    expect(ch.apply(startRender(ch.state, d.id, later, 'b', 30 + S.minUpdateMs, S)).kind).toBe('render');
    // A holder that died: its lease lapses and another takes over.
    expect(ch.apply(startRender(ch.state, d.id, later, 'c', 40 + S.minUpdateMs, S)).kind).toBe('wait');
    expect(ch.apply(startRender(ch.state, d.id, later, 'c', 30 + S.minUpdateMs + S.leaseMs, S)).kind).toBe('render');
  });

  it('drains the details in order under one lease; a lapsed holder cannot move the queue', () => {
    const ch = channel();
    for (let i = 0; i < 8; i++) ch.arrive(i, 0);
    expect(ch.apply(startDrain(ch.state, 'a', 0, S))).toEqual({ kind: 'post', seq: 0 });
    expect(ch.apply(startDrain(ch.state, 'b', 1, S))).toEqual({ kind: 'busy' });
    expect(ch.apply(finishDrain(ch.state, 0, 'a', 2, S))).toBe(true);
    expect(ch.apply(startDrain(ch.state, 'a', 3, S))).toEqual({ kind: 'post', seq: 1 });
    // a stalls; b takes over after the lease and posts seq 1 again (at least once, never lost).
    expect(ch.apply(startDrain(ch.state, 'b', 3 + S.leaseMs, S))).toEqual({ kind: 'post', seq: 1 });
    expect(ch.apply(finishDrain(ch.state, 1, 'a', 4 + S.leaseMs, S))).toBe(false);
    expect(ch.apply(finishDrain(ch.state, 1, 'b', 5 + S.leaseMs, S))).toBe(true);
    expect(ch.state!.cursor).toBe(2);
  });
});
