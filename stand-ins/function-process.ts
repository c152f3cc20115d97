import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './free-port.js';
import { killTree } from './kill-tree.js';

// The built functions (dist/) under the Functions Framework CLI, in a process of their own, as
// they run when deployed: for the CLI tests, the live benchmark and `npm start`.

export interface FunctionProcess {
  port: number;
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

export interface FunctionProcessOptions {
  target: string;
  signatureType: 'cloudevent' | 'http';
  /** The only environment the function gets, besides PATH, PORT and METADATA_SERVER_DETECTION=none. */
  env: Record<string, string>;
  /** Each complete stdout line, as it arrives (structured log lines are JSON). */
  onLine?: (line: string) => void;
  readyTimeoutMs?: number;
  /** The function's source directory (default: the repository, i.e. dist/ through package.json's main). */
  cwd?: string;
  /** The Functions Framework's main.js (default: the repository's); an unpacked artifact brings its own. */
  frameworkMain?: string;
}

const ROOT = new URL('../', import.meta.url).pathname;

export async function startFunctionProcess(opts: FunctionProcessOptions): Promise<FunctionProcess> {
  const port = await freePort();
  // The CLI cannot be told an address; the preload makes it bind 127.0.0.1 instead of every interface.
  const child = spawn(
    process.execPath,
    [
      '-r',
      `${ROOT}stand-ins/localhost-only.cjs`,
      opts.frameworkMain ?? `${ROOT}node_modules/@google-cloud/functions-framework/build/src/main.js`,
      `--target=${opts.target}`,
      `--signature-type=${opts.signatureType}`,
    ],
    {
      cwd: opts.cwd ?? ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: String(port), METADATA_SERVER_DETECTION: 'none', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    output += d;
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) opts.onLine?.(line);
  });
  child.stderr!.on('data', (d: Buffer) => (output += d));
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 15_000);
  // Ready when the port accepts a connection: a request would be an event to the function.
  while (!(await accepts(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await killTree(child.pid!);
      throw new Error(`the ${opts.target} function did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return { port, child, output: () => output, stop: () => killTree(child.pid!) };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}
