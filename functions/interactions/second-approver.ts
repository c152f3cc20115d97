import type { ExemptionRequest, SlackPerson } from '../state/types.js';
import { code, md } from '../slack/render-text.js';
import { makeExemption, markAcknowledged } from './exemption.js';
import type { FindingRef } from './finding.js';
import { resolveFinding } from './finding.js';
import { type ApproverIdentity, describeChain, identifyApprover, twoPersonRule } from './identities.js';
import { section, slackDate, withNote } from './message.js';
import { type ModalContext, noticeModal } from './modal.js';
import { CONFIRM_ACTION_ID, type Click, JUSTIFICATION_BLOCK } from './payload.js';
import { afterwards, approverOnly, modalErrors, refuse, within } from './respond.js';
import { slackErrorCode } from './slack-port.js';
import type { InteractionDeps, InteractionReply } from './types.js';

// Breakglass for a change no person can be tied to (a service account with nobody in its chain and
// nobody mapped to it in `people:`): the two-person rule cannot exclude the author, so two approvers
// must agree. The first one's submission is kept as a request, and a message in the alert's thread
// asks for a second approver; the exemption is recorded only when a *different* approver — not the
// requester, and not anyone the change's chain names — clicks Confirm. One person clicking twice is
// refused. Everything that decides runs before Slack gets its answer.

/** A request not confirmed within this long lapses; the approver asks again. */
export const REQUEST_LIFETIME_MS = 60 * 60_000;
/** The Slack look-ups of a confirmation must leave time to answer within Slack's 3 seconds. */
export const CONFIRM_BUDGET_MS = 1_500;

export interface Asked {
  finding: FindingRef;
  ctx: ModalContext;
  who: ApproverIdentity;
  form: { justification: string; durationMs: number; durationLabel: string };
}

/** The first approver's submission: kept as a request, and a Confirm button posted in the alert's thread. */
export async function askSecondApprover(a: Asked, deps: InteractionDeps): Promise<InteractionReply> {
  const now = deps.now();
  const createdAt = new Date(now).toISOString();
  const requestedBy: SlackPerson = { slackUserId: a.who.slackUserId, email: a.who.email };
  const request: ExemptionRequest = {
    id: `${a.finding.key}|${createdAt}|${a.who.slackUserId}`,
    findingKey: a.finding.key,
    rule: a.finding.rule.id,
    resource: a.finding.resource,
    principals: [...(a.ctx.principals ?? [])],
    requestedBy,
    reason: a.form.justification,
    durationLabel: a.form.durationLabel,
    durationMs: a.form.durationMs,
    createdAt,
    expires: new Date(now + REQUEST_LIFETIME_MS).toISOString(),
    slackMessage: { channel: a.ctx.channel, ts: a.ctx.ts, ...(a.ctx.threadTs ? { threadTs: a.ctx.threadTs } : {}) },
  };
  try {
    await deps.state.recordExemptionRequest(request);
  } catch (e) {
    deps.log({
      severity: 'ERROR',
      message:
        `could not record the breakglass request by ${a.who.slackUserId} on ${a.finding.key}: ` +
        `${e instanceof Error ? e.message : String(e)}`,
      event: 'breakglass-failed',
      slackUserId: a.who.slackUserId,
      findingKey: a.finding.key,
    });
    return modalErrors({
      [JUSTIFICATION_BLOCK]: 'runguard could not record the request. Nothing was recorded; please submit again.',
    });
  }
  // Posted before the answer: a request nobody can see would never be confirmed.
  const text = requestText(request);
  try {
    await deps.slack.chat.postMessage({
      channel: request.slackMessage.channel,
      thread_ts: request.slackMessage.threadTs ?? request.slackMessage.ts,
      text,
      blocks: [section(text), confirmActions(request)],
      unfurl_links: false,
    });
  } catch (e) {
    deps.log({
      severity: 'WARNING',
      message: `could not post the breakglass request ${request.id}: ${slackErrorCode(e)}`,
      event: 'breakglass-request-unposted',
      slackUserId: a.who.slackUserId,
      findingKey: a.finding.key,
    });
    return modalErrors({
      [JUSTIFICATION_BLOCK]:
        `runguard could not ask for a second approver in Slack (${slackErrorCode(e)}). ` +
        `Nothing takes effect; please submit again.`,
    });
  }
  deps.log({
    severity: 'NOTICE',
    message:
      `breakglass requested by ${a.who.email ?? a.who.slackUserId} ` +
      `on ${a.finding.key} for ${a.form.durationLabel}; ` +
      `waiting for a second approver (nobody can be tied to ${describeChain(a.ctx.principals)})`,
    event: 'breakglass-requested',
    labels: { rule: a.finding.rule.id, project: a.finding.project },
    slackUserId: a.who.slackUserId,
    findingKey: a.finding.key,
    principals: describeChain(a.ctx.principals),
    reason: a.form.justification,
    requestId: request.id,
  });
  const body =
    `Nobody can be tied to this change (${describeChain(a.ctx.principals)}), so a second approver must confirm. ` +
    `Your request is in the alert’s thread; it lapses at ${request.expires}.`;
  return { status: 200, body: { response_action: 'update', view: noticeModal('Waiting for approval', body) } };
}

function requestText(r: ExemptionRequest): string {
  return [
    `🛡️ <@${r.requestedBy.slackUserId}> asks to exempt ${code(r.rule, 200)} ` +
      `on ${code(r.resource, 600)} for ${md(r.durationLabel, 20)}: ${md(r.reason, 1200)}`,
    `Nobody can be tied to this change (${md(describeChain(r.principals), 600)}), ` +
      `so *a different approver* must confirm. Lapses ${slackDate(Date.parse(r.expires))}.`,
  ].join('\n');
}

function confirmActions(r: ExemptionRequest) {
  return {
    type: 'actions',
    block_id: 'runguard_confirm',
    elements: [
      {
        type: 'button',
        action_id: CONFIRM_ACTION_ID,
        style: 'primary',
        text: { type: 'plain_text', text: 'Confirm breakglass' },
        // The request is read from the store by its id; the key only names it for Slack's logs.
        value: JSON.stringify({ k: r.findingKey.slice(0, 500), q: r.id }).slice(0, 2000),
      },
    ],
  };
}

/** A second approver's click on Confirm: every check, then the exemption. */
export async function confirmClick(click: Click, deps: InteractionDeps): Promise<InteractionReply> {
  const done = await confirm(click, deps);
  return { status: 200, ...(done ? { after: done } : {}) };
}

async function confirm(click: Click, deps: InteractionDeps): Promise<(() => Promise<void>) | undefined> {
  const no = async (why: string, text: string) => void (await refuse(deps, click, 'confirm-breakglass', why, text));
  // Asked alongside the approver check: they share the group look-ups.
  const identity = deps.config.breakglass
    ? within(identifyApprover(click.userId, deps.config.breakglass, deps), CONFIRM_BUDGET_MS, 'the identity check')
    : null;
  identity?.catch(() => undefined);
  const policy = await approverOnly(
    deps,
    click,
    'confirm-breakglass',
    'confirm a breakglass',
    'Breakglass is not set up for runguard any more, so nothing can be confirmed.',
  );
  if (!policy || !identity) return;
  const id = click.value.request;
  const request = id ? await deps.state.exemptionRequest(id) : null;
  if (!request) return no('unknown request', 'runguard does not know this request. Nothing was recorded.');
  const finding = resolveFinding({ key: request.findingKey }, deps.rules, deps.config);
  if ('error' in finding) return no(finding.error, `Nothing was recorded: ${finding.error}.`);
  const now = deps.now();
  if (request.confirmedAs !== undefined)
    return no('already confirmed', 'This request was already confirmed. Nothing more was recorded.');
  if (Date.parse(request.expires) <= now)
    return no('request lapsed', 'This request has lapsed. Nothing was recorded; the approver can acknowledge again.');
  if (click.userId === request.requestedBy.slackUserId)
    return no(
      'the requester cannot confirm their own request',
      'You asked for this exemption: a different approver must confirm it.',
    );

  let who: ApproverIdentity;
  try {
    who = await identity;
  } catch (e) {
    return no(
      `identity check failed: ${slackErrorCode(e)}`,
      'runguard could not check who you are in time. Nothing was recorded; please click Confirm again.',
    );
  }
  const requester = request.requestedBy.email?.toLowerCase();
  if (requester && who.email?.toLowerCase() === requester)
    return no(
      'the requester cannot confirm their own request',
      'You asked for this exemption: a different approver must confirm it.',
    );
  const rule = twoPersonRule(policy, finding.mode, request.principals, who, deps.config.people);
  if (!rule.ok) return no(`two-person rule: ${rule.why}`, rule.why);

  const me: SlackPerson = { slackUserId: click.userId, email: who.email };
  const exemption = makeExemption({
    finding,
    message: request.slackMessage,
    principals: request.principals,
    requestedBy: request.requestedBy,
    approvers: [request.requestedBy, me],
    reason: request.reason,
    now,
    until: now + request.durationMs,
  });
  const { created, exemption: standing } = await deps.state.recordExemption(exemption, now);
  if (!created)
    return no(
      'already acknowledged',
      `Already acknowledged by ${standing.approvedBy} until ${standing.expires}. Nothing more was recorded.`,
    );
  await deps.state.confirmExemptionRequest(request.id, exemption.id);
  deps.log({
    severity: 'NOTICE',
    message:
      `breakglass: ${exemption.approvedBy} confirmed ` +
      `${request.requestedBy.email ?? request.requestedBy.slackUserId}'s request: ` +
      `${finding.rule.id} on ${finding.resource} exempt until ${exemption.expires} ` +
      `for ${describeChain(request.principals)}: ${request.reason}`,
    event: 'breakglass',
    labels: { rule: finding.rule.id, project: finding.project },
    approvedBy: exemption.approvedBy,
    slackUserId: click.userId,
    requestedBy: request.requestedBy.email ?? request.requestedBy.slackUserId,
    approvers: (exemption.approvers ?? []).map((p) => p.email ?? p.slackUserId),
    principals: describeChain(request.principals),
    findingKey: finding.key,
    resource: finding.resource,
    rule: finding.rule.id,
    reason: request.reason,
    until: exemption.expires,
    createdAt: exemption.createdAt,
    mode: finding.mode,
    twoPersonRule: 'two-approvers',
    exemptionId: exemption.id,
    requestId: request.id,
  });
  // After the answer, and harmless to lose: the exemption stands; a later click is told it is already acknowledged.
  return afterwards(deps, 'breakglass-confirmed-message', async () => {
    const note =
      `✅ Confirmed by <@${click.userId}>: ${code(finding.rule.id, 200)} ` +
      `is exempt until ${slackDate(Date.parse(exemption.expires))}.`;
    await deps.slack.chat.update({
      channel: click.channel,
      ts: click.messageTs,
      text: note,
      blocks: withNote(click.message.blocks, section(note)),
    });
    await markAcknowledged(request.slackMessage, exemption, deps);
  });
}
