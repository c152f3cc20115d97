import type { Config } from '../config/resolve.js';
import { lazyRunClient } from '../enforcement/deps.js';
import type { HistoryReader } from '../history/types.js';
import { createProjectLister } from '../clients/projects.js';
import { createFolderReader } from './folders-client.js';
import type { RecommendPorts } from './gather.js';
import type { KnownExemption } from './propose.js';

// The real clients behind recommend()'s ports, for the CLI and the scheduled weekly report alike:
// Resource Manager (projects and folders), Cloud Run, the configuration's exemptions. The
// RUNGUARD_*_ENDPOINT variables point them at local stand-ins (loopback only).

export async function openRecommendPorts(
  env: NodeJS.ProcessEnv,
  config: Config,
  sources: { history: readonly HistoryReader[]; breakglass: (() => Promise<KnownExemption[]>) | null },
): Promise<{ ports: RecommendPorts; close: () => Promise<void> }> {
  const run = lazyRunClient(env.RUNGUARD_RUN_ENDPOINT);
  const rm = env.RUNGUARD_RESOURCE_MANAGER_ENDPOINT;
  const [lister, folders] = await Promise.all([
    createProjectLister(rm ? { endpoint: rm } : {}),
    createFolderReader(rm ? { endpoint: rm } : {}),
  ]);
  return {
    ports: {
      history: sources.history,
      listProjects: () => lister.list(),
      folderParent: (f) => folders.parent(f),
      inventory: run.inventory,
      getIamPolicy: async (name) => (await run.getRun()).getIamPolicy(name),
      ...(config.reconcile.locations ? { locations: config.reconcile.locations } : {}),
      configExemptions: config.exemptions.map(({ glob: _g, expiresAt: _e, ...e }) => e),
      breakglass: sources.breakglass,
    },
    close: async () => {
      await Promise.all([lister.close(), folders.close()]);
    },
  };
}
