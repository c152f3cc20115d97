import type { KnownBlock, MrkdwnElement } from '@slack/types';
import { shortServiceName } from '../core/service.js';
import { type Severity, SEVERITY_RANK } from '../core/types.js';
import type { DigestAggregate, NameCount } from '../state/digest.js';
import { BUDGET, HEADER_TEXT, SECTION_TEXT, TEXT_OBJECT } from './limits.js';
import { type RenderedAlert, SEVERITY_MARKER } from './render.js';
import { code, fitMrkdwn, md, oneLine, plain, utc } from './render-text.js';

// A burst as one Slack message, read in five seconds at 3 a.m.: how many, how bad, what runguard
// did (and what it could not), where (rule × project), who made the changes, which resources.
// Pure, and bounded: a fixed number of blocks and lines whatever the burst holds.

/** What runguard did, in the words the digest uses, most urgent first. */
const DONE_WORDS: Array<[string, string]> = [
  ['failed', '❌ revert failed'],
  ['fighting', '⚔️ fighting (stopped reverting)'],
  ['alerted', '🔔 alert only'],
  ['dry-run', '🧪 dry run'],
  ['exempt', '🛡️ exempt'],
  ['reverted', '↩️ reverted'],
  ['already-safe', '✅ already safe'],
  ['gone', '🗑️ gone'],
];
const WORD = new Map(DONE_WORDS);

export const LISTED_GROUPS = 8;
export const LISTED_NAMES = 5;

export interface DigestView {
  agg: DigestAggregate;
  /** Details already in the thread, if known. */
  detailsPosted?: number;
}

const mrkdwn = (text: string): MrkdwnElement => ({
  type: 'mrkdwn',
  text: fitMrkdwn(text, TEXT_OBJECT),
  verbatim: true,
});
const section = (text: string): KnownBlock => ({ type: 'section', text: mrkdwn(fitMrkdwn(text, SECTION_TEXT)) });

function worstOf(severity: Record<string, number>): Severity {
  const known = Object.keys(severity).filter((s): s is Severity => s in SEVERITY_RANK);
  return known.sort((a, b) => SEVERITY_RANK[a] - SEVERITY_RANK[b])[0] ?? 'LOW';
}

/** "150 reverted · 40 alert only · 10 exempt", in DONE_WORDS order; unknown kinds last, as written. */
export function doneWords(done: Record<string, number>, emoji = true): string {
  const known = DONE_WORDS.filter(([k]) => (done[k] ?? 0) > 0).map(([k, w]) => [done[k]!, w] as const);
  const other = Object.entries(done)
    .filter(([k, n]) => !WORD.has(k) && n > 0)
    .map(([k, n]) => [n, md(k, 30)] as const);
  return [...known, ...other].map(([n, w]) => `${n} ${emoji ? w : w.replace(/^\S+ /, '')}`).join(' · ');
}

function span(agg: DigestAggregate): string {
  const s = Math.max(0, Math.round((agg.lastAt - agg.firstAt) / 1000));
  return s < 60 ? `${s} s` : `${Math.round(s / 60)} min`;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The most frequent names first; a count only where it says something (more than once). */
function topNames(list: NameCount[], more: number, show: (n: string) => string): string {
  const sorted = [...list].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  const lines = sorted.slice(0, LISTED_NAMES).map((n) => `• ${show(n.name)}${n.count > 1 ? ` ×${n.count}` : ''}`);
  const hidden = sorted.slice(LISTED_NAMES).reduce((k, n) => k + n.count, 0) + more;
  if (hidden > 0) lines.push(`• _and ${plural(hidden, 'more finding')} on others_`);
  return lines.join('\n');
}

export function renderDigest(view: DigestView): RenderedAlert {
  const { agg } = view;
  const worst = worstOf(agg.severity);
  const marker = SEVERITY_MARKER[worst];
  const head = `${marker} Burst: ${plural(agg.total, 'finding')} in ${span(agg)} — ${doneWords(agg.done, false)}`;
  const failed = (agg.done.failed ?? 0) + (agg.done.fighting ?? 0);
  const attention =
    failed > 0
      ? `*⚠️ ${plural(failed, 'finding')} still open: runguard could not put ${failed === 1 ? 'it' : 'them'} back.*`
      : (agg.done.alerted ?? 0) + (agg.done['dry-run'] ?? 0) > 0
        ? '*Some are not reverted (alert only or dry run): they are still open.*'
        : '';
  const rank = (sev: string): number => SEVERITY_RANK[sev as Severity] ?? 9;
  const sorted = [...agg.groups].sort(
    (a, b) =>
      rank(a.severity) - rank(b.severity) ||
      b.count - a.count ||
      a.rule.localeCompare(b.rule) ||
      a.project.localeCompare(b.project),
  );
  const lines = sorted
    .slice(0, LISTED_GROUPS)
    .map(
      (g) =>
        `${SEVERITY_MARKER[g.severity as Severity] ?? '⚪'} ${code(g.rule, 80)} in ${code(g.project, 80)} — ` +
        `*${g.count}*: ${doneWords(g.done, false)}`,
    );
  const unlisted = sorted.slice(LISTED_GROUPS);
  const hiddenCount = unlisted.reduce((k, g) => k + g.count, 0) + agg.groupsMore.count;
  if (hiddenCount > 0) {
    const more = agg.groupsMore.count > 0;
    const n = unlisted.length + (more ? 1 : 0);
    lines.push(
      `_and ${plural(hiddenCount, 'more finding')} in ${more ? 'at least ' : ''}${plural(n, 'other rule/project')}_`,
    );
  }
  const actors = topNames(agg.actors, agg.actorsMore, (n) => md(oneLine(n), BUDGET.fieldValue));
  const resources = topNames(agg.resources, agg.resourcesMore, (n) => code(shortServiceName(n), BUDGET.fieldValue));
  const posted = view.detailsPosted;
  const thread =
    posted === undefined
      ? `🧵 Each finding's own alert follows in the thread, about one a second.`
      : `🧵 ${posted} of ${agg.total} alerts in the thread so far, about one a second.`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: plain(head, HEADER_TEXT), emoji: true } },
    ...(attention ? [section(attention)] : []),
    section(`*What runguard did:* ${doneWords(agg.done)}`),
    section(`*By rule and project:*\n${lines.join('\n')}`),
    {
      type: 'section',
      fields: [mrkdwn(`*Who made the changes*\n${actors}`), mrkdwn(`*Resources*\n${resources}`)],
    },
    {
      type: 'context',
      elements: [
        mrkdwn(
          `${thread} First ${md(utc(new Date(agg.firstAt).toISOString()), 40)}, latest ` +
            `${md(utc(new Date(agg.lastAt).toISOString()).slice(11), 20)}. ` +
            'This message is updated as findings arrive; runguard posts it instead of one message per finding ' +
            "when they come faster than Slack's one message a second.",
        ),
      ],
    },
  ];
  const text = fitMrkdwn(
    `${marker} runguard burst: ${plural(agg.total, 'finding')} in ${span(agg)} (${doneWords(agg.done, false)})` +
      `${failed > 0 ? ` — ${failed} could not be put back` : ''}; details in the thread`,
    BUDGET.notification,
  );
  return { text, blocks };
}
