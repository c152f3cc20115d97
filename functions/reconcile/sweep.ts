import pLimit from 'p-limit';
import { projectMode } from '../config/resolve.js';
import { type EntryResult, judge } from '../core/pipeline.js';
import {
  type ChangeEvent,
  type Decision,
  type ProjectMode,
  type RunService,
  type Severity,
  SEVERITY_RANK,
} from '../core/types.js';
import { compileExactExemption } from '../decisions/exemptions.js';
import { act } from '../live/act.js';
import { type LiveDeps, ruleText } from '../live/audit-events.js';
import { describeError } from '../live/errors.js';
import type { Alert, SweepSummary } from '../live/notify.js';
import type { Observation } from '../live/observe.js';
import { recordDecision } from '../live/record.js';
import { type Verdict, verdictWithoutAction } from '../live/verdict.js';
import { RunPortError, type RunInventory } from '../remediation/types.js';
import type { SweepMark } from '../state/types.js';

// The drift backstop: read what is deployed, not what changed, and put it through the same
// evaluate → decide → act → notify path as a live event. Used by the scheduled `reconcile`
// function and by `runguard scan`.

/** The live path's dependencies, plus the listing side of Cloud Run. */
export interface SweepDeps extends LiveDeps {
  inventory: RunInventory;
  /** false (scan without --fix): nothing is changed; a revert decision is reported as what would be done. */
  act: boolean;
  /** false (scan): no Slack, no marks; the caller prints the report. */
  notify: boolean;
  onProgress?: (p: SweepProgress) => void;
}

export interface SweepProgress {
  project: string;
  /** Services found so far in the project's regions, and how many of them are judged. */
  total: number;
  scanned: number;
  /** True once every region of the project has been listed (total is final). */
  listed: boolean;
  done: boolean;
}

export interface SweepFinding {
  project: string;
  resource: string;
  location: string;
  rule: string;
  severity: Severity;
  message: string;
  mode: ProjectMode;
  action: Decision['action'];
  done: Verdict['done'];
  summary: string;
  /** Not alerted before, changed since, or back after it had gone. */
  isNew: boolean;
}

export interface ProjectReport {
  project: string;
  mode: ProjectMode;
  locations: number;
  services: number;
  scanned: number;
  /** Services deleted between the listing and the reading. */
  gone: number;
  findings: number;
  /** Every region listed and every service judged within the budget. */
  complete: boolean;
  ms: number;
}

export interface Unread {
  project: string;
  /** "project", "region us-central1", "policy of projects/p/locations/l/services/s", "budget". */
  what: string;
  reason: string;
}

export interface SweepReport {
  startedAt: number;
  finishedAt: number;
  projects: ProjectReport[];
  findings: SweepFinding[];
  unread: Unread[];
  /** Rules that failed to evaluate: reported, never a silent pass. */
  ruleErrors: Array<{ resource: string; rule: string; message: string }>;
  /** Read-only sweeps: the reverts enforce mode calls for, for `applyPlanned` after they are shown. */
  planned: Array<{ decision: Decision; event: ChangeEvent }>;
}

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
  deps.log({
    severity: report.unread.length > 0 ? 'WARNING' : 'INFO',
    message: `sweep done: ${report.projects.reduce((n, p) => n + p.scanned, 0)} services in ${report.projects.length} project(s), ${report.findings.length} finding(s) (${report.findings.filter((f) => f.isNew).length} new), ${report.unread.length} not read, ${report.finishedAt - startedAt} ms`,
    event: 'sweep',
    projects: report.projects,
    unread: report.unread,
  });
  return report;
}

type Limit = ReturnType<typeof pLimit>;

async function sweepProject(
  project: string,
  deps: SweepDeps,
  calls: Limit,
  report: SweepReport,
): Promise<ProjectReport | null> {
  const started = deps.now();
  const mode = projectMode(deps.config, project, `projects/${project}`);
  if (mode === 'off') return null;
  const deadline = started + deps.config.reconcile.projectBudgetMs;
  const progress: SweepProgress = { project, total: 0, scanned: 0, listed: false, done: false };
  const tell = () => deps.onProgress?.({ ...progress });
  const unread = (what: string, e: unknown) => report.unread.push({ project, what, reason: reasonOf(e) });
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

  let locations = deps.config.reconcile.locations;
  if (!locations) {
    try {
      locations = await calls(() => deps.inventory.listLocations(project));
    } catch (e) {
      unread('project', e);
      return finish();
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
      reason: `stopped after ${deps.config.reconcile.projectBudgetMs} ms with ${progress.total - progress.scanned} of ${progress.total} services not judged`,
    });

  // Acting and alerting happen after reading, one service at a time, so reverts and Slack keep their own pace.
  const verdicts = await decideAndAct(judged, deps);
  const news = deps.notify
    ? await newness(project, verdicts, started, deps)
    : new Set(verdicts.map((v) => v.verdict.decision.finding.key));
  for (const v of verdicts) {
    const f = v.verdict.decision.finding;
    const isNew = news.has(f.key);
    report.findings.push({
      project,
      resource: f.resource,
      location: v.event.resource.location,
      rule: f.rule,
      severity: f.severity,
      message: f.message,
      mode,
      action: v.verdict.decision.action,
      done: v.verdict.done,
      summary: v.verdict.summary,
      isNew,
    });
    recordDecision(deps.log, v.result, v.verdict, SWEPT);
    if (v.verdict.done === 'dry-run' && !deps.act && v.verdict.decision.action === 'revert')
      report.planned.push({ decision: v.verdict.decision, event: v.event });
    if (deps.notify && isNew && v.verdict.done !== 'exempt') await notify(v, deps);
  }
  for (const j of judged)
    for (const e of j.result.ruleErrors)
      report.ruleErrors.push({ resource: j.result.resource, rule: e.rule, message: e.message });
  out.findings = verdicts.length;
  out.complete = !timedOut && !report.unread.some((u) => u.project === project);
  if (deps.notify && out.complete) await deps.state.setLastSweep(project, started);
  return finish();

  function finish(): ProjectReport {
    progress.done = true;
    progress.listed = true;
    tell();
    out.ms = deps.now() - started;
    return out;
  }
}

interface Judged {
  event: ChangeEvent;
  result: EntryResult;
}

const SWEPT: Observation = { source: 'live' };

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
    actor: { email: '', subject: '', delegation: [], ip: '', userAgent: '', tool: 'unknown', toolDetail: '' },
    operation: null,
    service,
    serviceSource: 'live',
    policy,
    deltas: [],
    deltaSource: 'none',
    updateMask: [],
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

interface Acted extends Judged {
  verdict: Verdict;
}

async function decideAndAct(judged: readonly Judged[], deps: SweepDeps): Promise<Acted[]> {
  const out: Acted[] = [];
  for (const j of judged) {
    for (const decision of j.result.findings) {
      const verdict: Verdict =
        decision.action !== 'revert' || deps.act
          ? await actOrReport(decision, j.event, deps, '; the next sweep tries again')
          : {
              ...verdictWithoutAction(decision),
              done: 'dry-run',
              summary: `would ${decision.finding.remediation?.action ?? 'revert'} (enforce mode); read-only: nothing was changed`,
            };
      out.push({ ...j, verdict });
    }
  }
  return out;
}

/** A failure to act is this finding's verdict, not the sweep's end: the others go on. */
async function actOrReport(
  decision: Decision,
  event: ChangeEvent,
  deps: Omit<SweepDeps, 'onProgress'>,
  after = '',
): Promise<Verdict> {
  try {
    return await act(decision, event, deps, deps.now());
  } catch (e) {
    return {
      decision,
      done: 'failed',
      summary: `could not revert: ${describeError(e)}${after}`,
      outcome: null,
      fight: null,
    };
  }
}

/**
 * Carries out the reverts a read-only sweep planned (`runguard scan --fix`, after printing them).
 * Each revert re-reads the service and writes with its etag, so a change made since the sweep read
 * it is seen, not overwritten.
 */
export async function applyPlanned(report: SweepReport, deps: Omit<SweepDeps, 'onProgress'>): Promise<SweepReport> {
  const findings = [...report.findings];
  for (const { decision, event } of report.planned) {
    const verdict = await actOrReport(decision, event, deps);
    const i = findings.findIndex((f) => f.resource === decision.finding.resource && f.rule === decision.finding.rule);
    if (i >= 0) findings[i] = { ...findings[i]!, done: verdict.done, summary: verdict.summary };
    deps.log({
      severity: verdict.done === 'failed' ? 'ERROR' : 'NOTICE',
      message: `${verdict.done}: ${decision.finding.rule} on ${decision.finding.resource} — ${verdict.summary}`,
      event: 'decision',
      findingKey: decision.finding.key,
      done: verdict.done,
    });
  }
  return { ...report, findings, planned: [], finishedAt: deps.now() };
}

/** Which findings are news: never seen, changed, or not seen by the previous complete sweep. */
async function newness(
  project: string,
  acted: readonly Acted[],
  started: number,
  deps: SweepDeps,
): Promise<Set<string>> {
  const keys = acted.map((a) => a.verdict.decision.finding.key);
  const [marks, previous] = await Promise.all([deps.state.sweepMarks(keys), deps.state.lastSweep(project)]);
  const news = new Set<string>();
  const updated = new Map<string, SweepMark>();
  for (const a of acted) {
    const key = a.verdict.decision.finding.key;
    const fingerprint = fingerprintOf(a.verdict);
    const mark = marks.get(key);
    const continuous = mark !== undefined && previous !== null && mark.lastSeen >= previous;
    // A revert is always news: something was changed in production.
    if (!mark || mark.fingerprint !== fingerprint || !continuous || a.verdict.done === 'reverted') news.add(key);
    updated.set(key, { fingerprint, firstSeen: mark && continuous ? mark.firstSeen : started, lastSeen: started });
  }
  await deps.state.setSweepMarks(updated);
  return news;
}

function fingerprintOf(v: Verdict): string {
  const d = v.decision;
  return [
    d.action,
    d.finding.severity,
    d.finding.message,
    d.exemption ? `${d.exemption.approvedBy}|${d.exemption.expires}` : '',
  ].join('\n');
}

async function notify(a: Acted, deps: SweepDeps): Promise<void> {
  const f = a.verdict.decision.finding;
  const alert: Alert = {
    change: {
      insertId: '',
      method: '',
      timestamp: a.event.timestamp,
      resource: a.event.resource.name,
      project: a.event.resource.project,
      location: a.event.resource.location,
      actor: '',
      tool: 'unknown',
      toolDetail: '',
      foundBy: 'sweep',
    },
    verdict: a.verdict,
    observation: SWEPT,
    rule: ruleText(deps.rules, f.rule, a.event),
  };
  try {
    await deps.notifier.notify(alert);
  } catch (e) {
    deps.log({
      severity: 'ERROR',
      message: `sweep alert for ${f.rule} on ${f.resource} NOT DELIVERED: ${describeError(e)}`,
      event: 'alert-undelivered',
      findingKey: f.key,
      done: a.verdict.done,
    });
  }
}

async function summarize(report: SweepReport, deps: SweepDeps): Promise<void> {
  const news = report.findings.filter((f) => f.isNew && f.done !== 'exempt');
  if (news.length === 0) return;
  const summary: SweepSummary = {
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    projects: report.projects.length,
    services: report.projects.reduce((n, p) => n + p.scanned, 0),
    news: news.map(({ severity, rule, resource, project, message, done, summary: s }) => ({
      severity,
      rule,
      resource,
      project,
      message,
      done,
      summary: s,
    })),
    ongoing: report.findings.length - report.findings.filter((f) => f.isNew).length,
    unread: report.unread,
  };
  try {
    await deps.notifier.summarize(summary);
  } catch (e) {
    deps.log({
      severity: 'ERROR',
      message: `sweep summary NOT DELIVERED: ${describeError(e)}`,
      event: 'alert-undelivered',
    });
  }
}

function reasonOf(e: unknown): string {
  if (e instanceof RunPortError) return e.permission ? `permission ${e.permission} denied` : `${e.code}: ${e.message}`;
  return describeError(e);
}
