// Slack delivery under Slack's own limits: a burst of alerts in one minute to one channel, through
// the real notifiers (render, thread, digest, post) and @slack/web-api against the stand-in with
// realistic limits (chat.postMessage 1 per second per channel, bursts of 5; chat.update Tier 3,
// 50 a minute per workspace, bursts of 10). Prints figures, before (one message per alert, as
// runguard did until burst mode) and after (burst mode, three instances sharing one state).
//   npx tsx bench/slack.bench.ts                 both, side by side (about 7 minutes)
//   BENCH_DIGEST=0 / BENCH_DIGEST=1              only one of them
//   BENCH_ALERTS=200 BENCH_WINDOW_S=60 BENCH_INSTANCES=3
// BENCH_FIRESTORE=1: burst mode's state in a Firestore emulator this bench starts (and stops), each
// instance with its own client, as on Cloud Functions; otherwise one memory store shared by the instances.
import { parseConfig } from '../functions/config/load.js';
import { createSlackApi } from '../functions/slack/client.js';
import { burstNotifier } from '../functions/slack/burst-notifier.js';
import { slackNotifier } from '../functions/slack/notifier.js';
import { type DigestStore, MemoryDigestStore } from '../functions/state/digest.js';
import { createFirestoreDigestStore } from '../functions/state/firestore-digest.js';
import { MemoryStateStore } from '../functions/state/memory.js';
import type { Notifier } from '../functions/core/notify.js';
import { type EmulatorHandle, startFirestoreEmulator } from '../stand-ins/emulators.js';
import { type HistoryEntry, startSlackStandIn } from '../stand-ins/slack/index.js';
import { alertFor } from '../test/slack/alerts.js';

const N = Number(process.env.BENCH_ALERTS ?? 200);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_S ?? 60) * 1000;
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 3);
const CHANNEL = '#runguard-alerts';
const pct = (xs: number[], p: number) =>
  xs.length === 0
    ? Number.NaN
    : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface Figures {
  label: string;
  topLevel: number;
  accounted: number;
  details: number;
  p50: number;
  p99: number;
  max: number;
  lastDetail: number;
  notifyP99: number;
  notifyMax: number;
  rateLimited: number;
  failed: number;
}

const DIGEST_TOTAL = /runguard burst: (\d+) finding/;

/**
 * When each alert became visible, from the stand-in's history alone: an alert with its own top-level
 * message when that message was posted; one counted in a digest when the digests' totals, as Slack
 * showed them, first covered its place among the digest-counted alerts in arrival order.
 */
function visibility(
  history: HistoryEntry[],
  arrivals: number[],
): { at: number[]; topLevel: number; accounted: number } {
  const top = history.filter((h) => h.thread_ts === undefined);
  const ownAt = new Map<number, number>();
  const digests = new Set<string>();
  for (const h of top) {
    const total = DIGEST_TOTAL.exec(h.text);
    if (total) {
      digests.add(h.ts);
      continue;
    }
    const m = /svc-(\d+)\b/.exec(JSON.stringify(h.blocks ?? h.text));
    if (m && h.kind === 'post' && !ownAt.has(Number(m[1]))) ownAt.set(Number(m[1]), h.at);
  }
  // Running sum of the totals the digests showed, after each post or update.
  const shown = new Map<string, number>();
  const steps: Array<{ at: number; covered: number }> = [];
  for (const h of top) {
    const total = DIGEST_TOTAL.exec(h.text);
    if (!total) continue;
    shown.set(h.ts, Number(total[1]));
    steps.push({ at: h.at, covered: [...shown.values()].reduce((a, b) => a + b, 0) });
  }
  let j = 0;
  const at = arrivals.map((_, i) => {
    const own = ownAt.get(i);
    if (own !== undefined) return own;
    const place = ++j;
    return steps.find((st) => st.covered >= place)?.at ?? Number.POSITIVE_INFINITY;
  });
  const accounted = ownAt.size + [...shown.values()].reduce((a, b) => a + b, 0);
  return { at, topLevel: top.filter((h) => h.kind === 'post').length, accounted };
}

async function run(digest: boolean): Promise<Figures> {
  const slack = await startSlackStandIn({ tokens: ['xoxb-bench'], rateLimit: { perSecond: 1, burst: 5 } });
  const { config } = parseConfig(`slack:\n  defaultChannel: "${CHANNEL}"\n`, 'bench');
  const routing = config!.slack!;
  const threads = new MemoryStateStore();
  const shared = new MemoryDigestStore();
  const prefix = `bench-${Date.now()}`;
  const storeFor = (): DigestStore =>
    firestore
      ? createFirestoreDigestStore({ prefix, emulatorHost: firestore.host, projectId: 'runguard-bench' })
      : shared;
  const instances: Notifier[] = [];
  const count = digest ? INSTANCES : 1;
  for (let k = 0; k < count; k++) {
    const api = await createSlackApi('xoxb-bench', slack.apiUrl);
    const inner = slackNotifier(api, routing, threads, () => {}, Date.now);
    const log = (l: { severity?: string; message: string }) => {
      if (l.severity !== 'INFO' && l.severity !== 'DEBUG') console.log(`  [${l.severity}] ${l.message}`);
    };
    instances.push(digest ? burstNotifier(inner, api, routing, storeFor(), log, Date.now) : inner);
  }
  const t0 = Date.now();
  const arrivals: number[] = [];
  const returned: number[] = [];
  let failed = 0;
  await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      await new Promise((r) => setTimeout(r, (i * WINDOW_MS) / N));
      arrivals[i] = Date.now();
      try {
        await instances[i % instances.length]!.notify(alertFor({ service: `svc-${i}`, insertId: `b${i}` }));
        returned.push(Date.now() - arrivals[i]!);
      } catch (e) {
        failed++;
        console.log(`  alert ${i} failed: ${(e as Error).message}`);
      }
    }),
  );
  const history = slack.history(CHANNEL);
  const v = visibility(history, arrivals);
  const delays = v.at.map((t, i) => t - arrivals[i]!);
  const posts = history.filter((h) => h.kind === 'post');
  const figures: Figures = {
    label: digest ? `burst, ${instances.length} instances${firestore ? ', Firestore' : ''}` : 'per alert (before)',
    topLevel: v.topLevel,
    accounted: v.accounted,
    details: posts.filter((h) => h.thread_ts !== undefined).length,
    p50: pct(delays, 50),
    p99: pct(delays, 99),
    max: pct(delays, 100),
    lastDetail: Math.max(...posts.map((h) => h.at)) - t0,
    notifyP99: pct(returned, 99),
    notifyMax: pct(returned, 100),
    rateLimited: slack.rateLimitedCount,
    failed,
  };
  await slack.close();
  return figures;
}

console.log(
  `Slack burst: ${N} alerts about ${N} resources arriving evenly over ${WINDOW_MS / 1000} s, one channel; ` +
    'chat.postMessage 1/s per channel (burst 5), chat.update 50/min per workspace (burst 10)',
);
const firestore: EmulatorHandle | null =
  process.env.BENCH_FIRESTORE === '1' ? await startFirestoreEmulator({ project: 'runguard-bench', log: false }) : null;
if (firestore) {
  // The emulator's first answers take seconds (start-up, connection); not what this bench measures.
  await createFirestoreDigestStore({ emulatorHost: firestore.host, projectId: 'runguard-bench' }).read('warm-up');
}
const modes = process.env.BENCH_DIGEST === '0' ? [false] : process.env.BENCH_DIGEST === '1' ? [true] : [false, true];
const results: Figures[] = [];
try {
  for (const m of modes) results.push(await run(m));
} finally {
  await firestore?.stop();
}
const rows: Array<[string, (f: Figures) => string]> = [
  ['top-level messages', (f) => String(f.topLevel)],
  ['alerts visible (own message or digest count)', (f) => `${f.accounted}/${N}`],
  ['details in digest threads', (f) => String(f.details)],
  ['arrival → visible p50', (f) => s(f.p50)],
  ['arrival → visible p99', (f) => s(f.p99)],
  ['arrival → visible max', (f) => s(f.max)],
  ['first alert → last message or detail', (f) => s(f.lastDetail)],
  ['notify() returned, p99', (f) => s(f.notifyP99)],
  ['notify() returned, max (the drainer)', (f) => s(f.notifyMax)],
  ['HTTP 429s', (f) => String(f.rateLimited)],
  ['failed notify() calls', (f) => String(f.failed)],
];
const w = Math.max(...rows.map(([r]) => r.length));
console.log(`  ${''.padEnd(w)}  ${results.map((r) => r.label.padStart(28)).join('')}`);
for (const [name, get] of rows) console.log(`  ${name.padEnd(w)}  ${results.map((r) => get(r).padStart(28)).join('')}`);
// The Firestore clients keep their gRPC channels open; the figures are printed.
if (firestore) process.exit(0);
