// The live path through the real Pub/Sub emulator, the Functions Framework over HTTP and the Cloud
// Run stand-in: latency from publish to a verified revert at a steady 100 entries/s, throughput in
// a burst, nothing lost or duplicated; and the cold start of the built function. Prints figures.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { PubSub } from '@google-cloud/pubsub';
import { handleAuditEvent } from '../functions/live/audit-events.js';
import { type CloudRunStandIn, startCloudRunStandIn } from '../test/stand-ins/cloud-run/index.js';
import { startPubSubEmulator } from '../test/stand-ins/emulators.js';
import { freePort } from '../test/stand-ins/free-port.js';
import { killTree } from '../test/stand-ins/kill-tree.js';
import { cloudEventFor, updateServiceEntry } from '../test/live/entries.js';
import { harness, newClient } from '../test/live/harness.js';

process.env.METADATA_SERVER_DETECTION = 'none';
const N = Number(process.env.BENCH_ENTRIES ?? 1000);
const RATE = 100;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function throughPubSub(standIn: CloudRunStandIn) {
  const emulator = await startPubSubEmulator({ project: 'bench', log: false });
  const client = newClient(standIn);
  const h = harness(standIn, client);
  h.deps.log = () => {};
  h.deps.now = () => Date.now();
  const done = new Map<string, number>();
  const notify = h.deps.notifier.notify.bind(h.deps.notifier);
  h.deps.notifier = { notify: async (a) => { await notify(a); done.set(a.change.insertId, performance.now()); } };
  ff.cloudEvent('benchAuditEvents', (e: ff.CloudEvent<unknown>) => handleAuditEvent(e, h.deps).then(() => undefined));
  const server = getTestServer('benchAuditEvents');
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const pubsub = new PubSub({ projectId: 'bench', apiEndpoint: emulator.host, emulatorMode: true });
  const [topic] = await pubsub.createTopic('audit');
  await topic.createSubscription('push', { pushConfig: { pushEndpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/projects/bench/topics/audit` }, ackDeadlineSeconds: 60 });
  const publisher = pubsub.topic('audit', { batching: { maxMessages: 1, maxMilliseconds: 0 } });

  async function phase(label: string, prefix: string, paced: boolean) {
    const sent = new Map<string, number>();
    for (let i = 0; i < N; i++) standIn.seedService({ name: `projects/shop-prod/locations/europe-west1/services/${prefix}-${i}`, ingress: 'INGRESS_TRAFFIC_ALL' });
    for (let i = 0; i < N; i++) standIn.seedPolicy(`projects/shop-prod/locations/europe-west1/services/${prefix}-${i}`, { bindings: [] });
    const start = performance.now();
    const publishes: Promise<string>[] = [];
    for (let i = 0; i < N; i++) {
      if (paced) {
        const due = start + (i * 1000) / RATE;
        if (due > performance.now()) await sleep(due - performance.now());
      }
      const name = `projects/shop-prod/locations/europe-west1/services/${prefix}-${i}`;
      const insertId = `${prefix}-${i}`;
      sent.set(insertId, performance.now());
      publishes.push(publisher.publishMessage({ data: Buffer.from(JSON.stringify(updateServiceEntry({ name, insertId, service: { ingress: 'INGRESS_TRAFFIC_ALL' } }))) }));
    }
    await Promise.all(publishes);
    const deadline = performance.now() + 120_000;
    while ([...sent.keys()].some((k) => !done.has(k)) && performance.now() < deadline) await sleep(20);
    const latencies = [...sent].filter(([k]) => done.has(k)).map(([k, t]) => done.get(k)! - t);
    const last = Math.max(...[...sent.keys()].map((k) => done.get(k) ?? 0));
    const updates = standIn.callsTo('UpdateService').filter((c) => String((c.request.service as { name?: string }).name).includes(`/${prefix}-`));
    const reverted = [...Array(N).keys()].filter((i) => standIn.service(`projects/shop-prod/locations/europe-west1/services/${prefix}-${i}`)!.ingress !== 'INGRESS_TRAFFIC_ALL').length;
    console.log(`\n${label}: ${N} entries ${paced ? `published at ${RATE}/s` : 'published at once'}`);
    console.log(`  handled ${latencies.length}/${N}, reverted ${reverted}/${N}, UpdateService calls ${updates.length} (duplicates: ${updates.length - new Set(updates.map((c) => (c.request.service as { name: string }).name)).size})`);
    console.log(`  publish → verified revert + alert: p50 ${pct(latencies, 50).toFixed(0)} ms, p99 ${pct(latencies, 99).toFixed(0)} ms, max ${pct(latencies, 100).toFixed(0)} ms`);
    console.log(`  sustained: ${((latencies.length * 1000) / (last - start)).toFixed(0)} entries/s (${((last - start) / 1000).toFixed(1)} s from first publish to last revert)`);
  }

  await phase('steady', 'steady', true);
  await phase('burst', 'burst', false);
  await pubsub.close();
  await new Promise((r) => server.close(r));
  await client.close();
  await emulator.stop();
}

/** Process start → first event fully handled, for the built function under the Functions Framework CLI. */
async function coldStart(standIn: CloudRunStandIn, entry: object, label: string) {
  const dir = mkdtempSync(join(tmpdir(), 'runguard-bench-'));
  writeFileSync(join(dir, 'runguard.yaml'), 'projects:\n  - { match: "shop-prod", mode: enforce }\n');
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-r', './test/stand-ins/localhost-only.cjs', 'node_modules/@google-cloud/functions-framework/build/src/main.js', '--target=auditEvents', '--signature-type=cloudevent'], {
    env: { PATH: process.env.PATH, PORT: String(port), METADATA_SERVER_DETECTION: 'none', RUNGUARD_CONFIG: join(dir, 'runguard.yaml'), RUNGUARD_RUN_ENDPOINT: `127.0.0.1:${standIn.port}` },
    stdio: 'ignore',
  });
  let ready = 0;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': 'application/json', 'ce-id': `cold-${label}`, 'ce-specversion': '1.0', 'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished', 'ce-source': '//pubsub.googleapis.com/projects/ops/topics/t' }, body: JSON.stringify(cloudEventFor(entry as never, `cold-${label}`).data) });
      if (!ready) ready = performance.now();
      if (res.ok) break;
    } catch {
      await sleep(5);
    }
  }
  const handled = performance.now();
  await killTree(child.pid!);
  return { total: handled - t0 };
}

async function main() {
  const standIn = await startCloudRunStandIn();
  console.log(`runguard live-path benchmark — node ${process.version}`);
  await throughPubSub(standIn);
  console.log('\ncold start: process start → first event fully handled (FF CLI, dist/, median of 5)');
  const crm = JSON.parse((await import('node:fs')).readFileSync(new URL('../../shared/fixtures/auditlogs/crm-project-setiampolicy-console-add-securityreviewer-2019.json', import.meta.url), 'utf8'));
  for (const [label, make] of [
    ['Cloud Run revert (loads the Run client)', (i: number) => { const name = `projects/shop-prod/locations/europe-west1/services/cold-${i}`; standIn.seedService({ name, ingress: 'INGRESS_TRAFFIC_ALL' }); standIn.seedPolicy(name, { bindings: [] }); return updateServiceEntry({ name, insertId: `cold-${i}`, service: { ingress: 'INGRESS_TRAFFIC_ALL' } }); }],
    ['project IAM change (no Run client)', (i: number) => ({ ...crm, insertId: `cold-crm-${i}` })],
  ] as const) {
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) runs.push((await coldStart(standIn, make(i), `${label}-${i}`)).total);
    console.log(`  ${label}: median ${pct(runs, 50).toFixed(0)} ms (min ${Math.min(...runs).toFixed(0)}, max ${Math.max(...runs).toFixed(0)})`);
  }
  for (const mod of ['@google-cloud/run', '@google-cloud/functions-framework', './dist/index.js']) {
    const t = performance.now();
    await new Promise((r) => spawn(process.execPath, ['-e', `const t=performance.now();import(${JSON.stringify(mod)}).then(()=>console.log(performance.now()-t))`], { stdio: ['ignore', 'pipe', 'ignore'] }).stdout!.on('data', (d) => { console.log(`  import ${mod}: ${Number(d).toFixed(0)} ms in-process (process ${(performance.now() - t).toFixed(0)} ms)`); r(null); }));
  }
  await standIn.close();
}

await main();
