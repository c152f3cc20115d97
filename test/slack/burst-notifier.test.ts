// Burst mode end to end on one process: notifiers sharing a memory digest store, the real WebClient
// and the Slack stand-in. What Slack holds is read from the stand-in, never from the notifier.
import { beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config/load.js';
import { TransientError } from '../../functions/core/errors.js';
import type { LogLine } from '../../functions/core/log.js';
import type { BurstSettings } from '../../functions/slack/burst.js';
import { type BurstNotifier, burstNotifier } from '../../functions/slack/burst-notifier.js';
import { createSlackApi } from '../../functions/slack/client.js';
import { slackNotifier } from '../../functions/slack/notifier.js';
import { MemoryDigestStore } from '../../functions/state/digest.js';
import { MemoryStateStore } from '../../functions/state/memory.js';
import type { ThreadedMessage } from '../../stand-ins/slack/index.js';
import { useSlackStandIn } from '../../stand-ins/slack/use.js';
import { alertFor } from './alerts.js';

const TOKEN = 'xoxb-burst-test';
const FAST = { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 20, randomize: false };
const CHANNEL = '#runguard-alerts';
const routing = parseConfig(`slack:\n  defaultChannel: "${CHANNEL}"\n`, 'x').config!.slack!;
/** Slack's pace scaled up twenty times, so that a test burst takes a second, not a minute. */
const QUICK: BurstSettings = { threshold: 4, perSecond: 20, quietMs: 1_500, minUpdateMs: 60, leaseMs: 2_000 };

const slack = useSlackStandIn({ tokens: [TOKEN], rateLimit: false });
beforeEach(() => slack.reset());

async function instance(store: MemoryDigestStore, logs: LogLine[] = [], o: { drainBudgetMs?: number } = {}) {
  const api = await createSlackApi(TOKEN, slack.apiUrl, FAST);
  const log = (l: LogLine) => logs.push(l);
  const inner = slackNotifier(api, routing, new MemoryStateStore(), log, Date.now);
  return burstNotifier(inner, api, routing, store, log, Date.now, { settings: QUICK, ...o });
}

const isDigest = (m: { text: string }) => /runguard burst: \d+ finding/.test(m.text);
const digestTotal = (m: { text: string }) => Number(/runguard burst: (\d+) finding/.exec(m.text)![1]);
const services = (ms: Array<{ blocks?: unknown[]; text: string }>) =>
  ms.map((m) => /svc-(\d+)\b/.exec(JSON.stringify(m.blocks ?? m.text))?.[1] ?? '?');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** n alerts at once, spread over the instances round robin. */
const burst = (ns: BurstNotifier[], from: number, n: number) =>
  Promise.all(
    Array.from({ length: n }, (_, k) =>
      ns[k % ns.length]!.notify(alertFor({ service: `svc-${from + k}`, insertId: `e${from + k}` })),
    ),
  );

function tally(messages: ThreadedMessage[]) {
  const digests = messages.filter(isDigest);
  const singles = messages.filter((m) => !isDigest(m));
  return {
    digests,
    singles,
    counted: singles.length + digests.reduce((k, d) => k + digestTotal(d), 0),
    everyService: [...services(singles), ...digests.flatMap((d) => services(d.replies))].sort(),
  };
}

describe('Slack burst mode', () => {
  it('sends findings that arrive slowly as usual: one message each, no digest', async () => {
    const n = await instance(new MemoryDigestStore());
    for (let i = 0; i < 6; i++) {
      await n.notify(alertFor({ service: `svc-${i}`, insertId: `e${i}` }));
      await sleep(150);
    }
    const messages = slack.messages(CHANNEL);
    expect(messages).toHaveLength(6);
    expect(messages.some(isDigest)).toBe(false);
    expect(messages.every((m) => m.reply_count === 0)).toBe(true);
  });

  it('gathers a burst from two instances into one digest: exact counts, each detail once in its thread', async () => {
    const store = new MemoryDigestStore();
    const ns = [await instance(store), await instance(store)];
    await burst(ns, 0, 40);
    const t = tally(slack.messages(CHANNEL));
    expect(t.digests).toHaveLength(1);
    expect(t.singles.length).toBeLessThanOrEqual(QUICK.threshold);
    expect(t.counted).toBe(40);
    expect(t.digests[0]!.replies).toHaveLength(digestTotal(t.digests[0]!));
    expect(t.everyService).toEqual(Array.from({ length: 40 }, (_, i) => String(i)).sort());
    // A redelivered finding is not counted again, nor posted again.
    await ns[1]!.notify(alertFor({ service: 'svc-39', insertId: 'e39' }));
    const again = tally(slack.messages(CHANNEL));
    expect(again.counted).toBe(40);
    expect(again.digests[0]!.replies).toHaveLength(t.digests[0]!.replies.length);
  });

  it('closes the digest after a quiet period: the next burst opens a new one', async () => {
    const store = new MemoryDigestStore();
    const n = await instance(store);
    await burst([n], 0, 15);
    await sleep(QUICK.quietMs + 300);
    await burst([n], 100, 15);
    const t = tally(slack.messages(CHANNEL));
    expect(t.digests).toHaveLength(2);
    expect(t.counted).toBe(30);
    expect(t.digests.every((d) => d.replies.length === digestTotal(d))).toBe(true);
  });

  it('waits out Retry-After when Slack answers 429 to a digest update, and still shows the finding', async () => {
    const store = new MemoryDigestStore();
    const n = await instance(store);
    await burst([n], 0, 8); // opens the digest
    slack.fail('chat.update', { status: 429, retryAfter: 1, times: 1 });
    await n.notify(alertFor({ service: 'svc-50', insertId: 'e50' }));
    const updates = slack.requests.filter((r) => r.method === 'chat.update');
    const limited = updates.findIndex((r) => r.status === 429);
    expect(limited).toBeGreaterThanOrEqual(0);
    expect(updates[limited + 1]!.at - updates[limited]!.at).toBeGreaterThanOrEqual(990);
    const t = tally(slack.messages(CHANNEL));
    expect(digestTotal(t.digests[0]!) + t.singles.length).toBe(9); // svc-50 is counted in what Slack shows
  });

  it('sends every alert on its own, with a WARNING, when the burst state cannot be reached', async () => {
    const store = new MemoryDigestStore();
    store.failing = new TransientError('firestore digest update: 14 UNAVAILABLE');
    const logs: LogLine[] = [];
    const n = await instance(store, logs);
    await burst([n], 0, 12);
    const messages = slack.messages(CHANNEL);
    expect(messages).toHaveLength(12);
    expect(messages.some(isDigest)).toBe(false);
    const warnings = logs.filter((l) => l.event === 'digest-unavailable');
    expect(warnings).toHaveLength(12);
    expect(warnings[0]).toMatchObject({ severity: 'WARNING' });
  });

  it('leaves details to whoever resumes them; one Slack refuses for good is logged as alert-undelivered', async () => {
    const store = new MemoryDigestStore();
    const logs: LogLine[] = [];
    // A budget of nothing: the invocations return once counted and shown, and post no detail.
    const n = await instance(store, logs, { drainBudgetMs: 0 });
    await burst([n], 0, 12);
    const [digest] = slack.messages(CHANNEL).filter(isDigest);
    expect(digest!.replies).toHaveLength(0);
    expect(await store.backlog()).toEqual([CHANNEL]);
    slack.failWith('chat.postMessage', { error: 'invalid_blocks', times: 1 });
    const sweep = await instance(store, logs);
    await sweep.resume();
    const after = slack.messages(CHANNEL).find(isDigest)!;
    expect(after.replies).toHaveLength(digestTotal(after) - 1);
    const lost = logs.filter((l) => l.event === 'alert-undelivered');
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ severity: 'ERROR', findingKey: expect.stringContaining('svc-') });
    expect(await store.backlog()).toEqual([]);
  });
});
