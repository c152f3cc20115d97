import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
  comm: string;
}

function readStat(pid: number): ProcInfo | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is parenthesised and may itself contain spaces or ')', so split at the last ')'.
    const close = raw.lastIndexOf(')');
    const comm = raw.slice(raw.indexOf('(') + 1, close);
    const [state = '', ppid = '0'] = raw.slice(close + 2).split(' ');
    return { pid, ppid: Number(ppid), state, comm };
  } catch {
    return undefined;
  }
}

export interface TreeProc extends ProcInfo {
  depth: number;
}

/** Every live descendant of `root`, with its depth below it (children are depth 1). */
export function descendants(root: number): TreeProc[] {
  const all: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readStat(Number(entry));
    if (info) all.push(info);
  }
  const found: TreeProc[] = [];
  const frontier = [{ pid: root, depth: 0 }];
  while (frontier.length > 0) {
    const parent = frontier.shift()!;
    for (const p of all) {
      if (p.ppid === parent.pid && !found.some((f) => f.pid === p.pid)) {
        found.push({ ...p, depth: parent.depth + 1 });
        frontier.push({ pid: p.pid, depth: parent.depth + 1 });
      }
    }
  }
  return found;
}

/**
 * True while the process exists and is not a zombie. Zombies count as gone: once gcloud dies its
 * java child is re-parented to PID 1, and in a container PID 1 may never reap it.
 */
export function isAlive(pid: number): boolean {
  const info = readStat(pid);
  return info !== undefined && info.state !== 'Z' && info.state !== 'X';
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // Already gone (ESRCH) is the normal race here.
  }
}

export interface KillTreeOptions {
  /** How long to wait after SIGTERM before SIGKILL. */
  graceMs?: number;
  /** Give up waiting after SIGKILL (then throw). */
  killWaitMs?: number;
}

async function waitGone(pids: number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (pids.some(isAlive)) {
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
  return true;
}

async function waitReaped(pids: number[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (pids.some((p) => readStat(p) !== undefined) && Date.now() < deadline) await sleep(10);
}

/**
 * Stops `pid` and everything below it, and resolves only when all of them have exited.
 * Deepest processes go first and are waited for, so their own parents (bash, gcloud) reap them;
 * killing the parent first would leave zombies for PID 1 to collect. Also signals the process group
 * (spawned with detached: true, so pid leads it) to catch anything started after the snapshot.
 */
export async function killTree(pid: number, opts: KillTreeOptions = {}): Promise<void> {
  const graceMs = opts.graceMs ?? 5000;
  const killWaitMs = opts.killWaitMs ?? 5000;
  // Snapshot before signalling: once a parent dies its children are re-parented and unfindable.
  const tree = [{ pid, depth: 0 }, ...descendants(pid)];
  const all = tree.map((p) => p.pid);
  const deadline = Date.now() + graceMs;
  for (let depth = Math.max(...tree.map((p) => p.depth)); depth >= 0; depth--) {
    const level = tree.filter((p) => p.depth === depth).map((p) => p.pid);
    for (const p of level) signal(p, 'SIGTERM');
    await waitGone(level, Math.max(0, deadline - Date.now()));
    // Exited is not enough: give the parent a moment to reap, or the zombie passes to PID 1.
    if (depth > 0) await waitReaped(level, 1000);
  }
  signal(-pid, 'SIGTERM');
  if (await waitGone(all, Math.max(0, deadline - Date.now()))) return;
  signal(-pid, 'SIGKILL');
  for (const p of all) if (isAlive(p)) signal(p, 'SIGKILL');
  if (await waitGone(all, killWaitMs)) return;
  throw new Error(`processes still alive after SIGKILL: ${all.filter(isAlive).join(', ')}`);
}
