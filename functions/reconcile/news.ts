import { describeError } from '../core/errors.js';
import type { Alert, Observation, SweepHealth, SweepSummary } from '../core/notify.js';
import type { ChangeEvent, Decision, ProjectMode } from '../core/types.js';
import { type Verdict, verdictWithoutAction } from '../core/verdict.js';
import { act } from '../enforcement/act.js';
import { markFingerprint, sweepFingerprint } from '../enforcement/marks.js';
import { recordDecision } from '../enforcement/record.js';
import { decisionRecord } from '../history/from-verdict.js';
import { ruleText } from '../enforcement/rule-text.js';
import type { SweepMark } from '../state/types.js';
import type { ProjectRead } from './read.js';
import type { Acted, Judged, ProjectReport, SweepDeps, SweepReport } from './types.js';

// After reading: acting on what the configuration enforces, deciding what is news (the sweep marks),
// and reporting it: the findings in the report, an alert per new finding, one summary per sweep.

const SWEPT: Observation = { source: 'live' };

/** Acts on a project's judged services, then reports its findings; `out` gets the count and completeness. */
export async function reportProject(
  project: string,
  mode: ProjectMode,
  started: number,
  read: ProjectRead,
  ctx: { deps: SweepDeps; report: SweepReport; out: ProjectReport },
): Promise<void> {
  const { judged, timedOut } = read;
  const { deps, report, out } = ctx;
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
    if (deps.notify && isNew && v.verdict.done !== 'exempt' && !(await notify(v, deps))) report.undelivered++;
  }
  for (const j of judged)
    for (const e of j.result.ruleErrors)
      report.ruleErrors.push({ resource: j.result.resource, rule: e.rule, message: e.message });
  // History keeps what the sweep found new (an unchanged finding was recorded when it was).
  if (deps.notify) await recordNews(verdicts, news, report.startedAt, deps);
  out.findings = verdicts.length;
  out.complete = !timedOut && !report.unread.some((u) => u.project === project);
  if (deps.notify && out.complete) await deps.state.setLastSweep(project, started);
}

async function recordNews(verdicts: readonly Acted[], news: ReadonlySet<string>, startedAt: number, deps: SweepDeps) {
  const records = verdicts
    .filter((v) => news.has(v.verdict.decision.finding.key))
    .map((v) => decisionRecord(v.verdict, { foundBy: 'sweep', event: v.event, startedAt }, deps.now()));
  if (records.length === 0) return;
  await deps.state.recordDecisions(records).catch((e: unknown) =>
    deps.log({
      severity: 'ERROR',
      message: `could not record ${records.length} sweep decision(s) in the history: ${describeError(e)}`,
      event: 'history-unrecorded',
    }),
  );
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
              summary:
                `would ${decision.finding.remediation?.action ?? 'revert'} (enforce mode); ` +
                `read-only: nothing was changed`,
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
    // The sweep sees standing state, not a change: it never starts or extends a fight, nor counts its reverts.
    return await act(decision, event, deps, deps.now(), { origin: 'sweep' });
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
    // One rule may report several subjects on a resource: the message tells them apart.
    const i = findings.findIndex(
      (f) =>
        f.resource === decision.finding.resource &&
        f.rule === decision.finding.rule &&
        f.message === decision.finding.message,
    );
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
    const fingerprint = sweepFingerprint(a.verdict);
    const mark = marks.get(key);
    const continuous = mark !== undefined && previous !== null && mark.lastSeen >= previous;
    // A revert is always news: something was changed in production.
    if (!mark || mark.fingerprint !== fingerprint || !continuous || a.verdict.done === 'reverted') news.add(key);
    updated.set(key, {
      fingerprint: markFingerprint(a.verdict),
      firstSeen: mark && continuous ? mark.firstSeen : started,
      lastSeen: started,
    });
  }
  await deps.state.setSweepMarks(updated);
  return news;
}

/** False when Slack refused the alert for good. */
async function notify(a: Acted, deps: SweepDeps): Promise<boolean> {
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
    return true;
  } catch (e) {
    deps.log({
      severity: 'ERROR',
      message: `sweep alert for ${f.rule} on ${f.resource} NOT DELIVERED: ${describeError(e)}`,
      event: 'alert-undelivered',
      findingKey: f.key,
      done: a.verdict.done,
    });
    return false;
  }
}

export async function summarize(report: SweepReport, deps: SweepDeps): Promise<void> {
  const news = report.findings.filter((f) => f.isNew && f.done !== 'exempt');
  const health = healthOf(report);
  const unhealthy = Object.values(health).some((n) => n > 0);
  if (news.length === 0 && !unhealthy) return;
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
    ...(unhealthy ? { health } : {}),
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

/** The self-watch kinds this sweep saw: counted in its summary, paged on by the self-watch policy. */
export function healthOf(report: SweepReport): SweepHealth {
  return {
    undelivered: report.undelivered,
    ruleErrors: report.ruleErrors.length,
    failed: report.findings.filter((f) => f.done === 'failed').length,
    fights: report.findings.filter((f) => f.done === 'fighting').length,
  };
}
