import { describeError } from '../core/errors.js';
import type { RevertRequest } from '../core/revert-request.js';
import { md } from '../slack/render-text.js';
import { activeExemption, describeExemption } from './exempt-check.js';
import { effectiveParams, ruleEnabled } from '../rules/overrides.js';
import { type FindingRef, resolveFinding } from './finding.js';
import { section, slackDate, withNote } from './message.js';
import type { Click } from './payload.js';
import { afterwards, approverOnly, refuse, within } from './respond.js';
import type { InteractionDeps, InteractionReply } from './types.js';

// "Revert now": offered where runguard alerted without acting (monitor mode, dry run). This
// function is on the internet and holds no Cloud Run permission: it checks the clicker and the
// live path's safety rules, then publishes an attributed request (who clicked, which finding) to
// Pub/Sub — all before Slack gets its answer. auditEvents carries it out with the same remediate()
// and checks, and reports in the alert's thread (enforcement/revert-request.ts).

const RUN_SERVICE = /^projects\/[^/]+\/locations\/[^/]+\/services\/[^/]+$/;
/** Everything before the answer, from the click: Slack waits 3 seconds. */
export const ANSWER_BUDGET_MS = 2_500;

export async function revertNowClick(click: Click, deps: InteractionDeps): Promise<InteractionReply> {
  // The Pub/Sub client loads while the clicker is checked.
  deps.revertRequests.warm?.();
  const published = await revertNow(click, deps, performance.now());
  // Only the note on the alert is left for after the answer; losing it is harmless (the thread gets the result).
  return published ? { status: 200, after: published } : { status: 200 };
}

async function revertNow(
  click: Click,
  deps: InteractionDeps,
  clickedAt: number,
): Promise<(() => Promise<void>) | undefined> {
  if (
    !(await approverOnly(
      deps,
      click,
      'revert-now',
      'revert',
      'Breakglass is not set up for runguard, so nobody can revert from Slack.',
    ))
  )
    return;

  const finding = resolveFinding(click.value, deps.rules, deps.config);
  if ('error' in finding)
    return void (await refuse(deps, click, 'revert-now', finding.error, `Nothing was changed: ${finding.error}.`));
  const unsafe = whyNot(finding, deps);
  if (unsafe) return void (await refuse(deps, click, 'revert-now', unsafe, `Nothing was changed: ${unsafe}.`));
  const exemption = await activeExemption(finding, deps);
  if (exemption) {
    const why = describeExemption(exemption);
    return void (await refuse(deps, click, 'revert-now', why, `Nothing was changed: ${md(why, 1500)}.`, { exemption }));
  }

  const now = deps.now();
  const request: RevertRequest = {
    v: 1,
    id: `${finding.key}|${new Date(now).toISOString()}|${click.userId}`,
    findingKey: finding.key,
    requestedBy: { slackUserId: click.userId, email: null },
    requestedAt: new Date(now).toISOString(),
    slackMessage: {
      channel: click.channel,
      ts: click.messageTs,
      ...(click.threadTs ? { threadTs: click.threadTs } : {}),
    },
  };
  let messageId: string;
  const publishing = deps.revertRequests.publish(request);
  try {
    const left = Math.max(200, ANSWER_BUDGET_MS - (performance.now() - clickedAt) - 300);
    messageId = await within(publishing, left, 'publishing the revert request');
  } catch (e) {
    // A publish that is only late may still arrive: the clicker is told exactly that, never "nothing was changed".
    const late = e instanceof Error && /took longer than/.test(e.message);
    if (late)
      publishing.then(
        (id) =>
          deps.log({
            severity: 'NOTICE',
            message: `revert request ${request.id} published late (message ${id})`,
            event: 'revert-now-requested',
            requestId: request.id,
            messageId: id,
          }),
        () => undefined,
      );
    return void (await refuse(
      deps,
      click,
      'revert-now',
      `revert request ${late ? 'not confirmed in time' : 'not published'}: ${describeError(e)}`,
      late
        ? 'runguard could not confirm in time that your request was passed on. ' +
            'If it was, the result appears in this thread; ' +
            'if nothing appears, click Revert now again.'
        : 'runguard could not pass your request on. Nothing was changed; please try again.',
    ));
  }
  deps.log({
    severity: 'NOTICE',
    message: `revert now of ${finding.key} requested by ${click.userId}: passed to auditEvents (message ${messageId})`,
    event: 'revert-now-requested',
    slackUserId: click.userId,
    findingKey: finding.key,
    action: finding.rule.remediation!.action,
    params: effectiveParams(finding.rule, deps.config.overrides),
    requestId: request.id,
    messageId,
  });
  return afterwards(deps, 'revert-now', async () => {
    const note = section(
      `↩️ *Revert requested* by <@${click.userId}>, ${slackDate(now)}: runguard reports the result in this thread.`,
    );
    await deps.slack.chat.update({
      channel: click.channel,
      ts: click.messageTs,
      text: click.message.text,
      blocks: withNote(click.message.blocks, note),
    });
  });
}

/**
 * The live path's safety rules, for a click: a remediation to run, on a resource it can act on, where runguard acts at
 * all.
 */
function whyNot(finding: FindingRef, deps: InteractionDeps): string | null {
  if (!finding.rule.remediation)
    return `rule ${finding.rule.id} has no automatic remediation; fix it by hand as the alert shows`;
  if (!ruleEnabled(finding.rule, deps.config.overrides))
    return `rule ${finding.rule.id} is turned off in the runguard configuration`;
  if (!RUN_SERVICE.test(finding.resource)) return `${finding.resource} is not a Cloud Run service runguard can change`;
  if (finding.mode === 'off') return `runguard is off for project ${finding.project}`;
  if (deps.config.dryRun) return 'runguard runs in dry-run mode and changes nothing';
  return null;
}
