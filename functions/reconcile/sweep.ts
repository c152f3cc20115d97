import pLimit from 'p-limit';
import { projectMode } from '../config/resolve.js';
import { SEVERITY_RANK } from '../core/types.js';
import { reportProject, summarize } from './news.js';
import { readProject } from './read.js';
import type { Limit, ProjectReport, SweepDeps, SweepProgress, SweepReport } from './types.js';

// The drift backstop: read what is deployed, not what changed, and put it through the same
// evaluate → decide → act → notify path as a live event. Used by the scheduled `reconcile`
// function and by `runguard scan`. Reading with its time budget is read.ts; acting, deciding what
// is news and reporting it is news.ts; this file runs them, a few projects at a time, within the sweep's budget.

export async function sweep(projects: readonly string[], deps: SweepDeps): Promise<SweepReport> {
  const startedAt = deps.now();
  const { concurrency } = deps.config.reconcile;
  // One budget of API calls in flight for the whole sweep; a few projects at a time so each
  // project's time budget measures its own work, not its wait behind the others.
  const calls = pLimit(concurrency);
  const projectSlots = pLimit(Math.max(1, Math.min(4, Math.ceil(concurrency / 4))));
  const report: SweepReport = {
    startedAt,
    finishedAt: startedAt,
    projects: [],
    findings: [],
    unread: [],
    ruleErrors: [],
    undelivered: 0,
    planned: [],
  };
  const sweepDeadline = startedAt + deps.config.reconcile.sweepBudgetMs;
  const late: string[] = [];
  const results = await Promise.all(
    [...new Set(projects)].map((p) =>
      projectSlots(async () => {
        // Past the sweep's budget the function's timeout is near: leave the rest to the next sweep, and say so.
        if (deps.now() > sweepDeadline) {
          late.push(p);
          return null;
        }
        return sweepProject(p, deps, calls, report);
      }),
    ),
  );
  if (late.length > 0)
    report.unread.push({
      project: late.length === 1 ? late[0]! : `${late.length} projects`,
      what: 'sweep budget',
      reason: `not started within ${deps.config.reconcile.sweepBudgetMs} ms: ${late.sort().join(', ')}`,
    });
  report.projects = results.filter((r): r is ProjectReport => r !== null);
  report.findings.sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      a.resource.localeCompare(b.resource) ||
      a.rule.localeCompare(b.rule),
  );
  report.finishedAt = deps.now();
  if (deps.notify) await summarize(report, deps);
  // A burst's details whose drainer died or ran out of time wait for this, or for the next alert.
  if (deps.notify)
    await deps.notifier.resume?.().catch((e: unknown) =>
      deps.log({
        severity: 'WARNING',
        message: `burst details not resumed: ${(e as Error)?.message ?? String(e)}`,
        event: 'digest-drain-paused',
      }),
    );
  const scanned = report.projects.reduce((n, p) => n + p.scanned, 0);
  const fresh = report.findings.filter((f) => f.isNew).length;
  deps.log({
    severity: report.unread.length > 0 ? 'WARNING' : 'INFO',
    message:
      `sweep done: ${scanned} services in ${report.projects.length} project(s), ` +
      `${report.findings.length} finding(s) (${fresh} new), ${report.unread.length} not read, ` +
      `${report.finishedAt - startedAt} ms`,
    event: 'sweep',
    projects: report.projects,
    unread: report.unread,
  });
  return report;
}

async function sweepProject(
  project: string,
  deps: SweepDeps,
  calls: Limit,
  report: SweepReport,
): Promise<ProjectReport | null> {
  const started = deps.now();
  const mode = projectMode(deps.config, project, `projects/${project}`);
  if (mode === 'off') return null;
  const progress: SweepProgress = { project, total: 0, scanned: 0, listed: false, done: false };
  const tell = () => deps.onProgress?.({ ...progress });
  const out: ProjectReport = {
    project,
    mode,
    locations: 0,
    services: 0,
    scanned: 0,
    gone: 0,
    findings: 0,
    complete: false,
    ms: 0,
  };
  tell();

  const read = await readProject(project, mode, started, { deps, calls, report, out, progress, tell });
  if (read) await reportProject(project, mode, started, read, { deps, report, out });
  progress.done = true;
  progress.listed = true;
  tell();
  out.ms = deps.now() - started;
  return out;
}
