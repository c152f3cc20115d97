import type { Alert } from '../core/notify.js';
import type { Done } from '../core/verdict.js';
import { BUDGET } from './limits.js';
import { code, md, utcDay, utcTime } from './render-text.js';

// What runguard did, said so that it cannot be misread: the first word is the outcome, the emoji
// matches it, and "nothing changed" is spelt out wherever nothing changed.

export interface Did {
  /** The headline, mrkdwn, escaped. */
  line: string;
  /** Lines under it (the detail, an expired exemption, a state that was not live); mrkdwn, escaped. */
  more: string[];
  /** The same outcome in a few plain words, for the notification line. */
  short: string;
}

export const DONE_EMOJI: Record<Done, string> = {
  reverted: '✅',
  'already-safe': '✔️',
  gone: '🗑️',
  failed: '❌',
  fighting: '⛔',
  'dry-run': '👀',
  alerted: '📣',
  exempt: '🛡️',
};

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** What a remediation would do, in words: "set ingress to INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER". */
export function remediationWords(remediation: { action: string; params: Record<string, unknown> } | null): string {
  if (!remediation) return 'revert it';
  const p = remediation.params;
  switch (remediation.action) {
    case 'set-ingress':
      return `set ingress to ${str(p.safeIngress) || 'a safe value'}`;
    case 'remove-public-members': {
      const members = list(p.publicMembers);
      return (
        `remove ${members.length > 0 ? members.join(' and ') : 'allUsers and allAuthenticatedUsers'}` +
        ` from the IAM policy`
      );
    }
    case 'enable-invoker-iam-check':
      return 'turn the invoker IAM check back on';
    default:
      return remediation.action;
  }
}

/** The text after a known prefix of a verdict summary, or the whole summary. */
function after(summary: string, prefix: RegExp): string {
  const m = prefix.exec(summary);
  return m ? summary.slice(m.index + m[0].length) : summary;
}

const L = BUDGET.didLine;
const D = BUDGET.didDetail;

function headline(alert: Alert, kindWord: string): Omit<Did, 'more'> & { detail: string } {
  const { verdict, change } = alert;
  const { decision, outcome, fight, summary } = verdict;
  const e = DONE_EMOJI[verdict.done];
  switch (verdict.done) {
    case 'reverted': {
      const at = /^reverted at (\S+?):\s/.exec(summary)?.[1];
      const when = at ? ` at ${utcTime(at, change.timestamp)}` : '';
      const now = outcome?.now || after(summary, /; now /);
      const unconfirmed = outcome && !outcome.verified ? ' (⚠️ not confirmed by the re-read)' : '';
      return {
        line: `${e} *Reverted${when}* — now: ${md(now, L)}${unconfirmed}`,
        detail: outcome?.summary ? md(outcome.summary, D) : '',
        short: `reverted${when}`,
      };
    }
    case 'already-safe':
      return {
        line: `${e} *Already safe* — ${md(outcome?.now || after(summary, /^nothing to revert: /), L)}`,
        detail: '',
        short: 'already safe, nothing to revert',
      };
    case 'gone':
      return {
        line: `${e} *${kindWord} no longer exists* — nothing to revert`,
        detail: md(outcome?.summary || summary, D),
        short: `${kindWord.toLowerCase()} no longer exists`,
      };
    case 'failed': {
      const perm = outcome?.error?.permission;
      const why = perm
        ? `runguard lacks ${code(perm, 200)}`
        : md(outcome?.error?.message || after(summary, /^could not revert[^:]*: /), L);
      return {
        line: `${e} *Could not revert* — ${why}`,
        detail: 'The insecure setting may still be in place: fix it by hand.',
        short: 'COULD NOT REVERT',
      };
    }
    case 'fighting': {
      const who = fight?.actor || 'another actor';
      return {
        line: `${e} *Stopped: runguard is fighting ${md(who, L)}* — not reverted`,
        detail: md(summary, D),
        short: `NOT reverted: fighting ${who}`,
      };
    }
    case 'dry-run':
      return {
        line: `${e} *Dry run* — would ${md(remediationWords(decision.finding.remediation), L)}, nothing changed`,
        detail: '',
        short: 'dry run, nothing changed',
      };
    case 'alerted':
      return {
        line: `${e} *Alert only* — ${md(after(decision.reason, /^alert only: /), L)}`,
        detail: '',
        short: 'alert only, nothing changed',
      };
    case 'exempt': {
      const x = decision.exemption;
      if (!x) return { line: `${e} *Exempt* — ${md(decision.reason, L)}`, detail: '', short: 'exempt' };
      const by = x.approvedBy ? ` by ${md(x.approvedBy, 200)}` : '';
      const source = x.source === 'breakglass' ? 'breakglass acknowledgement' : 'configuration';
      return {
        line: `${e} *Exempt* —${by} until ${md(utcDay(x.expires), 60)}: ${md(x.reason, L)}`,
        detail: `From the ${source}; nothing was changed.`,
        short: 'exempt, nothing changed',
      };
    }
  }
}

/** The "what runguard did" section of an alert, and its short form for the notification. */
export function describeDid(alert: Alert, kindWord: string): Did {
  const { line, detail, short } = headline(alert, kindWord);
  const more = detail ? [detail] : [];
  const expired = alert.verdict.decision.expiredExemptions;
  if (expired.length > 0 && alert.verdict.done !== 'exempt') {
    const x = expired[expired.length - 1]!;
    const by = x.approvedBy ? ` (approved by ${x.approvedBy})` : '';
    more.push(`⏰ An exemption for this expired ${md(`${utcDay(x.expires)}${by}`, BUDGET.note)}`);
  }
  const obs = alert.observation;
  if (obs.source !== 'live') {
    const why =
      obs.source === 'gone' ? 'the resource was gone when runguard looked' : "runguard judged the audit entry's copy";
    more.push(`⚠️ _Not the live state — ${why}:_ “${md(obs.note, BUDGET.note)}”`);
  }
  return { line, more, short };
}
