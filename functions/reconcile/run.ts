import type { Config } from '../config/load.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { sweep } from './sweep.js';
import type { SweepDeps, SweepReport } from './types.js';
import type { ProjectLister } from '../clients/projects.js';
import { searchQueryForScope } from '../clients/projects.js';

// The scheduled sweep: which projects, then `sweep`. Cloud Scheduler publishes to a topic and the
// function runs with retries off: a sweep that fails is logged and the next one comes anyway.

/** A Google Cloud project id: 6–30 lower-case letters, digits and hyphens, starting with a letter. */
const PROJECT_ID = '[a-z][a-z0-9-]{4,28}[a-z0-9]';
const A_PROJECT_ID = new RegExp(`^${PROJECT_ID}$`);
/** What RUNGUARD_SCOPE may name. */
export const SCOPE = new RegExp(`^(organizations/\\d+|folders/\\d+|projects/${PROJECT_ID})$`);

export interface ReconcileDeps extends Omit<SweepDeps, 'act' | 'notify' | 'onProgress'> {
  /** organizations/N, folders/N or projects/P: what the deployment watches (RUNGUARD_SCOPE). '' when unset. */
  scope: string;
  /** Resource Manager, for organization and folder scopes. */
  getProjectLister: () => Promise<ProjectLister>;
}

export interface ReconcileResult {
  projects: string[];
  report: SweepReport;
  /** Set when the project list could not be read; the sweep then covered the configured ids only. */
  listError?: string;
}

export async function handleReconcile(deps: ReconcileDeps): Promise<ReconcileResult> {
  const { projects, listError } = await projectsInScope(deps.scope, deps.config, deps.getProjectLister, deps.log);
  const report = await sweep(projects, { ...deps, act: true, notify: true });
  if (listError) report.unread.unshift({ project: deps.scope, what: 'project list', reason: listError });
  return { projects, report, ...(listError ? { listError } : {}) };
}

/**
 * projects/P: that project. organizations/N or folders/N: every project Resource Manager shows the
 * sweep's identity. Always, the projects the configuration names literally (not by pattern), so a
 * failed listing still covers the ones a team said matter most.
 */
export async function projectsInScope(
  scope: string,
  config: Config,
  getLister: () => Promise<ProjectLister>,
  log: Logger,
): Promise<{ projects: string[]; listError?: string }> {
  const named = config.projects
    .filter((p) => p.mode !== 'off' && A_PROJECT_ID.test(p.match.source))
    .map((p) => p.match.source);
  const single = /^projects\/([^/]+)$/.exec(scope);
  if (single) return { projects: [single[1]!] };
  if (scope === '') return { projects: [...new Set(named)] };
  try {
    const lister = await getLister();
    try {
      const found = await lister.list(searchQueryForScope(scope));
      return { projects: [...new Set([...named, ...found.map((p) => p.projectId)])].sort() };
    } finally {
      await lister.close();
    }
  } catch (e) {
    const listError = `could not list the projects in ${scope}: ${describeError(e)}`;
    log({
      severity: 'ERROR',
      message: `${listError}; sweeping the ${named.length} project(s) the configuration names`,
      event: 'sweep-list-failed',
      scope,
    });
    return { projects: [...new Set(named)], listError };
  }
}
