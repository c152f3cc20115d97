import type { ContextBlock, KnownBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import type { Severity } from '../core/types.js';
import type { Alert } from '../core/notify.js';
import { canonicalPrincipal } from '../core/principals.js';
import { consoleUrl, logsExplorerUrl, logsQuery, resourceRef } from './links.js';
import {
  BUDGET,
  CONTEXT_ELEMENTS,
  FIELD_TEXT,
  HEADER_TEXT,
  MAX_BLOCKS,
  SECTION_FIELDS,
  SECTION_TEXT,
  TEXT_OBJECT,
} from './limits.js';
import { actionsBlock } from './render-actions.js';
import { describeDid } from './render-did.js';
import { code, codeBlock, fitMrkdwn, link, md, oneLine, plain, utc } from './render-text.js';

// One alert as a Slack message, for a person paged at 3 a.m.: the first line says how bad, what
// changed and where; the second what runguard did about it; then who, when and how to fix it.
// Pure: no clock, no network; the same alert always renders the same message.

export interface RenderOptions {
  /** Alerts in this resource's thread, this one included; above 1 the message says how many others. */
  threadCount?: number;
}

export interface RenderedAlert {
  /** One plain line: what push notifications and screen readers show. */
  text: string;
  blocks: KnownBlock[];
}

export const SEVERITY_MARKER: Record<Severity, string> = { CRITICAL: '🔴', HIGH: '🟠', MEDIUM: '🟡', LOW: '🔵' };

const TOOL_WORDS: Record<string, string> = {
  console: 'Cloud console',
  gcloud: 'gcloud',
  terraform: 'Terraform',
  pulumi: 'Pulumi',
  'config-connector': 'Config Connector',
  'client-library': 'client library',
  other: 'other tool',
  unknown: 'unknown tool',
};

// verbatim: Slack then links no bare URL or channel name and parses no bare mention in user text;
// the links runguard writes itself (<url|label>) still work.
const mrkdwn = (text: string, max: number): MrkdwnElement => ({
  type: 'mrkdwn',
  text: fitMrkdwn(text, max),
  verbatim: true,
});
const section = (text: string): SectionBlock => ({ type: 'section', text: mrkdwn(text, SECTION_TEXT) });

export function renderAlert(alert: Alert, opts: RenderOptions = {}): RenderedAlert {
  const { change, verdict, rule } = alert;
  const finding = verdict.decision.finding;
  const ref = resourceRef(change);
  const marker = `${SEVERITY_MARKER[finding.severity] ?? '⚪'} ${finding.severity}`;
  const message = oneLine(finding.message || rule.title || finding.rule);
  const did = describeDid(alert, ref.label);

  // The resource name is kept whole in the header; the message gives way when both do not fit.
  const where = ` on ${plain(oneLine(ref.short), 60)}`;
  const head = plain(`${marker} · ${message}`, HEADER_TEXT - where.length);
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: `${head}${where}`, emoji: true } }];
  if (head.endsWith('…')) blocks.push(section(`*What changed:* ${md(message, BUDGET.message)}`));
  blocks.push(section([did.line, ...did.more].join('\n')));
  blocks.push({ type: 'section', fields: fields(alert, ref, marker) });

  const logs = logsExplorerUrl(ref, logsQuery(change));
  const why = rule.explanation
    ? `*Why it matters:* ${md(rule.title, 200)}\n${md(oneLine(rule.explanation), BUDGET.explanation)}\n`
    : '';
  blocks.push(section(`${why}🔎 ${link(logs, 'Audit log entry and history in Logs Explorer', 100, BUDGET.logsUrl)}`));
  if (rule.fix && verdict.done !== 'gone') {
    const title =
      verdict.done === 'reverted' || verdict.done === 'already-safe'
        ? '*If it comes back, fix by hand:*'
        : '*Fix by hand:*';
    blocks.push(section(`${title}\n${codeBlock(rule.fix, BUDGET.fix)}`));
  }
  blocks.push(context(alert, opts));
  const actions = actionsBlock(alert, oneLine(ref.short));

  // Never more than Slack takes; the buttons are the one part that must survive.
  const body = blocks.slice(0, actions ? MAX_BLOCKS - 1 : MAX_BLOCKS);
  if (actions) body.push(actions);

  // Each part is cut on its own so that a long message cannot push out where and what was done.
  const project = change.project && change.project !== ref.short ? ` (${md(change.project, 40)})` : '';
  const line =
    `${marker}: ${md(message, 140)} on ${md(oneLine(ref.short), 60)}${project} ` + `— ${md(oneLine(did.short), 100)}`;
  const text = fitMrkdwn(line, BUDGET.notification);
  return { text, blocks: body };
}

function fields(alert: Alert, ref: ReturnType<typeof resourceRef>, marker: string): MrkdwnElement[] {
  const { change, verdict } = alert;
  const v = BUDGET.fieldValue;
  const swept = change.foundBy === 'sweep';
  const tool = swept ? 'runguard sweep' : (TOOL_WORDS[change.tool] ?? md(change.tool || 'unknown tool', 40));
  const detail = change.toolDetail ? ` · ${code(oneLine(change.toolDetail), v)}` : '';
  const pairs: Array<[string, string]> = [
    ['Project', change.project ? code(change.project, v) : '—'],
    [ref.label, link(consoleUrl(ref), oneLine(ref.short), v, BUDGET.consoleUrl)],
    ['Region', change.location ? code(change.location, 60) : 'global'],
    // A sweep knows what is deployed, not who deployed it; the audit log link finds out.
    ['Who', swept ? '_found by sweep_ (no change event: already in place)' : who(alert, v)],
    ['With', `${tool}${detail}`],
    ['When', md(utc(change.timestamp), 60)],
    ['Rule', code(verdict.decision.finding.rule, v)],
    ['Severity', marker],
    ['Method', swept ? 'none' : code(change.method || 'unknown', v)],
  ];
  return pairs.slice(0, SECTION_FIELDS).map(([title, value]) => mrkdwn(`*${title}*\n${value}`, FIELD_TEXT));
}

/**
 * The original caller, and the accounts the call went through after it (an engineer impersonating a
 * deployer service account): the on-call person sees both who did it and with which account. A
 * finding already open before this change is not blamed on the change's actor.
 */
function who(alert: Alert, v: number): string {
  const caller = alert.change.actor || 'unknown';
  // The chain is in the order the call went (core/principals.ts): the caller, its hops, the account it ended as.
  const through = (alert.change.principals ?? []).filter(
    (p) => canonicalPrincipal(p) !== canonicalPrincipal(caller) && !p.startsWith('principal://'),
  );
  // Its own budget: a service account's address alone is often longer than what is left of the field's.
  const via = through.length > 0 ? ` via ${md(through.map((p) => oneLine(p)).join(', '), 2 * v)}` : '';
  const actor = `${md(oneLine(caller), v - 40)}${via}`;
  if (alert.verdict.decision.introduced !== false) return actor;
  return `_already open before this change_ (not introduced by it; this change: ${actor})`;
}

function context(alert: Alert, opts: RenderOptions): ContextBlock {
  const { change, verdict } = alert;
  const c = BUDGET.contextElement;
  const parts = [`entry ${code(change.insertId || 'none', c)}`];
  if (change.messageId) parts.push(`message ${code(change.messageId, c)}`);
  parts.push(`finding ${code(verdict.decision.finding.key, c)}`);
  const others = Math.floor(opts.threadCount ?? 0) - 1;
  if (others > 0) parts.push(`${others} more alert${others === 1 ? '' : 's'} in this thread`);
  return { type: 'context', elements: parts.slice(0, CONTEXT_ELEMENTS).map((p) => mrkdwn(p, TEXT_OBJECT)) };
}
