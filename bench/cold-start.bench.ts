// Cold start of the deployed artifact (issue 12, part 2): process start → first event handled, under
// the Functions Framework CLI the artifact installs, side by side with an EMPTY function under the same
// CLI in the same run (the floor: node, the framework, one request). Runs are interleaved so that a
// noisy neighbour slows every variant alike; medians are printed with the ratios to the floor.
//
//   npx tsx bench/cold-start.bench.ts            # builds the artifact (npm run bundle) and installs it
//   RUNGUARD_ARTIFACT_ZIP=old/function.zip npx tsx bench/cold-start.bench.ts   # another build
//   BENCH_BASELINE_ZIP=old/function.zip …      # also that build (or builds, comma-separated), interleaved
//   (zips built with --config test/artifact/runguard.yaml)
//   BENCH_RUNS=9 …                              # runs per variant (default 7)
//   BENCH_FIRESTORE=1 …                         # also both events with the state in a Firestore emulator,
//                                               # as the Terraform module deploys them (the emulator's own
//                                               # latency is in those figures; no target applies)
//   BENCH_CPU_PROF=/tmp/prof …                  # a CPU profile of every counted artifact run, in
//                                               # <dir>/<label>-<iam|run>/ (node --cpu-prof; skews the times)
//
// Each line also gives the median CPU time of the process's main thread up to the response (cpu … ms,
// from /proc/PID/task/PID/schedstat) and its ratio to the floor's: the targets are about wall-clock ratios, but those
// hold only on a quiet machine, where a process waits little for a core.
//
// Environment of each artifact process: the module's (RUNGUARD_CONFIG, RUNGUARD_RULES_DIR), the Slack
// token with Slack as a stand-in, Cloud Run as a stand-in, and RUNGUARD_STATE_STORE=memory: the
// Firestore state store's connection is part 3's subject and is reported in its own bench, not here.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Artifact, moduleEnv, prepareArtifact } from '../test/artifact/artifact.js';
import { updateServiceEntry } from '../stand-ins/audit-entries.js';
import { startCloudRunStandIn } from '../stand-ins/cloud-run/index.js';
import { type EmulatorHandle, startFirestoreEmulator } from '../stand-ins/emulators.js';
import { freePort } from '../stand-ins/free-port.js';
import { killTree } from '../stand-ins/kill-tree.js';
import { startSlackStandIn } from '../stand-ins/slack/index.js';

process.env.METADATA_SERVER_DETECTION = 'none';
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const PROFILE_DIR = process.env.BENCH_CPU_PROF;
const ROOT = new URL('../', import.meta.url).pathname;
const TOKEN = 'xoxb-cold-start';
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** An empty CloudEvent function beside the artifact, using the artifact's own Functions Framework. */
function emptyFunction(artifact: Artifact): string {
  const dir = join(artifact.workspace, '..', 'empty');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "main": "index.js" }\n');
  writeFileSync(
    join(dir, 'index.js'),
    "import * as ff from '@google-cloud/functions-framework';\nff.cloudEvent('auditEvents', () => {});\n",
  );
  symlinkSync(join(artifact.workspace, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

const pushBody = (entry: unknown, id: string) =>
  JSON.stringify({
    subscription: 'projects/bench/subscriptions/audit-push',
    message: { data: Buffer.from(JSON.stringify(entry)).toString('base64'), messageId: id },
  });

/**
 * Spawns the Functions Framework on `dir` and sends one push the moment the port accepts it:
 * milliseconds from spawn to the response. A non-2xx answer, or a failure line in the log, throws.
 */
async function coldStart(
  artifact: Artifact,
  dir: string,
  env: Record<string, string>,
  body: string,
  profileDir?: string,
): Promise<{ ms: number; cpu: number; output: string }> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      '-r',
      join(ROOT, 'stand-ins/localhost-only.cjs'),
      join(artifact.workspace, 'node_modules/@google-cloud/functions-framework/build/src/main.js'),
      '--target=auditEvents',
      '--signature-type=http',
    ],
    {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', PORT: String(port), METADATA_SERVER_DETECTION: 'none', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (output += d));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the function exited:\n${output}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/projects/bench/topics/audit`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        const ms = performance.now() - t0;
        const cpu = cpuMs(child.pid!);
        if (!res.ok) throw new Error(`HTTP ${res.status}:\n${output}`);
        if (/"severity":"(ERROR|CRITICAL)"/.test(output)) throw new Error(`the function logged a failure:\n${output}`);
        return { ms, cpu, output };
      } catch (e) {
        if ((e as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED') throw e;
        await new Promise((r) => setTimeout(r, 2));
      }
    }
  } finally {
    await killTree(child.pid!);
  }
}

type Times = { iam: number[]; run: number[]; iamCpu: number[]; runCpu: number[] };
/**
 * CPU time the process's main thread has used so far (ns on CPU in /proc/PID/task/PID/schedstat; the
 * GC and compiler threads beside it are left out): on a machine others share, the wall-clock figure
 * also counts the time the process waited for a core, this one does not.
 */
function cpuMs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return Number.NaN;
  }
}

type Row = { label: string; artifact: Artifact; times: Times; state: 'memory' | 'firestore' };
const noTimes = (): Times => ({ iam: [], run: [], iamCpu: [], runCpu: [] });

async function main() {
  const artifact = await prepareArtifact();
  const baselineZips = (process.env.BENCH_BASELINE_ZIP ?? '').split(',').filter((z) => z !== '');
  const baselines: Artifact[] = [];
  for (const zip of baselineZips) baselines.push(await prepareArtifact(zip));
  const [run, slack, firestore] = await Promise.all([
    startCloudRunStandIn(),
    startSlackStandIn({ tokens: [TOKEN], rateLimit: false }),
    process.env.BENCH_FIRESTORE ? startFirestoreEmulator({ log: false }) : Promise.resolve(undefined),
  ]);
  try {
    const empty = emptyFunction(artifact);
    const iamEntry = JSON.parse(
      readFileSync(
        join(
          ROOT,
          'test/fixtures/auditlogs/crm-v1-setiampolicy--project-terraform-tokencreator-outside--constructed.json',
        ),
        'utf8',
      ),
    );
    const states: Array<Row['state']> = firestore ? ['memory', 'firestore'] : ['memory'];
    const suffix = (state: Row['state']) => (state === 'firestore' ? ' (Firestore)' : '');
    const rows: Row[] = states.flatMap((state) => [
      ...baselines.map((b, n) => ({
        label: `${baselines.length > 1 ? `baseline ${n + 1}` : 'baseline'}${suffix(state)}`,
        artifact: b,
        times: noTimes(),
        state,
      })),
      { label: `artifact${suffix(state)}`, artifact, times: noTimes(), state },
    ]);
    const floor: number[] = [];
    const floorCpu: number[] = [];
    // One warm-up round (the page cache, the stand-ins' first calls), not counted.
    for (let i = -1; i < RUNS; i++) {
      const id = `cold-${Date.now()}-${i + 1}`;
      const e = await coldStart(artifact, empty, {}, pushBody(iamEntry, id));
      if (i >= 0) {
        floor.push(e.ms);
        floorCpu.push(e.cpu);
      }
      for (const row of rows) {
        const a = row.artifact;
        const env = {
          ...moduleEnv(a.workspace),
          RUNGUARD_STATE_STORE: row.state,
          ...(row.state === 'firestore' && firestore
            ? { FIRESTORE_EMULATOR_HOST: (firestore as EmulatorHandle).host }
            : {}),
          SLACK_BOT_TOKEN: TOKEN,
          SLACK_API_URL: slack.apiUrl,
          RUNGUARD_RUN_ENDPOINT: `127.0.0.1:${run.port}`,
          K_SERVICE: 'runguard-events',
        };
        const iamId = `${id}-${row.label}`;
        const profile = (kind: string) =>
          PROFILE_DIR && i >= 0 ? join(PROFILE_DIR, `${row.label}-${kind}`) : undefined;
        const iam = await coldStart(
          a,
          a.workspace,
          env,
          pushBody({ ...iamEntry, insertId: iamId }, iamId),
          profile('iam'),
        );
        if (!iam.output.includes('"done":"alerted"')) throw new Error(`the IAM event was not alerted:\n${iam.output}`);
        const name = `projects/shop-prod/locations/europe-west1/services/${iamId}`;
        run.seedService({ name, ingress: 'INGRESS_TRAFFIC_ALL' });
        run.seedPolicy(name, { bindings: [] });
        const entry = updateServiceEntry({ name, insertId: iamId, service: { ingress: 'INGRESS_TRAFFIC_ALL' } });
        const revert = await coldStart(a, a.workspace, env, pushBody(entry, iamId), profile('run'));
        if (run.service(name)?.ingress !== 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER')
          throw new Error(`the Cloud Run service was not reverted:\n${revert.output}`);
        if (i < 0) continue;
        row.times.iam.push(iam.ms);
        row.times.run.push(revert.ms);
        row.times.iamCpu.push(iam.cpu);
        row.times.runCpu.push(revert.cpu);
      }
    }
    const base = median(floor);
    const baseCpu = median(floorCpu);
    const line = (label: string, xs: number[], cpu: number[], target?: number) => {
      const m = median(xs);
      const ratio = m / base;
      const verdict = target === undefined ? '' : `  (target ≤ ${target}×: ${ratio <= target ? 'met' : 'NOT met'})`;
      console.log(
        `  ${label.padEnd(46)} ${m.toFixed(0).padStart(5)} ms  ${ratio.toFixed(2)}×   ` +
          `min ${Math.min(...xs).toFixed(0)} max ${Math.max(...xs).toFixed(0)}   ` +
          `cpu ${median(cpu).toFixed(0)} ms ${(median(cpu) / baseCpu).toFixed(2)}×${verdict}`,
      );
    };
    console.log(`runguard cold start — node ${process.version}, median of ${RUNS} interleaved runs`);
    console.log('  process start → first push answered, Functions Framework CLI (--signature-type=http)');
    for (const row of rows) console.log(`  ${row.label}: ${row.artifact.zip}`);
    line('empty function (the floor)', floor, floorCpu);
    for (const row of rows) {
      const { iam, run, iamCpu, runCpu } = row.times;
      line(`${row.label}: project IAM alert`, iam, iamCpu, row.label === 'artifact' ? 1.5 : undefined);
      line(`${row.label}: Cloud Run revert`, run, runCpu, row.label === 'artifact' ? 2.5 : undefined);
    }
  } finally {
    await Promise.all([run.close(), slack.close(), firestore?.stop()]);
    artifact.remove();
    for (const b of baselines) b.remove();
  }
}

await main();
