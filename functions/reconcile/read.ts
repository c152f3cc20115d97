import { RunPortError } from '../core/google-api-error.js';
import { describeError } from '../core/errors.js';
import { unknownActor } from '../core/service.js';
import type { ChangeEvent, ProjectMode, RunService } from '../core/types.js';
import { compileExactExemption } from '../decisions/exemptions.js';
import { judge } from '../enforcement/pipeline.js';
import type { Judged, Limit, ProjectReport, SweepDeps, SweepProgress, SweepReport } from './types.js';

// Reading one project within its time budget: its regions, every service in them, each service's
// policy, each judged as it arrives. What could not be read is said in the report, never skipped silently.

/** What reading a project gave: the judged services, and whether the budget ran out first. */
export interface ProjectRead {
  judged: Judged[];
  timedOut: boolean;
}

/**
 * Reads and judges every service of `project`, filling in `out` and `progress` as it goes; null when
 * not even the project's regions could be read.
 */
export async function readProject(
  project: string,
  mode: ProjectMode,
  started: number,
  ctx: {
    deps: SweepDeps;
    calls: Limit;
    report: SweepReport;
    out: ProjectReport;
    progress: SweepProgress;
    tell: () => void;
  },
): Promise<ProjectRead | null> {
  const { deps, calls, report, out, progress, tell } = ctx;
  const deadline = started + deps.config.reconcile.projectBudgetMs;
  const unread = (what: string, e: unknown) => report.unread.push({ project, what, reason: reasonOf(e) });

  let locations = deps.config.reconcile.locations;
  if (!locations) {
    try {
      locations = await calls(() => deps.inventory.listLocations(project));
    } catch (e) {
      unread('project', e);
      return null;
    }
  }
  out.locations = locations.length;

  let timedOut = false;
  const pastBudget = () => (timedOut ||= deps.now() > deadline);
  const regionErrors = new Map<string, string[]>();
  const judged: Judged[] = [];
  // Services are judged as their region's list arrives, so a slow region does not hold the rest up.
  await Promise.all(
    locations.map(async (location) => {
      const services = await calls(async () =>
        pastBudget() ? null : deps.inventory.listServices(project, location),
      ).catch((e: unknown) => {
        const reason = reasonOf(e);
        regionErrors.set(reason, [...(regionErrors.get(reason) ?? []), location]);
        return null;
      });
      if (!services) return;
      progress.total += services.length;
      tell();
      await Promise.all(
        services.map((service) =>
          calls(async () => {
            if (pastBudget()) return;
            try {
              const j = await judgeService(service, project, location, mode, deps, unread);
              if (j === 'gone') out.gone++;
              else judged.push(j);
            } catch (e) {
              unread(`service ${service.name}`, e);
            }
            progress.scanned++;
            tell();
          }),
        ),
      );
    }),
  );
  // A project runguard may not read answers the same in every region: one line, not forty.
  for (const [reason, regions] of regionErrors) {
    report.unread.push({
      project,
      what: regions.length === 1 ? `region ${regions[0]}` : `${regions.length} regions (${regions.sort().join(', ')})`,
      reason,
    });
  }
  out.services = progress.total;
  out.scanned = progress.scanned;
  if (timedOut)
    report.unread.push({
      project,
      what: 'budget',
      reason:
        `stopped after ${deps.config.reconcile.projectBudgetMs} ms with ` +
        `${progress.total - progress.scanned} of ${progress.total} services not judged`,
    });
  return { judged, timedOut };
}

/** The live service and its policy, as a change with no change behind it: the actor is "found by sweep". */
export function sweptEvent(
  service: RunService,
  policy: ChangeEvent['policy'],
  project: string,
  location: string,
  now: number,
): ChangeEvent {
  return {
    insertId: '',
    logName: '',
    timestamp: new Date(now).toISOString(),
    method: '',
    serviceName: 'run.googleapis.com',
    kind: 'update',
    resource: { type: 'run.googleapis.com/Service', name: service.name, project, location },
    actor: unknownActor(),
    operation: null,
    service,
    serviceSource: 'live',
    policy,
    deltas: [],
    deltaSource: 'none',
    updateMask: [],
    orgPolicy: null,
    binauthzPolicy: null,
  };
}

async function judgeService(
  service: RunService,
  project: string,
  location: string,
  mode: ProjectMode,
  deps: SweepDeps,
  unread: (what: string, e: unknown) => void,
): Promise<Judged | 'gone'> {
  const now = deps.now();
  let policy: ChangeEvent['policy'] = null;
  try {
    const run = await deps.getRun();
    policy = await run.getIamPolicy(service.name);
    if (policy === null) return 'gone';
  } catch (e) {
    // The service's own settings are still judged; the report says the policy was not.
    unread(`policy of ${service.name}`, e);
  }
  const event = sweptEvent(service, policy, project, location, now);
  const base = { index: 0, insertId: `sweep:${now}`, method: 'runguard.sweep', timestamp: event.timestamp };
  const core = { rules: deps.rules, config: deps.config, now };
  let result = judge({ event, mode, base }, core);
  if (result.findings.length > 0) {
    // Breakglass exemptions are read only where something fired: most services are clean.
    const breakglass = (await deps.state.exemptionsFor(service.name)).map(compileExactExemption);
    if (breakglass.length > 0) result = judge({ event, mode, base }, { ...core, exemptions: breakglass });
  }
  return { event, result };
}

function reasonOf(e: unknown): string {
  if (e instanceof RunPortError) return e.permission ? `permission ${e.permission} denied` : `${e.code}: ${e.message}`;
  return describeError(e);
}
