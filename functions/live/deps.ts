import { checkConfigAgainstRules } from '../config/check-rules.js';
import { loadConfigFile } from '../config/load-file.js';
import { remediate } from '../remediation/execute.js';
import { createRunPort, createServicesClient } from '../remediation/run-client.js';
import type { RunPort } from '../remediation/types.js';
import { loadRules } from '../rules/load-files.js';
import { MemoryStateStore } from '../state/memory.js';
import type { LiveDeps } from './audit-events.js';
import { type Logger, stdoutLogger } from './log.js';
import { logNotifier } from './notify.js';

/**
 * Everything the live path needs, from the environment (see the README's table). A configuration
 * or rule error throws: every event would be judged wrongly, so the function fails loudly and
 * Pub/Sub keeps the events until it is fixed.
 */
export function createLiveDeps(env: NodeJS.ProcessEnv, log: Logger = stdoutLogger): LiveDeps {
  const { config, problems } = loadConfigFile(env.RUNGUARD_CONFIG);
  const { rules, errors } = loadRules(env.RUNGUARD_RULES_DIR);
  const all = [...problems, ...errors.map((e) => `${e.file}: ${e.field}: ${e.message}`), ...(config ? checkConfigAgainstRules(config, rules) : [])];
  if (!config || all.length > 0) {
    log({ severity: 'CRITICAL', message: `runguard cannot start: ${all.join('; ')}`, event: 'startup-failed', problems: all });
    throw new Error(`runguard configuration is invalid: ${all.join('; ')}`);
  }
  return {
    rules,
    config,
    state: new MemoryStateStore(),
    notifier: logNotifier(log),
    log,
    now: () => Date.now(),
    getRun: lazyRunPort(env.RUNGUARD_RUN_ENDPOINT),
    remediate: (action, name, params, run) => remediate(action, name, params, run),
    fightDetection: config.fightDetection,
  };
}

// The Cloud Run client costs ~300 ms to load; events about projects or service accounts never need it.
function lazyRunPort(endpoint: string | undefined): () => Promise<RunPort> {
  let port: Promise<RunPort> | undefined;
  return () => {
    port ??= createServicesClient(endpoint ? { endpoint } : {}).then(createRunPort);
    // A failed construction is not cached, so the next event tries again.
    port.catch(() => {
      port = undefined;
    });
    return port;
  };
}
