import type { KnownBlock } from '@slack/types';
import { shortServiceName } from '../core/service.js';
import { type Severity, SEVERITY_RANK } from '../core/types.js';
import type { SweepSummary } from '../core/notify.js';
import { HEADER_TEXT, SECTION_TEXT } from './limits.js';
import { SEVERITY_MARKER, type RenderedAlert } from './render.js';
import { code, fitMrkdwn, md, oneLine, plain } from './render-text.js';

// One message per sweep that found something new: how many, where, what was done, and what could
// not be read. Each new finding also has its own alert thread; this is the overview. Pure.

const LISTED = 15;

export function renderSweepSummary(s: SweepSummary): RenderedAlert {
  const n = s.news.length;
  const seconds = Math.max(0, Math.round((s.finishedAt - s.startedAt) / 1000));
  const worst =
    s.news.map((f) => f.severity as Severity).sort((a, b) => SEVERITY_RANK[a] - SEVERITY_RANK[b])[0] ?? 'LOW';
  const head = `${SEVERITY_MARKER[worst]} runguard sweep: ${n} new finding${n === 1 ? '' : 's'}`;
  const lines = s.news
    .slice(0, LISTED)
    .map(
      (f) =>
        `${SEVERITY_MARKER[f.severity as Severity] ?? '⚪'} ${code(f.rule, 60)} ` +
        `on ${code(shortServiceName(f.resource), 120)} ` +
        `— ${md(oneLine(f.message), 200)} · _${md(oneLine(f.done), 20)}_`,
    );
  if (n > LISTED) lines.push(`…and ${n - LISTED} more (each has its own alert)`);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: plain(head, HEADER_TEXT), emoji: true } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        // A sweep with nothing new is summarized only when runguard itself had trouble: say so, never an empty section.
        text: fitMrkdwn(lines.length > 0 ? lines.join('\n') : '_No new findings._', SECTION_TEXT),
        verbatim: true,
      },
    },
  ];
  if (s.unread.length > 0) {
    const unread = s.unread
      .slice(0, 10)
      .map((u) => `• ${code(u.project, 60)} ${md(u.what, 200)}: ${md(oneLine(u.reason), 300)}`);
    if (s.unread.length > 10) unread.push(`…and ${s.unread.length - 10} more`);
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: fitMrkdwn(`*Could not read* (these were not checked):\n${unread.join('\n')}`, SECTION_TEXT),
        verbatim: true,
      },
    });
  }
  const health = healthWords(s);
  if (health)
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: fitMrkdwn(`:rotating_light: *runguard itself*: ${health}`, SECTION_TEXT),
        verbatim: true,
      },
    });
  const ongoing = s.ongoing > 0 ? ` · ${s.ongoing} already alerted and unchanged` : '';
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `${s.services} services in ${s.projects} project${s.projects === 1 ? '' : 's'} in ${seconds} s${ongoing}`,
        verbatim: true,
      },
    ],
  });
  const text = plain(
    `runguard sweep: ${n} new finding${n === 1 ? '' : 's'} in ${s.projects} project${s.projects === 1 ? '' : 's'}` +
      `${s.unread.length ? `, ${s.unread.length} not read` : ''}` +
      `${health ? `; runguard itself: ${health}` : ''}`,
    300,
  );
  return { text, blocks };
}

/** "2 alerts not delivered, 1 rule error, 1 revert failed, 1 fight", or '' when all is well. */
export function healthWords(s: SweepSummary): string {
  const h = s.health;
  if (!h) return '';
  const part = (n: number, one: string, many: string) => (n > 0 ? [`${n} ${n === 1 ? one : many}`] : []);
  return [
    ...part(h.undelivered, 'alert not delivered', 'alerts not delivered'),
    ...part(h.ruleErrors, 'rule error', 'rule errors'),
    ...part(h.failed, 'revert failed', 'reverts failed'),
    ...part(h.fights, 'fight', 'fights'),
  ].join(', ');
}
