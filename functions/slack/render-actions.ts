import { createHash } from 'node:crypto';
import type { ActionsBlock, Button } from '@slack/types';
import type { Alert } from '../core/notify.js';
import { BUTTON_VALUE, CONFIRM_TEXT } from './limits.js';
import { remediationWords } from './render-did.js';
import { plain } from './render-text.js';

// The buttons under an alert, and the value they carry back to slackInteractions. The value is
// the finding key (what an acknowledgement exempts) and the audit entry (what it was about).

export const ACTIONS_BLOCK_ID = 'runguard_actions';
export const ACKNOWLEDGE_ACTION_ID = 'runguard_acknowledge';
export const REVERT_NOW_ACTION_ID = 'runguard_revert_now';

/** What a button click carries: the finding key, or a prefix of it plus `keyHash` when the key was too long. */
export interface ActionValue {
  key: string;
  insertId?: string;
  /**
   * The change's principal chain, as runguard posted it (Slack signs the click, and only runguard
   * can write its own message). Absent when runguard did not know it or it did not fit: the author
   * is then unknown, never "nobody".
   */
  principals?: string[];
  /** A breakglass request waiting for a second approver (the Confirm button under it). */
  request?: string;
  /** sha256 hex of the full key, present only when `key` is a prefix; match stored keys by keyHash(). */
  keyHash?: string;
}

export function keyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * {"k":key,"i":insertId,"p":principals} within Slack's 2000-character value. Too long: without i,
 * then without p (the author becomes unknown, which asks more of approvers, never less). Still too long:
 * {"k":prefix,"h":sha256(key)} — the hash keeps it unique and checkable (the handler compares
 * keyHash of the keys it knows), the prefix keeps it readable in Slack's logs. Cuts fall between
 * code points, and the loop shrinks the prefix until JSON escaping (\" \\ \u0000) fits too.
 */
export function encodeActionValue(key: string, insertId: string, principals?: readonly string[]): string {
  if (principals !== undefined) {
    for (const value of [
      { k: key, i: insertId, p: principals },
      { k: key, p: principals },
    ]) {
      const s = JSON.stringify(value);
      if (s.length <= BUTTON_VALUE) return s;
    }
  }
  const full = JSON.stringify({ k: key, i: insertId });
  if (full.length <= BUTTON_VALUE) return full;
  const bare = JSON.stringify({ k: key });
  if (bare.length <= BUTTON_VALUE) return bare;
  const h = keyHash(key);
  const points = Array.from(key);
  let n = Math.min(points.length, BUTTON_VALUE);
  for (;;) {
    const value = JSON.stringify({ k: points.slice(0, n).join(''), h });
    if (value.length <= BUTTON_VALUE) return value;
    n = Math.floor(n * 0.9);
  }
}

/** The inverse of encodeActionValue; null for anything that is not one of runguard's values. */
export function decodeActionValue(value: string): ActionValue | null {
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const { k, i, h, p, q } = v as Record<string, unknown>;
  if (typeof k !== 'string') return null;
  const principals = Array.isArray(p) && p.every((x) => typeof x === 'string') ? (p as string[]) : undefined;
  return {
    key: k,
    ...(typeof i === 'string' ? { insertId: i } : {}),
    ...(principals ? { principals } : {}),
    ...(typeof q === 'string' ? { request: q } : {}),
    ...(typeof h === 'string' ? { keyHash: h } : {}),
  };
}

/** Revert now is offered only where runguard did not act but could: alert-only or dry-run, with a remediation. */
export function offersRevert(alert: Alert): boolean {
  const { done, decision } = alert.verdict;
  return (
    (done === 'alerted' || done === 'dry-run') && decision.finding.remediation !== null && decision.action !== 'exempt'
  );
}

/** The actions block, or null when no button applies (an exempt finding has nothing to acknowledge). */
export function actionsBlock(alert: Alert, shortName: string): ActionsBlock | null {
  const f = alert.verdict.decision.finding;
  if (alert.verdict.done === 'exempt' || alert.verdict.decision.action === 'exempt') return null;
  const value = encodeActionValue(f.key, alert.change.insertId, alert.change.principals);
  const elements: Button[] = [
    {
      type: 'button',
      action_id: ACKNOWLEDGE_ACTION_ID,
      text: { type: 'plain_text', text: 'Acknowledge (breakglass)', emoji: true },
      value,
    },
  ];
  if (offersRevert(alert)) {
    const where = alert.change.project ? `${shortName} in ${alert.change.project}` : shortName;
    elements.push({
      type: 'button',
      action_id: REVERT_NOW_ACTION_ID,
      style: 'danger',
      text: { type: 'plain_text', text: 'Revert now', emoji: true },
      value,
      confirm: {
        title: { type: 'plain_text', text: 'Revert now?' },
        // plain_text: the service name is user data and a confirm dialog is no place for links.
        text: {
          type: 'plain_text',
          text: plain(
            `runguard will ${remediationWords(f.remediation)} on ${where}. Nothing else is changed.`,
            CONFIRM_TEXT,
          ),
        },
        confirm: { type: 'plain_text', text: 'Revert now' },
        deny: { type: 'plain_text', text: 'Cancel' },
        style: 'danger',
      },
    });
  }
  return { type: 'actions', block_id: ACTIONS_BLOCK_ID, elements };
}
