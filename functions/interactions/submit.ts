import type { BreakglassPolicy } from '../config/load.js';
import type { BreakglassExemption } from '../state/types.js';
import { describeApprovers } from './approvers.js';
import { type FindingRef, resolveFinding } from './finding.js';
import { acknowledgedText, section, withNote } from './message.js';
import { checkSubmission, decodeContext, type ModalContext, noticeModal } from './modal.js';
import { JUSTIFICATION_BLOCK, type Submission } from './payload.js';
import { afterwards, modalErrors, within } from './respond.js';
import { slackErrorCode } from './slack-port.js';
import type { InteractionDeps, InteractionReply } from './types.js';

// The breakglass modal's submission. Everything that can refuse is checked before anything is
// recorded, and within Slack's 3 seconds, so a refusal is shown in the form itself: the submitter
// is an approver (checked again: the modal proves nothing), the form is complete, and — in enforce
// projects with the two-person rule — the approver is not the person who made the change.

/** The Slack look-ups of a submission must leave time to answer within Slack's 3 seconds. */
export const SUBMIT_BUDGET_MS = 2_000;

export async function submitBreakglass(sub: Submission, deps: InteractionDeps): Promise<InteractionReply> {
  const policy = deps.config.breakglass;
  if (!policy)
    return modalErrors({
      [JUSTIFICATION_BLOCK]: 'Breakglass is no longer configured for runguard: nothing was recorded.',
    });
  const ctx = decodeContext(sub.metadata);
  if (!ctx)
    return modalErrors({ [JUSTIFICATION_BLOCK]: 'Cannot acknowledge: the form does not say which alert it is about.' });
  const finding = resolveFinding({ key: ctx.key }, deps.rules, deps.config);
  if ('error' in finding) return modalErrors({ [JUSTIFICATION_BLOCK]: `Cannot acknowledge: ${finding.error}.` });
  let who: { approver: boolean; email: string | null };
  try {
    who = await within(identify(sub.userId, policy, deps), SUBMIT_BUDGET_MS, 'the approver check');
  } catch (e) {
    return refused(
      deps,
      sub,
      finding,
      `approver check failed: ${slackErrorCode(e)}`,
      'runguard could not check your approval rights in time. Nothing was recorded; please submit again.',
    );
  }
  if (!who.approver)
    return refused(
      deps,
      sub,
      finding,
      'not an approver',
      `Only runguard approvers can acknowledge: ${plainApprovers(policy)}.`,
    );
  const form = checkSubmission(sub, policy);
  if (!form.ok) return modalErrors(form.errors);
  const twoPerson = twoPersonProblem(policy, finding, ctx.requester, who.email);
  if (twoPerson) return refused(deps, sub, finding, `two-person rule: ${twoPerson}`, twoPerson);

  const now = deps.now();
  const exemption = makeExemption(finding, ctx, sub.userId, who.email, form.justification, now, now + form.durationMs);
  let recorded: Awaited<ReturnType<InteractionDeps['state']['recordExemption']>>;
  try {
    recorded = await deps.state.recordExemption(exemption, now);
  } catch (e) {
    deps.log({
      severity: 'ERROR',
      message: `could not record breakglass by ${sub.userId} on ${finding.key}: ${e instanceof Error ? e.message : String(e)}`,
      event: 'breakglass-failed',
      slackUserId: sub.userId,
      findingKey: finding.key,
    });
    return modalErrors({
      [JUSTIFICATION_BLOCK]:
        'runguard could not record the acknowledgement. Nothing was recorded; please submit again.',
    });
  }
  const { created, exemption: standing } = recorded;
  if (!created) {
    const by = standing.approvedBy;
    deps.log({
      severity: 'INFO',
      message: `breakglass by ${sub.userId} on ${finding.key} not recorded: already acknowledged by ${by} until ${standing.expires}`,
      event: 'breakglass-duplicate',
      slackUserId: sub.userId,
      findingKey: finding.key,
      standing: standing.id,
    });
    const body = `Already acknowledged by ${by} until ${standing.expires}: “${standing.reason}”. Nothing more was recorded.`;
    return { status: 200, body: { response_action: 'update', view: noticeModal('Already acknowledged', body) } };
  }
  deps.log({
    severity: 'NOTICE',
    message: `breakglass: ${exemption.approvedBy} exempted ${finding.rule.id} on ${finding.resource} until ${exemption.expires} (${form.durationLabel}) for ${exemption.requester || 'an unknown actor'}: ${form.justification}`,
    event: 'breakglass',
    labels: { rule: finding.rule.id, project: finding.project },
    approvedBy: exemption.approvedBy,
    slackUserId: sub.userId,
    requester: exemption.requester || 'unknown',
    findingKey: finding.key,
    resource: finding.resource,
    rule: finding.rule.id,
    reason: form.justification,
    until: exemption.expires,
    createdAt: exemption.createdAt,
    mode: finding.mode,
    twoPersonRule: policy.twoPersonRule && finding.mode === 'enforce' ? 'checked' : 'not-applicable',
    exemptionId: exemption.id,
  });
  // An empty 200 closes the form; the message is rewritten after the answer.
  return { status: 200, after: afterwards(deps, 'breakglass-message', () => markAcknowledged(ctx, exemption, deps)) };
}

/** Approver (user list or group) and e-mail, looked up side by side; the e-mail is null when Slack does not give it. */
async function identify(
  userId: string,
  policy: BreakglassPolicy,
  deps: InteractionDeps,
): Promise<{ approver: boolean; email: string | null }> {
  const email = deps.slack.users
    .info({ user: userId })
    .then((r) => (r.user?.deleted ? null : r.user?.profile?.email?.trim() || null))
    .catch(() => null);
  const [approver, address] = await Promise.all([deps.approvers.isApprover(userId, policy), email]);
  return { approver, email: address };
}

/** Why the two-person rule refuses, or null. Unknown identities refuse: the rule must not pass by default. */
export function twoPersonProblem(
  policy: BreakglassPolicy,
  finding: FindingRef,
  requester: string,
  approverEmail: string | null,
): string | null {
  if (!policy.twoPersonRule || finding.mode !== 'enforce') return null;
  if (!requester)
    return 'The alert does not say who made the change, so the two-person rule cannot be checked. Add an exemption to the runguard configuration instead.';
  if (!approverEmail)
    return 'runguard cannot read your e-mail address from Slack, so the two-person rule cannot be checked. Ask another approver.';
  if (approverEmail.toLowerCase() === requester.trim().toLowerCase()) {
    return `You made this change (${approverEmail}). Under the two-person rule another approver must acknowledge it.`;
  }
  return null;
}

function makeExemption(
  finding: FindingRef,
  ctx: ModalContext,
  slackUserId: string,
  email: string | null,
  reason: string,
  now: number,
  until: number,
): BreakglassExemption {
  const createdAt = new Date(now).toISOString();
  return {
    source: 'breakglass',
    id: `${finding.key}|${createdAt}`,
    findingKey: finding.key,
    rule: finding.rule.id,
    resource: finding.resource,
    // Exactly what was acknowledged: a wider grant on the same resource is a finding of its own.
    ...(finding.subject ? { subject: finding.subject } : {}),
    reason,
    expires: new Date(until).toISOString(),
    approvedBy: email ?? slackUserId,
    slackUserId,
    requester: ctx.requester,
    createdAt,
    slackMessage: { channel: ctx.channel, ts: ctx.ts },
  };
}

function refused(
  deps: InteractionDeps,
  sub: Submission,
  finding: FindingRef,
  why: string,
  text: string,
): InteractionReply {
  deps.log({
    severity: 'NOTICE',
    message: `refused breakglass by ${sub.userId} on ${finding.key}: ${why}`,
    event: 'interaction-refused',
    action: 'breakglass',
    slackUserId: sub.userId,
    findingKey: finding.key,
    reason: why,
  });
  return modalErrors({ [JUSTIFICATION_BLOCK]: text });
}

// Errors under an input are plain text: user ids would show as <@U…>.
function plainApprovers(policy: BreakglassPolicy): string {
  return describeApprovers(policy)
    .replace(/<@([A-Z0-9]+)>/g, 'user $1')
    .replace(/<!subteam\^([A-Z0-9]+)>/g, 'group $1');
}

/** The alert shows who acknowledged, until when and why, in place of its buttons; else a reply in its thread. */
async function markAcknowledged(ctx: ModalContext, e: BreakglassExemption, deps: InteractionDeps): Promise<void> {
  const note = acknowledgedText(e.slackUserId, Date.parse(e.expires), e.reason);
  const message = await deps.messages.recall(ctx.channel, ctx.ts, ctx.threadTs);
  let why = 'it could not be read back';
  if (message) {
    try {
      await deps.slack.chat.update({
        channel: ctx.channel,
        ts: ctx.ts,
        text: message.text,
        blocks: withNote(message.blocks, section(note)),
      });
      return;
    } catch (e) {
      why = `chat.update failed: ${slackErrorCode(e)}`;
    }
  }
  deps.log({
    severity: 'WARNING',
    message: `the alert ${ctx.channel}/${ctx.ts} was not rewritten (${why}): the acknowledgement goes in its thread`,
    event: 'breakglass-message-unknown',
    channel: ctx.channel,
    ts: ctx.ts,
  });
  await deps.slack.chat.postMessage({
    channel: ctx.channel,
    thread_ts: ctx.threadTs ?? ctx.ts,
    text: note,
    unfurl_links: false,
  });
}
