import { checkSubmission, decodeContext, noticeModal } from './modal.js';
import { makeExemption, markAcknowledged, plainApprovers } from './exemption.js';
import { resolveFinding, type FindingRef } from './finding.js';
import { type ApproverIdentity, describeChain, identifyApprover, twoPersonRule } from './identities.js';
import { JUSTIFICATION_BLOCK, type Submission } from './payload.js';
import { afterwards, modalErrors, within } from './respond.js';
import { askSecondApprover } from './second-approver.js';
import { slackErrorCode } from './slack-port.js';
import type { InteractionDeps, InteractionReply } from './types.js';

// The breakglass modal's submission. Everything that can refuse is checked before anything is
// recorded, and within Slack's 3 seconds, so a refusal is shown in the form itself: the submitter
// is an approver (checked again: the modal proves nothing), the form is complete, and — in enforce
// projects with the two-person rule — the approver is not the person who made the change.

/** The Slack look-ups of a submission must leave time to answer within Slack's 3 seconds. */
export const SUBMIT_BUDGET_MS = 1_500;

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
  let who: ApproverIdentity;
  try {
    who = await within(identifyApprover(sub.userId, policy, deps), SUBMIT_BUDGET_MS, 'the approver check');
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
  const rule = twoPersonRule(policy, finding.mode, ctx.principals, who, deps.config.people);
  if (!rule.ok) return refused(deps, sub, finding, `two-person rule: ${rule.why}`, rule.why);
  if (rule.second) return askSecondApprover({ finding, ctx, who, form }, deps);

  const now = deps.now();
  const me = { slackUserId: sub.userId, email: who.email };
  const exemption = makeExemption({
    finding,
    message: { channel: ctx.channel, ts: ctx.ts },
    principals: ctx.principals,
    requestedBy: me,
    approvers: [me],
    reason: form.justification,
    now,
    until: now + form.durationMs,
  });
  let recorded: Awaited<ReturnType<InteractionDeps['state']['recordExemption']>>;
  try {
    recorded = await deps.state.recordExemption(exemption, now);
  } catch (e) {
    deps.log({
      severity: 'ERROR',
      message:
        `could not record breakglass by ${sub.userId} on ${finding.key}: ` +
        `${e instanceof Error ? e.message : String(e)}`,
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
      message:
        `breakglass by ${sub.userId} on ${finding.key} not recorded: ` +
        `already acknowledged by ${by} until ${standing.expires}`,
      event: 'breakglass-duplicate',
      slackUserId: sub.userId,
      findingKey: finding.key,
      standing: standing.id,
    });
    const body =
      `Already acknowledged by ${by} until ${standing.expires}: ` + `“${standing.reason}”. Nothing more was recorded.`;
    return { status: 200, body: { response_action: 'update', view: noticeModal('Already acknowledged', body) } };
  }
  deps.log({
    severity: 'NOTICE',
    message:
      `breakglass: ${exemption.approvedBy} exempted ${finding.rule.id} on ${finding.resource} ` +
      `until ${exemption.expires} (${form.durationLabel}) ` +
      `for ${describeChain(ctx.principals)}: ${form.justification}`,
    event: 'breakglass',
    labels: { rule: finding.rule.id, project: finding.project },
    approvedBy: exemption.approvedBy,
    slackUserId: sub.userId,
    requester: exemption.requester || 'unknown',
    principals: describeChain(ctx.principals),
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
  // Losing this rewrite is harmless: the exemption stands, and a later click is told it is already acknowledged.
  return { status: 200, after: afterwards(deps, 'breakglass-message', () => markAcknowledged(ctx, exemption, deps)) };
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
