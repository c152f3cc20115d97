import { DURATION, parseDuration } from '../core/duration.js';
import type { Logger } from '../core/log.js';
import { chartSvg } from './chart-svg.js';
import { gatherReport, type ReportStore } from './gather.js';
import type { Recommendation, WeeklyReport } from './model.js';
import { svgToPng } from './png.js';
import { postReport, type ReportSlackApi } from './post.js';
import type { ReportRequest } from './request.js';

// The scheduled weekly report: gather, draw, post to the default channel. Read-only on the state
// store. The audit log is not read here (the reconcile identity has no Logging role): days before
// history began are shown as such; `runguard report` fills them from the log.

export interface ReportDeps {
  state: ReportStore;
  /** Absent: Slack is not configured, and the report is logged only. */
  slack: { api: ReportSlackApi; channel: string } | null;
  log: Logger;
  now: () => number;
  recommendations?: () => Promise<Recommendation[]>;
}

export async function handleWeeklyReport(
  request: ReportRequest,
  deps: ReportDeps,
): Promise<{ report: WeeklyReport; posted: boolean }> {
  const now = deps.now();
  const since = now - (request.since && DURATION.test(request.since) ? parseDuration(request.since) : 7 * 86_400_000);
  const recommendations = await deps.recommendations?.();
  const report = await gatherReport(deps.state, { since, now, ...(recommendations ? { recommendations } : {}) });
  const t = report.totals;
  const summary = `${t.findings} findings, ${t.reverts} reverted, ${t.exempt} exempted, ${report.fights.length} fights`;
  if (!deps.slack) {
    deps.log({
      severity: 'WARNING',
      message: `weekly report not posted (Slack is not configured): ${summary}`,
      event: 'report',
    });
    return { report, posted: false };
  }
  const png = await svgToPng(chartSvg(report));
  const where = await postReport(deps.slack.api, deps.slack.channel, report, png);
  deps.log({
    severity: 'INFO',
    message: `weekly report posted to ${where.channel}: ${summary}`,
    event: 'report',
    channel: where.channel,
    pngBytes: png.length,
  });
  return { report, posted: true };
}
