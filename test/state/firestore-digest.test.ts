// Burst mode across instances: two notifiers, as two Cloud Functions instances, each with its own
// Slack client and Firestore client, sharing one Firestore emulator and one Slack stand-in.
import { randomBytes } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../functions/config/load.js';
import type { LogLine } from '../../functions/core/log.js';
import type { BurstSettings } from '../../functions/slack/burst.js';
import { type BurstNotifier, burstNotifier } from '../../functions/slack/burst-notifier.js';
import { createSlackApi } from '../../functions/slack/client.js';
import { slackNotifier } from '../../functions/slack/notifier.js';
import { connectFirestore } from '../../functions/state/firestore-support.js';
import { createFirestoreDigestStore } from '../../functions/state/firestore-digest.js';
import { MemoryStateStore } from '../../functions/state/memory.js';
import { freePort } from '../../stand-ins/free-port.js';
import { useSlackStandIn } from '../../stand-ins/slack/use.js';
import { alertFor } from '../slack/alerts.js';

const host = inject('firestoreHost');
const TOKEN = 'xoxb-digest-fs';
const FAST = { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 20, randomize: false };
const CHANNEL = '#runguard-alerts';
const routing = parseConfig(`slack:\n  defaultChannel: "${CHANNEL}"\n`, 'x').config!.slack!;
/** Slack's pace scaled up five times; an emulator commit on a loaded machine takes longer than a real one. */
const QUICK: BurstSettings = { threshold: 4, perSecond: 5, quietMs: 10_000, minUpdateMs: 100, leaseMs: 10_000 };

const slack = useSlackStandIn({ tokens: [TOKEN], rateLimit: false });
beforeEach(() => slack.reset());

const isDigest = (m: { text: string }) => /runguard burst: \d+ finding/.test(m.text);
const digestTotal = (m: { text: string }) => Number(/runguard burst: (\d+) finding/.exec(m.text)![1]);
const serviceOf = (m: { blocks?: unknown[]; text: string }) => /svc-(\d+)\b/.exec(JSON.stringify(m.blocks))?.[1];

/** The per-resource threads' store, shared by the instances as Firestore would share it. */
let threads = new MemoryStateStore();
beforeEach(() => {
  threads = new MemoryStateStore();
});

async function instance(opts: { prefix: string; emulatorHost: string; deadlineMs?: number }, logs: LogLine[] = []) {
  const api = await createSlackApi(TOKEN, slack.apiUrl, FAST);
  const log = (l: LogLine) => logs.push(l);
  // A loaded 2-core machine makes the emulator slow (~0.5 s a commit): the deadline is for production's round trips.
  const store = createFirestoreDigestStore({ deadlineMs: 90_000, ...opts, projectId: 'runguard-test' });
  const inner = slackNotifier(api, routing, threads, log, Date.now);
  return burstNotifier(inner, api, routing, store, log, Date.now, { settings: QUICK });
}

const alert = (i: number) => alertFor({ service: `svc-${i}`, insertId: `e${i}` });

describe.skipIf(!host)('burst mode on Firestore, two instances', () => {
  beforeAll(async () => {
    // The first call to the emulator takes seconds (connection, warm-up); not what these tests look at.
    await createFirestoreDigestStore({ emulatorHost: host, projectId: 'runguard-test' }).read('warm-up');
  }, 60_000);

  it('one digest per burst, exact counts, a redelivery counted once, every detail once in the thread', {
    timeout: 180_000,
  }, async () => {
    const prefix = `t-dg-${randomBytes(4).toString('hex')}`;
    const a = await instance({ prefix, emulatorHost: host });
    const b = await instance({ prefix, emulatorHost: host });
    const ns: BurstNotifier[] = [a, b];
    // 40 findings at once, half to each instance; 5 of them delivered twice, to both instances at the same time.
    await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => ns[i % 2]!.notify(alert(i))),
      ...[3, 11, 20, 33, 39].map((i) => ns[(i + 1) % 2]!.notify(alert(i))),
    ]);
    const messages = slack.messages(CHANNEL);
    const digests = messages.filter(isDigest);
    const singles = messages.filter((m) => !isDigest(m));
    expect(digests).toHaveLength(1);
    const total = digestTotal(digests[0]!);
    // Each finding either alone or in the digest, never both, also when its two deliveries raced.
    const singleServices = new Set(singles.map(serviceOf));
    expect(singleServices.size + total).toBe(40);
    const replies = digests[0]!.replies.map(serviceOf);
    expect(replies).toHaveLength(total);
    expect(new Set(replies).size).toBe(total);
    expect([...singleServices, ...replies].sort()).toEqual(Array.from({ length: 40 }, (_, i) => String(i)).sort());
    // Later redeliveries, on either instance: nothing new in Slack.
    await Promise.all([a.notify(alert(39)), b.notify(alert(39)), b.notify(alert(25))]);
    const after = slack.messages(CHANNEL).filter(isDigest);
    expect(digestTotal(after[0]!)).toBe(total);
    expect(after[0]!.replies).toHaveLength(total);
    expect(slack.messages(CHANNEL)).toHaveLength(messages.length);
  });

  it('keeps its documents under the prefix, each with expireAt for the TTL policy', { timeout: 90_000 }, async () => {
    const prefix = `t-dg-${randomBytes(4).toString('hex')}`;
    const a = await instance({ prefix, emulatorHost: host });
    await Promise.all(Array.from({ length: 10 }, (_, i) => a.notify(alert(i))));
    const db = await connectFirestore({ emulatorHost: host, projectId: 'runguard-test' });
    for (const name of ['digests', 'digest-findings', 'digest-details']) {
      const docs = (await db.collection(`${prefix}-${name}`).get()).docs;
      expect(docs.length, name).toBeGreaterThan(0);
      for (const d of docs) expect(d.get('expireAt')?.toDate().getTime()).toBeGreaterThan(Date.now() + 86_400_000);
    }
    await db.terminate();
  });

  it('sends every alert on its own, with a WARNING, when Firestore cannot be reached', async () => {
    const logs: LogLine[] = [];
    const port = await freePort();
    const a = await instance({ prefix: 'unreachable', emulatorHost: `127.0.0.1:${port}`, deadlineMs: 800 }, logs);
    await Promise.all(Array.from({ length: 8 }, (_, i) => a.notify(alert(i))));
    const messages = slack.messages(CHANNEL);
    expect(messages).toHaveLength(8);
    expect(messages.some(isDigest)).toBe(false);
    expect(logs.filter((l) => l.event === 'digest-unavailable' && l.severity === 'WARNING')).toHaveLength(8);
  });
});
