// The reconcile sweep against the Cloud Run stand-in through the real client, with a realistic
// 50 ms per API call: services judged per second, and how that scales with the concurrency limit.
// Regions are enumerated with ListLocations (42 regions) unless `reconcile.locations` is set.
import { parseConfig } from '../functions/config/load.js';
import { logNotifier } from '../functions/enforcement/log-notifier.js';
import { sweep } from '../functions/reconcile/sweep.js';
import { remediate } from '../functions/remediation/execute.js';
import { createRunInventory, createRunPort, createServicesClient } from '../functions/remediation/run-client.js';
import { loadRules } from '../functions/rules/load-files.js';
import { MemoryStateStore } from '../functions/state/memory.js';
import { DEFAULT_LOCATIONS, startCloudRunStandIn } from '../stand-ins/cloud-run/server.js';

process.env.METADATA_SERVER_DETECTION = 'none';
const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 10);
const PER_PROJECT = Number(process.env.BENCH_SERVICES ?? 60);
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 50);
const REGIONS = ['us-central1', 'europe-west1', 'asia-east1', 'us-east4', 'europe-west4'];

const standIn = await startCloudRunStandIn();
const client = await createServicesClient({ endpoint: `127.0.0.1:${standIn.port}` });
const { rules } = loadRules();
let insecure = 0;
for (let p = 0; p < PROJECTS; p++) {
  for (let i = 0; i < PER_PROJECT; i++) {
    const name = `projects/team-${p}/locations/${REGIONS[i % REGIONS.length]}/services/svc-${i}`;
    const open = i % 20 === 0;
    if (open) insecure++;
    standIn.seedService({ name, ingress: open ? 'INGRESS_TRAFFIC_ALL' : 'INGRESS_TRAFFIC_INTERNAL_ONLY' });
    standIn.seedPolicy(name, { bindings: [{ role: 'roles/run.invoker', members: ['group:eng@example.com'] }] });
  }
}
const services = PROJECTS * PER_PROJECT;
console.log(
  `sweep: ${PROJECTS} projects × ${PER_PROJECT} services (${services}, ${insecure} insecure, monitor mode) ` +
    `in ${REGIONS.length} of ${DEFAULT_LOCATIONS.length} regions; ${LATENCY} ms per API call`,
);

async function once(concurrency: number, locations: string[] | null) {
  const locationsKey = locations ? `, locations: [${locations.join(', ')}]` : '';
  const text = `reconcile: { concurrency: ${concurrency}, projectBudget: 10m${locationsKey} }\n`;
  const { config } = parseConfig(text, 'bench.yaml');
  if (!config) throw new Error('bad bench config');
  const port = createRunPort(client);
  const calls0 = standIn.calls.length;
  const t = performance.now();
  const report = await sweep(
    Array.from({ length: PROJECTS }, (_, p) => `team-${p}`),
    {
      rules,
      config,
      state: new MemoryStateStore(),
      notifier: logNotifier(() => {}),
      log: () => {},
      now: () => Date.now(),
      inventory: createRunInventory(client),
      getRun: async () => port,
      remediate: (a, n, params, run) => remediate(a, n, params, run),
      fightDetection: config.fightDetection,
      act: true,
      notify: true,
    },
  );
  const s = (performance.now() - t) / 1000;
  const scanned = report.projects.reduce((n, p) => n + p.scanned, 0);
  if (scanned !== services || report.findings.length !== insecure)
    throw new Error(`swept ${scanned}/${services}, ${report.findings.length}/${insecure} findings`);
  return { s, rate: scanned / s, calls: standIn.calls.length - calls0 };
}

standIn.latency(LATENCY);
for (const locations of [null, REGIONS]) {
  console.log(
    locations
      ? `\nregions from configuration (${locations.length}):`
      : `\nregions enumerated (ListLocations → ${DEFAULT_LOCATIONS.length} regions per project):`,
  );
  for (const c of [1, 4, 16, 32, 64]) {
    const r = await once(c, locations);
    console.log(
      `  concurrency ${String(c).padStart(2)}: ${r.s.toFixed(2).padStart(6)} s · ` +
        `${r.rate.toFixed(1).padStart(6)} services/s · ${r.calls} API calls (${(r.calls / r.s).toFixed(0)}/s)`,
    );
  }
}
await client.close();
await standIn.close();
