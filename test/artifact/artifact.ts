import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockfileFor } from '../../scripts/lockfile.js';
import { type FunctionProcess, startFunctionProcess } from '../../stand-ins/function-process.js';

// The function zip as Cloud Functions gets it: built by `npm run bundle`, unpacked alone into an empty
// directory, its own package.json installed the way the Node.js build installs it, and each entry
// point started under the Functions Framework the artifact brings, with only the environment the
// Terraform module sets (terraform/modules/runguard/main.tf, local.common_env) plus the stand-ins'
// endpoints.

const ROOT = new URL('../../', import.meta.url).pathname;
/** The configuration the artifact tests build into the zip. */
export const ARTIFACT_CONFIG = 'test/artifact/runguard.yaml';

export interface Artifact {
  /** The unpacked artifact: what Cloud Functions gen2 runs as /workspace. */
  workspace: string;
  zip: string;
  /** What building, unpacking and installing took, and what `npm ci` said. */
  log: string[];
  remove(): void;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(' ')} failed (code ${code}, signal ${signal}):\n${output}`)),
    );
  });
}

/**
 * Builds the artifact with `npm run bundle` (or takes RUNGUARD_ARTIFACT_ZIP, e.g. an older build to
 * compare), unpacks it into an empty directory and installs what it declares.
 *
 * The install is `npm ci --omit=dev` from the artifact's own package.json and package-lock.json, as
 * the Cloud Functions Node.js build runs it, followed as there by the package's `gcp-build` script.
 * Tests run without a network, so it is `--offline`: the tarballs come from the npm cache that the
 * repository's own `npm ci` filled, matched by the integrity hashes in the artifact's lockfile.
 * Anything the artifact declares that the repository never installed fails here. An artifact without
 * a lockfile (the old bundle) is given one cut from the repository's lockfile, since `npm install`
 * would need the registry to resolve it.
 */
export async function prepareArtifact(prebuiltZip = process.env.RUNGUARD_ARTIFACT_ZIP): Promise<Artifact> {
  const tmp = mkdtempSync(join(tmpdir(), 'runguard-artifact-'));
  const log: string[] = [];
  const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const r = await fn();
    log.push(`${what}: ${Math.round(performance.now() - t)} ms`);
    return r;
  };
  try {
    let zip = prebuiltZip;
    if (!zip) {
      const out = join(tmp, 'build');
      const said = await timed('npm run bundle', () =>
        run(
          process.execPath,
          [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/bundle.ts', '--config', ARTIFACT_CONFIG, '--out', out],
          ROOT,
        ),
      );
      log.push(said.trim());
      zip = join(out, 'function.zip');
    }
    const workspace = join(tmp, 'workspace');
    mkdirSync(workspace);
    await timed('unzip', () => run('unzip', ['-q', zip, '-d', workspace], tmp));
    const pkg = JSON.parse(readFileSync(join(workspace, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      dependencies?: Record<string, string>;
    };
    if (Object.keys(pkg.dependencies ?? {}).length > 0) {
      if (!existsSync(join(workspace, 'package-lock.json'))) {
        log.push('the artifact has no package-lock.json: one is cut from the repository lockfile');
        const lock = lockfileFor(
          { name: pkg.name, version: pkg.version, dependencies: pkg.dependencies ?? {} },
          join(ROOT, 'package-lock.json'),
        );
        writeFileSync(join(workspace, 'package-lock.json'), JSON.stringify(lock));
      }
      const npm = await timed('npm ci --omit=dev --offline', () =>
        run('npm', ['ci', '--omit=dev', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], workspace, {
          ...process.env,
          // Only what the artifact says: no workspace or user configuration from the repository.
          npm_config_userconfig: join(tmp, 'npmrc'),
        }),
      );
      if (npm.trim()) log.push(npm.trim());
    }
    // The Node.js build then runs the package's gcp-build script, if it has one (the compile caches).
    const scripts = (pkg as { scripts?: Record<string, string> }).scripts ?? {};
    if (scripts['gcp-build']) {
      const said = await timed('npm run gcp-build', () =>
        run('npm', ['run', 'gcp-build', '--silent'], workspace, {
          ...process.env,
          npm_config_userconfig: join(tmp, 'npmrc'),
        }),
      );
      if (said.trim()) log.push(said.trim());
    }
    return { workspace, zip, log, remove: () => rmSync(tmp, { recursive: true, force: true }) };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** The environment terraform/modules/runguard gives every function (local.common_env), for this workspace. */
export function moduleEnv(workspace: string): Record<string, string> {
  return {
    RUNGUARD_CONFIG: join(workspace, 'runguard.yaml'),
    RUNGUARD_RULES_DIR: join(workspace, 'rules'),
    RUNGUARD_STATE_STORE: 'firestore',
  };
}

/**
 * One entry point of the unpacked artifact under the Functions Framework it installed. Cloud Functions
 * deploys all three without an event trigger (Pub/Sub pushes to them), so they start as HTTP functions;
 * the framework serves the signature the code registers. K_SERVICE and FUNCTION_TARGET are what the
 * platform sets.
 */
export function startArtifactFunction(
  artifact: Artifact,
  target: 'auditEvents' | 'slackInteractions' | 'reconcile',
  env: Record<string, string>,
  onLine?: (line: string) => void,
): Promise<FunctionProcess> {
  return startFunctionProcess({
    target,
    signatureType: 'http',
    cwd: artifact.workspace,
    frameworkMain: join(artifact.workspace, 'node_modules/@google-cloud/functions-framework/build/src/main.js'),
    env: { K_SERVICE: `runguard-${target}`, K_REVISION: `runguard-${target}-00001`, FUNCTION_TARGET: target, ...env },
    ...(onLine ? { onLine } : {}),
  });
}

/** The structured log lines a function wrote to stdout. */
export function logLines(fn: FunctionProcess): Array<Record<string, unknown>> {
  return fn
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/**
 * What a function reported as broken: ERROR or CRITICAL log lines, uncaught errors the Functions
 * Framework printed, and the ReferenceError of a module that cannot load. Empty when it worked.
 */
export function failures(fn: FunctionProcess): string[] {
  const structured = logLines(fn)
    .filter((l) => l.severity === 'ERROR' || l.severity === 'CRITICAL')
    .map((l) => JSON.stringify(l));
  const plain = fn
    .output()
    .split('\n')
    .filter((l) => !l.startsWith('{') && /Error|error:|Unhandled|Cannot find/.test(l));
  return [...structured, ...plain];
}
