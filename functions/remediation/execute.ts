import { setTimeout as delay } from 'node:timers/promises';
import type { Ingress, Policy, RunService } from '../core/types.js';
import { PUBLIC_MEMBERS, validateRemediationParams } from './catalog.js';
import {
  describePublicAccess,
  describeRemoval,
  ingressFix,
  invokerCheckFix,
  publicGrants,
  withoutPublicMembers,
  type ServiceFix,
} from './plan.js';
import { RunPortError } from '../core/google-api-error.js';
import type { RemediationOutcome } from '../core/verdict.js';
import type { RunPort } from './types.js';

// Carries out one remediation: read live state, change only the offending part guarded by its
// etag, re-read to report what is true. Transient failures are rethrown so Pub/Sub redelivers;
// running it again is safe because an already-safe resource is never written.

export interface RemediateOptions {
  /** Writes tried before giving up on a resource another actor keeps changing (default 5). */
  maxAttempts?: number;
  /** First pause after an etag conflict, doubling with jitter (default 200). */
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The service and policy as last read, with their etags (what observe() read a moment ago). The
 * first write is built on them instead of reading again; a conflict reads afresh as always. The
 * remediation leaves here what its re-read found, so the next action on the service starts from it.
 */
export interface StartState {
  service?: RunService;
  policy?: Policy;
}

interface Job {
  action: string;
  name: string;
  port: RunPort;
  maxAttempts: number;
  pause(attempt: number): Promise<void>;
  /** Writes tried so far and the last state read, so an error outcome can still say both. */
  attempts: number;
  now: string;
  start: StartState;
}

type Outcome = RemediationOutcome;

const outcome = (r: Job, status: Outcome['status'], summary: string, verified: boolean): Outcome => ({
  action: r.action,
  status,
  summary,
  now: r.now,
  verified,
  attempts: r.attempts,
});

const gone = (r: Job): Outcome => {
  r.now = 'the service does not exist';
  return outcome(r, 'gone', `${r.name} no longer exists; nothing to change`, false);
};

const failed = (r: Job, goal: string, err: RunPortError): Outcome => ({
  ...outcome(r, 'failed', `could not ${goal}: ${err.message}`, false),
  error: { code: err.code, message: err.message, ...(err.permission ? { permission: err.permission } : {}) },
});

const fighting = (r: Job, goal: string, what: string): Outcome =>
  failed(r, goal, new RunPortError('conflict', `${what}; another actor keeps changing ${r.name}`));

/** Runs `write`; an etag conflict pauses and asks the caller to re-read (false), anything else throws. */
async function tryWrite(r: Job, write: () => Promise<unknown>): Promise<boolean> {
  r.attempts++;
  try {
    await write();
    return true;
  } catch (err) {
    if (!(err instanceof RunPortError) || err.code !== 'conflict') throw err;
    await r.pause(r.attempts);
    return false;
  }
}

async function fixService(r: Job, fix: ServiceFix): Promise<Outcome> {
  for (;;) {
    const before = take(r.start, 'service') ?? (await r.port.getService(r.name));
    if (!before) return gone(r);
    r.now = fix.now(before);
    if (fix.isSafe(before)) return outcome(r, 'already-safe', fix.unchanged(before), true);
    if (r.attempts >= r.maxAttempts) return fighting(r, fix.goal, `gave up after ${r.attempts} stale-etag writes`);
    if (!(await tryWrite(r, () => r.port.updateService(r.name, fix.change, before.etag)))) continue;
    const after = await r.port.getService(r.name);
    if (!after) return gone(r);
    r.start.service = after;
    r.now = fix.now(after);
    if (!fix.isSafe(after)) return fighting(r, fix.goal, `the write succeeded but a re-read shows ${r.now}`);
    return outcome(r, 'reverted', fix.done(before), true);
  }
}

async function removeMembers(r: Job, members: readonly string[], roles?: readonly string[]): Promise<Outcome> {
  const goal = `remove ${members.join(' and ')} from the IAM policy${roles ? ` (${roles.join(', ')})` : ''}`;
  for (;;) {
    const before = take(r.start, 'policy') ?? (await r.port.getIamPolicy(r.name));
    if (!before) return gone(r);
    r.now = describePublicAccess(before, members, roles);
    // Rebuilt from each fresh read, so a concurrent writer's own changes are kept.
    const { policy, removed } = withoutPublicMembers(before, members, roles);
    if (removed.length === 0) return outcome(r, 'already-safe', `${r.now}; nothing to change`, true);
    if (r.attempts >= r.maxAttempts) return fighting(r, goal, `gave up after ${r.attempts} stale-etag writes`);
    if (!(await tryWrite(r, () => r.port.setIamPolicy(r.name, policy)))) continue;
    const after = await r.port.getIamPolicy(r.name);
    if (!after) return gone(r);
    r.start.policy = after;
    r.now = describePublicAccess(after, members, roles);
    if (publicGrants(after, members, roles).length > 0)
      return fighting(r, goal, `the write succeeded but a re-read shows ${r.now}`);
    return outcome(r, 'reverted', describeRemoval(removed, after), true);
  }
}

/** The state read before, used once: after a conflict the loop reads afresh. */
function take<K extends keyof StartState>(start: StartState, key: K): StartState[K] | undefined {
  const value = start[key];
  delete start[key];
  return value;
}

// A Map, not an object literal: `action` is caller data and "toString" is not a goal.
const GOALS: ReadonlyMap<string, string> = new Map([
  ['set-ingress', 'set a safe ingress'],
  ['remove-public-members', 'remove public members'],
  ['enable-invoker-iam-check', invokerCheckFix.goal],
]);

/** Puts `resourceName` back to safe per `action`; never widens access, never touches another field or member. */
export async function remediate(
  action: string,
  resourceName: string,
  params: Record<string, unknown>,
  run: RunPort,
  opts: RemediateOptions & { start?: StartState } = {},
): Promise<RemediationOutcome> {
  const backoffMs = opts.backoffMs ?? 200;
  const sleep = opts.sleep ?? ((ms: number) => delay(ms));
  const r: Job = {
    action,
    name: resourceName,
    port: run,
    maxAttempts: opts.maxAttempts ?? 5,
    pause: (n) => sleep(backoffMs * 2 ** (n - 1) * (0.5 + Math.random() / 2)),
    attempts: 0,
    now: 'unknown: not read',
    start: opts.start ?? {},
  };
  const goal = GOALS.get(action) ?? action;
  // publicMembers is optional here: absent means both public members.
  const effective =
    action === 'remove-public-members' && params.publicMembers === undefined
      ? { ...params, publicMembers: [...PUBLIC_MEMBERS] }
      : params;
  // The catalog's own validation, before any call, whatever the caller already checked.
  const problems = validateRemediationParams(action, effective);
  if (problems.length > 0) return failed(r, goal, new RunPortError('invalid', `refused: ${problems.join('; ')}`));
  try {
    if (action === 'set-ingress') return await fixService(r, ingressFix(effective.safeIngress as Ingress));
    if (action === 'enable-invoker-iam-check') return await fixService(r, invokerCheckFix);
    // validation left no other action
    return await removeMembers(r, effective.publicMembers as string[], effective.roles as string[] | undefined);
  } catch (err) {
    if (!(err instanceof RunPortError) || err.code === 'unavailable') throw err;
    if (err.code === 'not-found') return gone(r);
    return failed(r, goal, err);
  }
}
