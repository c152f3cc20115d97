// The live path through the real Pub/Sub emulator and the built function under the Functions
// Framework CLI (its own process, as deployed), against the Cloud Run stand-in: latency from publish to a verified
// revert at a steady 100 entries/s, throughput in
// a burst, nothing lost or duplicated; and the cold start of the built function. Prints figures.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { type CloudRunStandIn, startCloudRunStandIn } from '../stand-ins/cloud-run/index.js';
import { startPubSubEmulator } from '../stand-ins/emulators.js';
import { startFunctionProcess } from '../stand-ins/function-process.js';
import { cloudEventFor, updateServiceEntry } from '../stand-ins/audit-entries.js';
import { type Artifact, moduleEnv, prepareArtifact, startArtifactFunction } from '../test/artifact/artifact.js';

process.env.METADATA_SERVER_DETECTION = 'none';
const N = Number(process.env.BENCH_ENTRIES ?? 1000);
const RATE = 100;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The built function under the Functions Framework CLI, in its own process as it is deployed: dist/,
 * or with BENCH_ARTIFACT=1 the zip `npm run bundle` makes, unpacked and installed as Cloud Functions does.
 */
async function startFunction(standIn: CloudRunStandIn, onLine: (line: Record<string, unknown>) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'runguard-bench-'));
  writeFileSync(join(dir, 'runguard.yaml'), 'projects:\n  - { match: "shop-prod", mode: enforce }\n');
  const env = { RUNGUARD_CONFIG: join(dir, 'runguard.yaml'), RUNGUARD_RUN_ENDPOINT: `127.0.0.1:${standIn.port}` };
  const parse = (l: string) => l.startsWith('{') && onLine(JSON.parse(l));
  if (process.env.BENCH_ARTIFACT) {
    artifact ??= await prepareArtifact();
    const { RUNGUARD_CONFIG: _, ...moduleRest } = moduleEnv(artifact.workspace);
    return startArtifactFunction(
      artifact,
      'auditEvents',
      { ...moduleRest, ...env, RUNGUARD_STATE_STORE: 'memory' },
      parse,
    );
  }
  return startFunctionProcess({ target: 'auditEvents', signatureType: 'cloudevent', env, onLine: parse });
}
let artifact: Artifact | undefined;

async function throughPubSub(standIn: CloudRunStandIn) {
  const emulator = await startPubSubEmulator({ project: 'bench', log: false });
  const done = new Map<string, number>();
  const fn = await startFunction(standIn, (line) => {
    if (line.event === 'decision' && line.rule === 'run-ingress-all')
      done.set(String(line.insertId), performance.now());
  });
  const pubsub = new PubSub({ projectId: 'bench', apiEndpoint: emulator.host, emulatorMode: true });
  const [topic] = await pubsub.createTopic('audit');
  await topic.createSubscription('push', {
    pushConfig: { pushEndpoint: `http://127.0.0.1:${fn.port}/projects/bench/topics/audit` },
    ackDeadlineSeconds: 60,
  });
  const publisher = pubsub.topic('audit', { batching: { maxMessages: 1, maxMilliseconds: 0 } });
  const service = (prefix: string, i: number) => `projects/shop-prod/locations/europe-west1/services/${prefix}-${i}`;
  // N services with ingress opened to all traffic, for one phase to revert.
  const seedOpen = (prefix: string) => {
    for (let i = 0; i < N; i++) {
      standIn.seedService({ name: service(prefix, i), ingress: 'INGRESS_TRAFFIC_ALL' });
      standIn.seedPolicy(service(prefix, i), { bindings: [] });
    }
  };

  // The emulator keeps at most 2 pushes in flight per subscription (measured: 300 messages to a
  // 50 ms endpoint take 8 s), so through it throughput is 2 / handler latency. Production push and
  // Eventarc raise concurrency with load; this phase offers 100 entries/s straight to the function.
  async function direct(label: string, prefix: string, port: number, _done: Map<string, number>) {
    const sent = new Map<string, number>();
    seedOpen(prefix);
    const start = performance.now();
    const posts: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) {
      const due = start + (i * 1000) / RATE;
      if (due > performance.now()) await sleep(due - performance.now());
      const insertId = `${prefix}-${i}`;
      const event = cloudEventFor(
        updateServiceEntry({ name: service(prefix, i), insertId, service: { ingress: 'INGRESS_TRAFFIC_ALL' } }),
        insertId,
      );
      sent.set(insertId, performance.now());
      posts.push(
        fetch(`http://127.0.0.1:${port}/`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'ce-id': insertId,
            'ce-specversion': '1.0',
            'ce-type': event.type,
            'ce-source': event.source,
          },
          body: JSON.stringify(event.data),
        }),
      );
    }
    await Promise.all(posts);
    await report(label, prefix, sent, start, true);
  }

  async function report(label: string, prefix: string, sent: Map<string, number>, start: number, paced: boolean) {
    const deadline = performance.now() + 180_000;
    while ([...sent.keys()].some((k) => !done.has(k)) && performance.now() < deadline) await sleep(20);
    const latencies = [...sent].filter(([k]) => done.has(k)).map(([k, t]) => done.get(k)! - t);
    const last = Math.max(...[...sent.keys()].map((k) => done.get(k) ?? 0));
    const updates = standIn
      .callsTo('UpdateService')
      .filter((c) => String((c.request.service as { name?: string }).name).includes(`/${prefix}-`));
    const reverted = [...Array(N).keys()].filter(
      (i) => standIn.service(service(prefix, i))!.ingress !== 'INGRESS_TRAFFIC_ALL',
    ).length;
    console.log(`\n${label}: ${N} entries ${paced ? `offered at ${RATE}/s` : 'published at once'}`);
    const duplicates = updates.length - new Set(updates.map((c) => (c.request.service as { name: string }).name)).size;
    console.log(
      `  handled ${latencies.length}/${N}, reverted ${reverted}/${N}, ` +
        `UpdateService calls ${updates.length} (duplicates: ${duplicates})`,
    );
    console.log(
      `  arrival → decision logged (revert verified): p50 ${pct(latencies, 50).toFixed(0)} ms, ` +
        `p99 ${pct(latencies, 99).toFixed(0)} ms, max ${pct(latencies, 100).toFixed(0)} ms`,
    );
    console.log(
      `  sustained: ${((latencies.length * 1000) / (last - start)).toFixed(0)} entries/s ` +
        `(${((last - start) / 1000).toFixed(1)} s from first to last)`,
    );
  }

  async function phase(label: string, prefix: string, paced: boolean) {
    const sent = new Map<string, number>();
    seedOpen(prefix);
    const start = performance.now();
    const publishes: Promise<string>[] = [];
    for (let i = 0; i < N; i++) {
      if (paced) {
        const due = start + (i * 1000) / RATE;
        if (due > performance.now()) await sleep(due - performance.now());
      }
      const insertId = `${prefix}-${i}`;
      sent.set(insertId, performance.now());
      publishes.push(
        publisher.publishMessage({
          data: Buffer.from(
            JSON.stringify(
              updateServiceEntry({ name: service(prefix, i), insertId, service: { ingress: 'INGRESS_TRAFFIC_ALL' } }),
            ),
          ),
        }),
      );
    }
    await Promise.all(publishes);
    await report(label, prefix, sent, start, paced);
  }

  await phase('steady, through the Pub/Sub emulator', 'steady', true);
  await phase('burst, through the Pub/Sub emulator', 'burst', false);
  await direct('steady, Eventarc-style CloudEvents POSTed straight to the function', 'direct', fn.port, done);
  await pubsub.close();
  await fn.stop();
  await emulator.stop();
}

/** Process start → first event fully handled, for the built function under the Functions Framework CLI. */
async function coldStart(standIn: CloudRunStandIn, entry: object, label: string) {
  const t0 = performance.now();
  const fn = await startFunction(standIn, () => {});
  const event = cloudEventFor(entry as never, `cold-${label}`);
  const res = await fetch(`http://127.0.0.1:${fn.port}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'ce-id': `cold-${label}`,
      'ce-specversion': '1.0',
      'ce-type': event.type,
      'ce-source': event.source,
    },
    body: JSON.stringify(event.data),
  });
  const total = performance.now() - t0;
  await fn.stop();
  if (!res.ok) throw new Error(`cold start event failed: ${res.status}`);
  return { total };
}

async function main() {
  const standIn = await startCloudRunStandIn();
  const what = process.env.BENCH_ARTIFACT ? 'the deployed artifact (npm run bundle)' : 'dist/';
  console.log(`runguard live-path benchmark — node ${process.version}, ${what}`);
  await throughPubSub(standIn);
  console.log(`\ncold start: process start → first event fully handled (FF CLI, ${what}, median of 5)`);
  const crm = JSON.parse(
    (await import('node:fs')).readFileSync(
      new URL(
        '../test/fixtures/auditlogs/real/crm-project-setiampolicy-console-add-securityreviewer-2019.json',
        import.meta.url,
      ),
      'utf8',
    ),
  );
  for (const [label, make] of [
    [
      'Cloud Run revert (loads the Run client)',
      (i: number) => {
        const name = `projects/shop-prod/locations/europe-west1/services/cold-${i}`;
        standIn.seedService({ name, ingress: 'INGRESS_TRAFFIC_ALL' });
        standIn.seedPolicy(name, { bindings: [] });
        return updateServiceEntry({ name, insertId: `cold-${i}`, service: { ingress: 'INGRESS_TRAFFIC_ALL' } });
      },
    ],
    ['project IAM change (no Run client)', (i: number) => ({ ...crm, insertId: `cold-crm-${i}` })],
  ] as const) {
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) runs.push((await coldStart(standIn, make(i), `${label}-${i}`)).total);
    console.log(
      `  ${label}: median ${pct(runs, 50).toFixed(0)} ms ` +
        `(min ${Math.min(...runs).toFixed(0)}, max ${Math.max(...runs).toFixed(0)})`,
    );
  }
  for (const mod of ['@google-cloud/run', '@google-cloud/functions-framework', './dist/index.js']) {
    const t = performance.now();
    await new Promise((r) =>
      spawn(
        process.execPath,
        ['-e', `const t=performance.now();import(${JSON.stringify(mod)}).then(()=>console.log(performance.now()-t))`],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      ).stdout!.on('data', (d) => {
        console.log(
          `  import ${mod}: ${Number(d).toFixed(0)} ms in-process (process ${(performance.now() - t).toFixed(0)} ms)`,
        );
        r(null);
      }),
    );
  }
  await standIn.close();
  artifact?.remove();
}

await main();
