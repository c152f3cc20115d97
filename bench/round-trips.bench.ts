// Sequential round trips per revert on the live path (handleAuditEvent), with a delay injected in
// front of Cloud Run (the stand-in's latency option) and of Firestore (a TCP delay proxy in front of
// the real emulator). Round trips = (time with the delay − time without it) / delay, median of N
// reverts, for an ingress revert (a) and a public-invoker revert (b). Then how a revert's time grows
// with the duration of Cloud Run's UpdateService operation (the client polls it with backoff).
import { parseConfig } from '../functions/config/load.js';
import type { LiveDeps } from '../functions/enforcement/deps.js';
import { handleAuditEvent } from '../functions/audit-events/handler.js';
import { remediate } from '../functions/remediation/execute.js';
import { createRunPort, createServicesClient } from '../functions/remediation/run-client.js';
import { loadRules } from '../functions/rules/load-files.js';
import { createFirestoreStateStore, type FirestoreStateStore } from '../functions/state/firestore.js';
import { MemoryStateStore } from '../functions/state/memory.js';
import type { StateStore } from '../functions/state/types.js';
import { startCloudRunStandIn } from '../stand-ins/cloud-run/index.js';
import { cloudEventFor, setIamPolicyEntry, updateServiceEntry } from '../stand-ins/audit-entries.js';
import { startDelayProxy } from '../stand-ins/delay-proxy.js';
import { startFirestoreEmulator } from '../stand-ins/emulators.js';

process.env.METADATA_SERVER_DETECTION = 'none';
const N = Number(process.env.BENCH_REVERTS ?? 15);
const DELAY = Number(process.env.BENCH_DELAY_MS ?? 50);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const standIn = await startCloudRunStandIn();
const client = await createServicesClient({ endpoint: `127.0.0.1:${standIn.port}` });
const port = createRunPort(client);
const emulator = await startFirestoreEmulator({ project: 'bench', log: false });
const [, emuPort] = emulator.host.split(':');
const proxy = await startDelayProxy({ host: '127.0.0.1', port: Number(emuPort) }, 0);
const stores: FirestoreStateStore[] = [];
const { rules } = loadRules();
const { config } = parseConfig('projects:\n  - { match: "shop-prod", mode: enforce }\n', 'bench.yaml');
if (!config) throw new Error('bad bench config');

function deps(state: StateStore): LiveDeps {
  return {
    rules,
    config: config!,
    state,
    notifier: { notify: async () => {}, summarize: async () => {} },
    log: () => {},
    now: () => Date.now(),
    getRun: async () => port,
    remediate: (a, n, params, run, start) => remediate(a, n, params, run, start ? { start } : {}),
    fightDetection: config!.fightDetection,
  };
}

let seq = 0;
type Kind = 'ingress' | 'invoker';
/** Seeds an insecure service and returns the audit event that reports it. */
function scenario(kind: Kind) {
  const i = ++seq;
  const name = `projects/shop-prod/locations/europe-west1/services/rt-${kind}-${i}`;
  const insertId = `rt-${kind}-${i}-${process.pid}`;
  if (kind === 'ingress') {
    standIn.seedService({ name, ingress: 'INGRESS_TRAFFIC_ALL' });
    standIn.seedPolicy(name, { bindings: [] });
    return cloudEventFor(updateServiceEntry({ name, insertId, service: { ingress: 'INGRESS_TRAFFIC_ALL' } }), insertId);
  }
  const bindings = [{ role: 'roles/run.invoker', members: ['allUsers', 'group:eng@example.com'] }];
  standIn.seedService({ name, ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' });
  standIn.seedPolicy(name, { bindings });
  return cloudEventFor(setIamPolicyEntry({ name, insertId, bindings }), insertId);
}

/** The time of one revert and the Cloud Run calls it made. */
async function once(kind: Kind, state: StateStore): Promise<{ ms: number; calls: number }> {
  const event = scenario(kind);
  const before = standIn.calls.length;
  const t = performance.now();
  const r = await handleAuditEvent(event, deps(state));
  const ms = performance.now() - t;
  if (r.verdicts.every((v) => v.done !== 'reverted')) throw new Error(`${kind}: not reverted: ${JSON.stringify(r)}`);
  return { ms, calls: standIn.calls.length - before };
}

/** Median time of one revert (after two warm-up reverts) and the Cloud Run calls it made. */
async function measure(kind: Kind, state: () => StateStore, n = N): Promise<{ ms: number; calls: number }> {
  const times: number[] = [];
  let calls = 0;
  for (let i = 0; i < n + 2; i++) {
    const r = await once(kind, state());
    if (i >= 2) times.push(r.ms);
    calls = r.calls;
  }
  return { ms: median(times), calls };
}

const memory = () => new MemoryStateStore();
let shared: FirestoreStateStore | undefined;
const firestore = () => {
  shared ??= createFirestoreStateStore({ emulatorHost: proxy.host, projectId: 'bench', prefix: `rt-${process.pid}` });
  if (!stores.includes(shared)) stores.push(shared);
  return shared;
};

const fmt = (x: number) => x.toFixed(2);
console.log(
  `round trips per revert: ${DELAY} ms injected; each figure is the median over ${N} rounds of ` +
    `(time with the delay − time without it) / ${DELAY} ms, ` +
    `measured back to back so a busy machine affects both alike`,
);
/** One revert per setting, in turn, per round: none, Cloud Run only (memory state), Firestore only, both. */
async function round(kind: Kind) {
  const set = (run: number, fs: number) => {
    standIn.latency(run);
    proxy.setDelay(fs);
  };
  set(0, 0);
  const memBase = await once(kind, memory());
  set(DELAY, 0);
  const run = await once(kind, memory());
  set(0, 0);
  const fsBase = await once(kind, firestore());
  set(0, DELAY);
  const fs = await once(kind, firestore());
  set(DELAY, DELAY);
  const both = await once(kind, firestore());
  set(0, 0);
  return {
    run: (run.ms - memBase.ms) / DELAY,
    fs: (fs.ms - fsBase.ms) / DELAY,
    both: (both.ms - fsBase.ms) / DELAY,
    bothMs: both.ms,
    calls: run.calls,
  };
}
for (const kind of process.env.BENCH_PART === 'operations' ? [] : (['ingress', 'invoker'] as const)) {
  for (let i = 0; i < 2; i++) await round(kind); // warm-up
  const rounds: Awaited<ReturnType<typeof round>>[] = [];
  for (let i = 0; i < N; i++) rounds.push(await round(kind));
  const m = (f: (r: (typeof rounds)[number]) => number) => median(rounds.map(f));
  console.log(
    `  (${kind === 'ingress' ? 'a' : 'b'}) ${kind.padEnd(7)}  ` +
      `Cloud Run ${fmt(m((r) => r.run))} RT (${rounds[0]!.calls} calls)   ` +
      `Firestore ${fmt(m((r) => r.fs))} RT   both ${fmt(m((r) => r.both))} RT   ` +
      `[${Math.round(m((r) => r.bothMs))} ms with ${DELAY} ms in front of both]`,
  );
}
standIn.latency(0);
proxy.setDelay(0);

// How a revert's time grows with the UpdateService operation's duration: gax polls GetOperation
// after 100 ms, then ×1.3 each time (its default backoff), so the revert ends at the first poll
// after the operation is done.
const withDuration = standIn as unknown as { operationDuration?: (ms: number) => void };
if (typeof withDuration.operationDuration === 'function') {
  console.log('revert time by UpdateService operation duration (memory state, no injected latency):');
  for (const opMs of [0, 500, 2000, 5000, 10_000]) {
    withDuration.operationDuration(opMs);
    const polls0 = standIn.callsTo('GetOperation').length;
    const r = await measure('ingress', memory, opMs >= 5000 ? 3 : 7);
    const polls = (standIn.callsTo('GetOperation').length - polls0) / ((opMs >= 5000 ? 3 : 7) + 2);
    console.log(
      `  operation ${String(opMs).padStart(6)} ms → revert ${String(Math.round(r.ms)).padStart(6)} ms ` +
        `(+${Math.round(r.ms - opMs)} ms over the operation, ${polls.toFixed(1)} polls)`,
    );
  }
  withDuration.operationDuration(0);
} else {
  console.log('revert time by UpdateService operation duration: the stand-in has no operationDuration option here');
}

for (const s of stores) await s.close();
await proxy.close();
await emulator.stop();
await client.close();
await standIn.close();
