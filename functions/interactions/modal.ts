import type { BreakglassPolicy } from '../config/load.js';
import { code, md, plain } from '../slack/render-text.js';
import type { FindingRef } from './finding.js';
import {
  DURATION_BLOCK,
  INPUT_ACTION,
  JUSTIFICATION_BLOCK,
  MAX_JUSTIFICATION,
  MODAL_CALLBACK_ID,
  type Submission,
} from './payload.js';

// The breakglass modal: what it shows, what it carries between the click and the submission, and
// what a submission must hold. Pure.

/** What the modal carries in private_metadata (Slack returns it untouched with the submission). */
export interface ModalContext {
  key: string;
  channel: string;
  ts: string;
  threadTs?: string;
  /** The change's principal chain, as the alert's button carried it; null when runguard does not know it. */
  principals: string[] | null;
}

/** Slack's limit on private_metadata. */
export const MAX_METADATA = 3000;

export function encodeContext(c: ModalContext): string | null {
  const s = JSON.stringify({
    v: 2,
    k: c.key,
    c: c.channel,
    t: c.ts,
    ...(c.threadTs ? { th: c.threadTs } : {}),
    p: c.principals,
  });
  return s.length <= MAX_METADATA ? s : null;
}

export function decodeContext(s: string): ModalContext | null {
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const { v: version, k, c, t, th, p } = v as Record<string, unknown>;
  // Version 1 named the author by the alert's "Who" field alone: such a form is submitted again from a new click.
  if (version !== 2 || typeof k !== 'string' || typeof c !== 'string' || typeof t !== 'string') return null;
  const principals = Array.isArray(p) && p.every((x) => typeof x === 'string') ? (p as string[]) : null;
  if (p !== null && principals === null) return null;
  return { key: k, channel: c, ts: t, ...(typeof th === 'string' ? { threadTs: th } : {}), principals };
}

const text = (t: string) => ({ type: 'plain_text' as const, text: t });

export function breakglassModal(
  finding: FindingRef,
  policy: BreakglassPolicy,
  metadata: string,
  chain: string,
  needsSecond = false,
) {
  const twoPerson = policy.twoPersonRule && finding.mode === 'enforce';
  const scope = [
    `*Scope:* this rule on this resource: ${code(finding.rule.id, 200)} on ${code(finding.resource, 1000)}`,
    `*Change made by:* ${md(chain, 600)} · *project mode:* ${finding.mode}`,
    'runguard will not revert this finding until the exemption expires. ' +
      'Other rules and other resources are not affected.',
    ...(twoPerson ? ['_Two-person rule: the person who made the change cannot acknowledge it._'] : []),
    ...(needsSecond
      ? [
          '*No person can be tied to this change*, ' +
            'so a different approver must confirm your request in the alert’s thread before it takes effect.',
        ]
      : []),
  ].join('\n');
  return {
    type: 'modal' as const,
    callback_id: MODAL_CALLBACK_ID,
    private_metadata: metadata,
    title: text('Breakglass'),
    submit: text('Acknowledge'),
    close: text('Cancel'),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: scope, verbatim: true } },
      {
        type: 'input',
        block_id: JUSTIFICATION_BLOCK,
        label: text('Justification'),
        hint: text('Why this change must stay for now. It is shown in the channel and kept with the exemption.'),
        element: {
          type: 'plain_text_input',
          action_id: INPUT_ACTION,
          multiline: true,
          min_length: 1,
          max_length: MAX_JUSTIFICATION,
        },
      },
      {
        type: 'input',
        block_id: DURATION_BLOCK,
        label: text('For how long'),
        element: {
          type: 'static_select',
          action_id: INPUT_ACTION,
          placeholder: text('Choose a duration'),
          options: policy.durations.map((d) => ({ text: text(plain(d.label, 75)), value: d.label })),
        },
      },
    ],
  };
}

/** The modal that replaces the form when there is nothing left to do (someone else acknowledged first). */
export function noticeModal(title: string, body: string) {
  return {
    type: 'modal' as const,
    title: text(plain(title, 24)),
    close: text('Close'),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: md(body, 2900), verbatim: true } }],
  };
}

export type Checked =
  | { ok: true; justification: string; durationMs: number; durationLabel: string }
  | { ok: false; errors: Record<string, string> };

/** The submission's own checks: a justification, and one of the configured durations within the maximum. */
export function checkSubmission(sub: Submission, policy: BreakglassPolicy): Checked {
  const errors: Record<string, string> = {};
  const justification = (sub.justification ?? '').trim();
  if (!justification) errors[JUSTIFICATION_BLOCK] = 'Say why this change must stay.';
  else if (justification.length > MAX_JUSTIFICATION)
    errors[JUSTIFICATION_BLOCK] = `At most ${MAX_JUSTIFICATION} characters.`;
  const choice = policy.durations.find((d) => d.label === sub.duration);
  if (!choice) errors[DURATION_BLOCK] = `Choose one of ${policy.durations.map((d) => d.label).join(', ')}.`;
  else if (!(choice.ms > 0 && choice.ms <= policy.maxDurationMs))
    errors[DURATION_BLOCK] = 'That duration is longer than the configured maximum.';
  if (!choice || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, justification, durationMs: choice.ms, durationLabel: choice.label };
}
