import { createLiveDeps, lazyRunClient } from '../enforcement/deps.js';
import { type Logger, stdoutLogger } from '../core/log.js';
import { createProjectLister } from '../clients/projects.js';
import { type ReconcileDeps, SCOPE } from './run.js';

/**
 * The live path's pieces (configuration, rules, state, Slack, remediation) plus what only the sweep
 * needs: the listing side of the Cloud Run client, Resource Manager, and RUNGUARD_SCOPE.
 * RUNGUARD_RUN_ENDPOINT / RUNGUARD_RESOURCE_MANAGER_ENDPOINT point at local stand-ins (loopback only).
 */
export async function createReconcileDeps(env: NodeJS.ProcessEnv, log: Logger = stdoutLogger): Promise<ReconcileDeps> {
  const live = await createLiveDeps(env, log);
  const run = lazyRunClient(env.RUNGUARD_RUN_ENDPOINT);
  const scope = env.RUNGUARD_SCOPE ?? '';
  if (scope !== '' && !SCOPE.test(scope)) {
    throw new Error(`RUNGUARD_SCOPE must be organizations/N, folders/N or projects/P, not "${scope}"`);
  }
  const endpoint = env.RUNGUARD_RESOURCE_MANAGER_ENDPOINT;
  return {
    ...live,
    getRun: run.getRun,
    inventory: run.inventory,
    scope,
    getProjectLister: () => createProjectLister(endpoint ? { endpoint } : {}),
  };
}
