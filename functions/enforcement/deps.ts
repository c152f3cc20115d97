import { createRunInventory, createRunPort, createServicesClient } from '../remediation/run-client.js';
import type { RunInventory, RunPort } from '../remediation/types.js';
import { loadStartup } from '../startup.js';
import { firestoreConnectionFromEnv, stateStoreChoice } from '../state/env.js';
import { createFirestoreStateStore } from '../state/firestore.js';
import { MemoryStateStore } from '../state/memory.js';
import { parseDuration } from '../core/duration.js';
import { type Logger, stdoutLogger } from '../core/log.js';
import type { Notifier } from '../core/notify.js';
import type { ActDeps } from './act.js';
import { BreakglassCache } from './breakglass-cache.js';
import { logNotifier } from './log-notifier.js';
import { type SelfWatch, selfWatchLogger } from './self-watch.js';
import type { CompiledRule } from '../rules/compile.js';
import type { Config } from '../config/resolve.js';
import { createSlackApi } from '../slack/client.js';
import { type SlackApi, slackNotifier } from '../slack/notifier.js';
import { burstNotifier } from '../slack/burst-notifier.js';
import { type DigestStore, MemoryDigestStore } from '../state/digest.js';
import { createFirestoreDigestStore } from '../state/firestore-digest.js';
import type { StateStore } from '../state/types.js';

export interface LiveDeps extends ActDeps {
  rules: readonly CompiledRule[];
  config: Config;
  state: StateStore;
  notifier: Notifier;
  log: Logger;
  now: () => number;
  /** Breakglass exemptions this instance read recently, for when the state store cannot be reached. */
  breakglass?: BreakglassCache;
  /** How long a delivery's claim on an entry lasts (from the function's timeout); the handler's default when absent. */
  claimLeaseMs?: number;
  /**
   * Resolves once the self-watch messages this instance started are sent (or have failed). Awaited
   * before a function returns: after the response, Cloud Functions may throttle the CPU and the post
   * would never leave.
   */
  settle?: () => Promise<void>;
  /** Replies in an alert's thread (the result of a person's "Revert now"); absent without Slack. */
  threads?: ThreadReplies;
}

export interface ThreadReplies {
  reply(channel: string, threadTs: string, text: string): Promise<void>;
}

/**
 * Everything the live path needs, from the environment (see the README's table). A configuration
 * or rule error throws: every event would be judged wrongly, so the function fails loudly and
 * Pub/Sub keeps the events until it is fixed. The deployed artifact starts from what its build
 * validated (functions/startup.ts).
 */
export async function createLiveDeps(env: NodeJS.ProcessEnv, log: Logger = stdoutLogger): Promise<LiveDeps> {
  const { config, rules, problems: all } = await loadStartup(env);
  if (!config || all.length > 0) {
    log({
      severity: 'CRITICAL',
      message: `runguard cannot start: ${all.join('; ')}`,
      event: 'startup-failed',
      problems: all,
    });
    throw new Error(`runguard configuration is invalid: ${all.join('; ')}`);
  }
  const state = chooseStateStore(env, log);
  const now = () => Date.now();
  const watched = selfWatch(env, config, log, now);
  const token = env.SLACK_BOT_TOKEN;
  const run = lazyRunClient(env.RUNGUARD_RUN_ENDPOINT);
  let executing: Promise<typeof import('../remediation/execute.js')> | undefined;
  const executor = () => {
    executing ??= import('../remediation/execute.js');
    executing.catch(() => {
      executing = undefined;
    });
    return executing;
  };
  return {
    rules,
    config,
    state,
    notifier: chooseNotifier(env, config, state, log, now),
    ...(token ? { threads: threadReplies(lazySlackApi(token, env.SLACK_API_URL)) } : {}),
    log: watched?.log ?? log,
    ...(watched ? { settle: watched.flush } : {}),
    now,
    getRun: async () => {
      const port = await run.getRun();
      // Whoever asked for the client reads the service next: the executor (zod for its parameter
      // checks, ~40 ms) loads while those reads are on the wire rather than after them.
      executor().catch(() => undefined);
      return port;
    },
    // Loaded with the first Cloud Run event: alert-only events never load zod.
    remediate: async (action, name, params, port, start) =>
      (await executor()).remediate(action, name, params, port, start ? { start } : {}),
    fightDetection: config.fightDetection,
    claimLeaseMs: claimLeaseMs(env.RUNGUARD_FUNCTION_TIMEOUT_SECONDS),
    breakglass: new BreakglassCache(),
  };
}

/**
 * A delivery that has not finished within its lease is presumed dead and may be taken over. The lease
 * must outlast the function's timeout (RUNGUARD_FUNCTION_TIMEOUT_SECONDS, which the Terraform module
 * sets; 540 s when unset), or a slow delivery that is still running would be taken over and both
 * would act. The margin covers clock skew between instances and the time between the timeout and
 * the platform stopping the request; fenced writes cover the rest.
 */
export function claimLeaseMs(timeoutSeconds: string | undefined): number {
  const seconds = Number(timeoutSeconds);
  const timeout = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 540_000;
  return timeout + LEASE_MARGIN_MS;
}
const LEASE_MARGIN_MS = 90_000;

/**
 * Firestore wherever instances must share state (on Cloud Functions, K_SERVICE is set), memory for
 * a single local process. Memory in production would let two instances both revert and both alert,
 * so it is only used there when asked for by name, and said at start.
 */
function chooseStateStore(env: NodeJS.ProcessEnv, log: Logger): StateStore {
  const choice = stateStoreChoice(env);
  if (choice === 'firestore') return firestoreStateFromEnv(env);
  if (choice !== 'memory') throw new Error(`RUNGUARD_STATE_STORE must be "firestore" or "memory", not "${choice}"`);
  if (env.K_SERVICE)
    log({
      severity: 'WARNING',
      message: 'state is in memory (RUNGUARD_STATE_STORE=memory): instances do not share claims, exemptions or threads',
      event: 'state-in-memory',
    });
  return new MemoryStateStore();
}

/** runguard's Firestore state store, where the environment's connection (state/env.ts) points. */
export function firestoreStateFromEnv(env: NodeJS.ProcessEnv): StateStore {
  return createFirestoreStateStore({
    ...firestoreConnectionFromEnv(env),
    // How long decisions are kept for the weekly report and `runguard recommend` (e.g. 400d).
    ...(env.RUNGUARD_HISTORY_RETENTION ? { historyRetentionMs: parseDuration(env.RUNGUARD_HISTORY_RETENTION) } : {}),
  });
}

/** Slack when the configuration names a channel and a token is given; otherwise the log, said once at start. */
function chooseNotifier(
  env: NodeJS.ProcessEnv,
  config: Config,
  state: StateStore,
  log: Logger,
  now: () => number,
): Notifier {
  const token = env.SLACK_BOT_TOKEN;
  if (config.slack && token) {
    const api = lazySlackApi(token, env.SLACK_API_URL);
    const single = slackNotifier(api, config.slack, state, log, now);
    if (env.RUNGUARD_SLACK_BURST === 'off') return single;
    return burstNotifier(single, api, config.slack, digestStore(env), log, now, burstOptions(env));
  }
  if (config.slack || token) {
    const missing = config.slack ? 'SLACK_BOT_TOKEN is not set' : 'the configuration has no slack.defaultChannel';
    log({
      severity: 'WARNING',
      message: `Slack is half configured (${missing}): alerts go to the log`,
      event: 'slack-not-configured',
    });
  }
  return logNotifier(log);
}

/** Burst state lives where the rest of the state does: shared in Firestore, or in this process. */
function digestStore(env: NodeJS.ProcessEnv): DigestStore {
  if (stateStoreChoice(env) !== 'firestore') return new MemoryDigestStore();
  return createFirestoreDigestStore(firestoreConnectionFromEnv(env));
}

/** The README's RUNGUARD_SLACK_BURST_* settings; a value that is not a positive number keeps the default. */
export function burstOptions(env: NodeJS.ProcessEnv): Parameters<typeof burstNotifier>[6] {
  const positive = (v: string | undefined): number | undefined => {
    const n = Number(v);
    return v !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
  };
  const threshold = positive(env.RUNGUARD_SLACK_BURST_THRESHOLD);
  const quiet = positive(env.RUNGUARD_SLACK_BURST_QUIET_SECONDS);
  const timeout = positive(env.RUNGUARD_FUNCTION_TIMEOUT_SECONDS) ?? 540;
  return {
    settings: {
      ...(threshold !== undefined ? { threshold } : {}),
      ...(quiet !== undefined ? { quietMs: quiet * 1000 } : {}),
    },
    // One invocation drains for at most this long, well inside the function's timeout; the next takes over.
    drainBudgetMs: Math.max(0, Math.min(240_000, timeout * 1000 - 120_000)),
  };
}

/** Where Slack works, the self-watch kinds also reach the default channel (rate-limited); else null: the log as is. */
function selfWatch(env: NodeJS.ProcessEnv, config: Config, log: Logger, now: () => number): SelfWatch | null {
  const token = env.SLACK_BOT_TOKEN;
  const channel = config.slack?.defaultChannel;
  if (!token || !channel) return null;
  const api = lazySlackApi(token, env.SLACK_API_URL);
  return selfWatchLogger(log, (text) => api.chat.postMessage({ channel, text, blocks: [] }), {
    now,
    intervalMs: SELF_WATCH_INTERVAL_MS,
  });
}

/** At most one self-watch message per kind per instance in this long. */
export const SELF_WATCH_INTERVAL_MS = 15 * 60_000;

function threadReplies(api: SlackApi): ThreadReplies {
  return {
    async reply(channel, threadTs, text) {
      const blocks = [{ type: 'section', text: { type: 'mrkdwn', text, verbatim: true } }];
      await api.chat.postMessage({ channel, thread_ts: threadTs, text, blocks, unfurl_links: false });
    },
  };
}

function lazySlackApi(token: string, apiUrl: string | undefined): SlackApi {
  let api: Promise<SlackApi> | undefined;
  const get = () => (api ??= createSlackApi(token, apiUrl));
  return {
    chat: {
      postMessage: async (args) => (await get()).chat.postMessage(args),
      update: async (args) => (await get()).chat.update(args),
    },
  };
}

// The Cloud Run client costs ~300 ms to load; events about projects or service accounts never need it.
// One client serves both the remediation port and the sweep's listing.
export function lazyRunClient(endpoint: string | undefined): {
  getRun: () => Promise<RunPort>;
  inventory: RunInventory;
} {
  let ready: Promise<{ port: RunPort; inventory: RunInventory }> | undefined;
  const get = () => {
    ready ??= createServicesClient(endpoint ? { endpoint } : {}).then((c) => ({
      port: createRunPort(c),
      inventory: createRunInventory(c),
    }));
    // A failed construction is not cached, so the next call tries again.
    ready.catch(() => {
      ready = undefined;
    });
    return ready;
  };
  return {
    getRun: async () => (await get()).port,
    inventory: {
      listLocations: async (project) => (await get()).inventory.listLocations(project),
      listServices: async (project, location) => (await get()).inventory.listServices(project, location),
    },
  };
}
