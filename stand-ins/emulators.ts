import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';
import { descendants, killTree } from './kill-tree.js';

export interface EmulatorHandle {
  /** host:port for PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST. */
  host: string;
  port: number;
  /** PID of the process we spawned; it leads its own process group. */
  pid: number;
  /** Milliseconds from spawn to the first "Ok" on GET /. */
  startupMs: number;
  /** PIDs of every process in the tree right now (e.g. to find the java one). */
  treePids(): number[];
  /** Kills the whole tree by PID and resolves once every process in it has exited. */
  stop(): Promise<void>;
}

export type Launcher = 'gcloud' | 'direct';

export interface EmulatorOptions {
  project?: string;
  /** 'direct' skips the gcloud (python) wrapper and runs the SDK's own launcher script. */
  launcher?: Launcher;
  readyTimeoutMs?: number;
  /** Log start-up time to stderr (default true). */
  log?: boolean;
  /** Listen on this port (to restart an emulator where its clients expect it); default a free one. */
  port?: number;
}

/** Resolves the SDK root from the gcloud on PATH, without running gcloud (saves ~0.5 s). */
export function sdkRoot(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir, 'gcloud');
    if (existsSync(candidate)) return dirname(dirname(realpathSync(candidate)));
  }
  throw new Error('gcloud not found on PATH');
}

/** Whether the Google Cloud SDK (and so the emulators) is on PATH. */
export function hasEmulatorSdk(): boolean {
  try {
    return sdkRoot() !== '';
  } catch {
    return false;
  }
}

/** RUNGUARD_REQUIRE_EMULATORS=1 (what `.ci/run` sets): a missing SDK fails the run instead of skipping tests. */
export const emulatorsRequired = (): boolean => ['1', 'true'].includes(process.env.RUNGUARD_REQUIRE_EMULATORS ?? '');

/** Environment that keeps gcloud out of $HOME and off the network. */
function gcloudEnv(configDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CLOUDSDK_CONFIG: configDir,
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    // Without this a fresh config dir makes gcloud probe metadata.google.internal to learn if it is on GCE.
    CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
    CLOUDSDK_CORE_SURVEY_PROMPTS: 'false',
    METADATA_SERVER_DETECTION: 'none',
  };
}

interface SpawnPlan {
  name: string;
  command: string;
  args: string[];
}

async function startEmulator(
  plan: SpawnPlan,
  port: number,
  tmp: string,
  opts: EmulatorOptions,
): Promise<EmulatorHandle> {
  const started = performance.now();
  const child = spawn(plan.command, plan.args, {
    env: gcloudEnv(join(tmp, 'gcloud-config')),
    cwd: tmp,
    detached: true, // own process group, so the tree can be signalled as one
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Keep only the tail of the output for error messages; draining the pipes keeps the child from blocking.
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: string | undefined;
  // 'exit' fires once Node has reaped the child, so after it no zombie is left behind either.
  const reaped = new Promise<void>((resolve) =>
    child.once('exit', (code, sig) => {
      exited = `exited early (code ${code}, signal ${sig})`;
      resolve();
    }),
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${plan.name}: spawn failed`);

  const cleanup = async (): Promise<void> => {
    await killTree(pid);
    await reaped;
    child.stdout!.destroy();
    child.stderr!.destroy();
    rmSync(tmp, { recursive: true, force: true });
  };
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      await cleanup();
      throw new Error(`${plan.name} ${exited}:\n${tail}`);
    }
    if (Date.now() > deadline) {
      await cleanup();
      throw new Error(`${plan.name} not ready on 127.0.0.1:${port}:\n${tail}`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
      if (res.ok && (await res.text()).trim() === 'Ok') break;
    } catch {
      // Not listening yet.
    }
    await sleep(50);
  }
  const startupMs = Math.round(performance.now() - started);
  if (opts.log !== false) {
    console.error(`[stand-ins] ${plan.name} ready on 127.0.0.1:${port} in ${startupMs} ms (pid ${pid})`);
  }
  let stopping: Promise<void> | undefined;
  return {
    host: `127.0.0.1:${port}`,
    port,
    pid,
    startupMs,
    treePids: () => [pid, ...descendants(pid).map((p) => p.pid)],
    stop: () => (stopping ??= cleanup()),
  };
}

export async function startPubSubEmulator(opts: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const project = opts.project ?? 'runguard-test';
  const port = await freePort();
  const tmp = mkdtempSync(join(tmpdir(), 'runguard-pubsub-'));
  const dataDir = join(tmp, 'data');
  mkdirSync(dataDir); // gcloud writes env.yaml there but does not create the directory
  const plan: SpawnPlan =
    (opts.launcher ?? 'direct') === 'direct'
      ? {
          name: 'pubsub-emulator',
          command: join(sdkRoot(), 'platform/pubsub-emulator/bin/cloud-pubsub-emulator'),
          // gcloud passes only host and port to this script too; the emulator takes any project id.
          args: ['--host=127.0.0.1', `--port=${port}`],
        }
      : {
          name: 'pubsub-emulator (gcloud)',
          command: 'gcloud',
          args: [
            'beta',
            'emulators',
            'pubsub',
            'start',
            `--host-port=127.0.0.1:${port}`,
            `--project=${project}`,
            `--data-dir=${dataDir}`,
          ],
        };
  return startEmulator(plan, port, tmp, opts);
}

export async function startFirestoreEmulator(opts: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const project = opts.project ?? 'runguard-test';
  const port = opts.port ?? (await freePort());
  const tmp = mkdtempSync(join(tmpdir(), 'runguard-firestore-'));
  const plan: SpawnPlan =
    (opts.launcher ?? 'gcloud') === 'direct'
      ? {
          name: 'firestore-emulator',
          command: join(sdkRoot(), 'platform/cloud-firestore-emulator/cloud_firestore_emulator'),
          args: ['start', '--host=127.0.0.1', `--port=${port}`],
        }
      : {
          name: 'firestore-emulator (gcloud)',
          command: 'gcloud',
          args: ['emulators', 'firestore', 'start', `--host-port=127.0.0.1:${port}`, `--project=${project}`],
        };
  return startEmulator(plan, port, tmp, opts);
}
