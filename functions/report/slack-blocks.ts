import { code, codeBlock, fitMrkdwn, md, plain, utc } from '../slack/render-text.js';
import { FIELD_TEXT, HEADER_TEXT, SECTION_TEXT } from '../slack/limits.js';
import { range } from './chart-svg.js';
import type { Ranked, Recommendation, WeeklyReport } from './model.js';

// The weekly report as the Slack message the chart is shared with: totals, top actors and projects,
// exemptions expiring in the coming week, fights, and the recommendations when there are any. Every
// name in it came from an audit entry or an approver, so all of it is escaped and clipped.

const LIST = 8;

export function reportBlocks(report: WeeklyReport): { text: string; blocks: unknown[] } {
  const t = report.totals;
  const summary =
    `*${t.findings}* findings · *${t.reverts}* reverted · *${t.exempt}* exempted · ${t.alerted} alerted only` +
    (t.failed ? ` · ${t.failed} failed` : '') +
    ` · *${report.fights.length}* fight(s) on`;
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: plain(`runguard weekly: ${range(report)}`, HEADER_TEXT) } },
    { type: 'section', text: { type: 'mrkdwn', text: summary } },
  ];
  const fromLog = report.days.filter((d) => d.source === 'log').map((d) => d.date);
  const none = report.days.filter((d) => d.source === 'none').map((d) => d.date);
  if (fromLog.length > 0 || none.length > 0)
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text:
            (fromLog.length
              ? `${days(fromLog)}: from the Admin Activity log, what runguard *would* have done ` +
                '(no history kept then). '
              : '') + (none.length ? `${days(none)}: no history kept yet.` : ''),
        },
      ],
    });
  blocks.push({
    type: 'section',
    fields: [
      { type: 'mrkdwn', text: ranked('Top actors', report.topActors) },
      { type: 'mrkdwn', text: ranked('Top projects', report.topProjects) },
    ],
  });
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: expiring(report) } });
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: fights(report) } });
  if (report.recommendations && report.recommendations.length > 0)
    blocks.push({ type: 'divider' }, ...recommendationBlocks(report.recommendations));
  const text = `runguard weekly ${range(report)}: ${t.findings} findings, ${t.reverts} reverted, ${t.exempt} exempted`;
  return { text, blocks };
}

function days(dates: string[]): string {
  return dates.length === 1 ? dates[0]! : `${dates[0]} → ${dates.at(-1)}`;
}

function ranked(title: string, rows: readonly Ranked[]): string {
  if (rows.length === 0) return `*${title}*\nnone`;
  const lines = rows.map((r) => `${md(r.name, 80)}: ${r.findings} (${r.reverts} reverted)`);
  return fitMrkdwn(`*${title}*\n${lines.join('\n')}`, FIELD_TEXT);
}

function expiring(report: WeeklyReport): string {
  const title = '*Exemptions expiring in the coming week*';
  if (report.expiring.length === 0) return `${title}\nnone`;
  const lines = report.expiring
    .slice(0, LIST)
    .map(
      (e) =>
        `• ${utc(e.expires)}: ${code(e.rule, 80)} on ${code(e.resource, 200)}, ` +
        `approved by ${md(e.approvedBy, 80)} for ${md(e.requester, 80)}: _${md(e.reason, 200)}_`,
    );
  const more = report.expiring.length > LIST ? `\n…and ${report.expiring.length - LIST} more` : '';
  return fitMrkdwn(`${title}\n${lines.join('\n')}${more}`, SECTION_TEXT);
}

function fights(report: WeeklyReport): string {
  const title = '*Fights* (runguard stopped reverting: something keeps putting the setting back)';
  if (report.fights.length === 0) return `${title}\nnone`;
  const lines = report.fights
    .slice(0, LIST)
    .map(
      (f) =>
        `• ${code(f.rule, 80)} on ${code(f.resource, 200)} against ${md(f.actor || 'an unknown actor', 120)}, ` +
        `${f.reverts} revert(s) since ${utc(new Date(f.since).toISOString())}`,
    );
  const more = report.fights.length > LIST ? `\n…and ${report.fights.length - LIST} more` : '';
  return fitMrkdwn(`${title}\n${lines.join('\n')}${more}`, SECTION_TEXT);
}

/** One section per recommended guardrail, at most ten: the message must stay within Slack's 50 blocks. */
export function recommendationBlocks(recs: readonly Recommendation[]): unknown[] {
  return [
    { type: 'section', text: { type: 'mrkdwn', text: '*Recommended guardrails*' } },
    ...recs.slice(0, 10).map((r) => ({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: fitMrkdwn(
          `*${md(r.title, 200)}*\n${md(r.evidence, 1200)}${r.command ? `\n${codeBlock(r.command, 1400)}` : ''}`,
          SECTION_TEXT,
        ),
      },
    })),
  ];
}
