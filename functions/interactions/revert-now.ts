import { describeError } from '../core/errors.js';
import { scopeRemediation } from '../core/subject.js';
import type { RemediationOutcome } from '../core/verdict.js';
import { md } from '../slack/render-text.js';
import { activeExemption, describeExemption } from './exempt-check.js';
import { effectiveParams, type FindingRef, resolveFinding, ruleEnabled } from './finding.js';
import { section, slackDate, withNote } from './message.js';
import type { Click } from './payload.js';
import { afterwards, approverOnly, refuse } from './respond.js';
import type { InteractionDeps, InteractionReply } from './types.js';

// "Revert now": offered where runguard alerted without acting (monitor mode, dry run). Slack gets
// its 200 at once; the revert runs afterwards through the same remediate() as the live path — the
// catalog's checks, etags, re-read — so a person's click can never do more than runguard would.

const RUN_SERVICE = /^projects\/[^/]+\/locations\/[^/]+\/services\/[^/]+$/;

export function revertNowClick(click: Click, deps: InteractionDeps): InteractionReply {
  return { status: 200, after: afterwards(deps, 'revert-now', () => revertNow(click, deps)) };
}

async function revertNow(click: Click, deps: InteractionDeps): Promise<void> {
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
    return refuse(deps, click, 'revert-now', finding.error, `Nothing was changed: ${finding.error}.`);
  const unsafe = whyNot(finding, deps);
  if (unsafe) return refuse(deps, click, 'revert-now', unsafe, `Nothing was changed: ${unsafe}.`);
  const exemption = await activeExemption(finding, deps);
  if (exemption) {
    const why = describeExemption(exemption);
    return refuse(deps, click, 'revert-now', why, `Nothing was changed: ${md(why, 1500)}.`, { exemption });
  }
  const remediation = finding.rule.remediation!;

  deps.log({
    severity: 'NOTICE',
    message: `revert now of ${finding.key} requested by ${click.userId}`,
    event: 'revert-now-requested',
    slackUserId: click.userId,
    findingKey: finding.key,
    action: remediation.action,
  });
  const now = deps.now();
  let outcome: RemediationOutcome;
  try {
    outcome = await deps.remediate(
      remediation.action,
      finding.resource,
      scopeRemediation(remediation.action, effectiveParams(finding.rule, deps.config), finding.subject),
      await deps.getRun(),
    );
  } catch (e) {
    // Transient (the API is unavailable): there is no redelivery for a click, so the person is told to try again.
    outcome = {
      action: remediation.action,
      status: 'failed',
      summary: describeError(e),
      now: 'unknown',
      verified: false,
      attempts: 0,
      error: { code: 'unavailable', message: describeError(e) },
    };
  }
  if (outcome.status === 'reverted')
    await deps.state.recordRevert(finding.key, now, deps.config.fightDetection.windowMs);
  deps.log({
    severity: outcome.status === 'failed' ? 'ERROR' : 'NOTICE',
    message: `revert now of ${finding.key} by ${click.userId}: ${outcome.status}: ${outcome.summary}`,
    event: 'revert-now',
    labels: { rule: finding.rule.id, project: finding.project, done: outcome.status },
    slackUserId: click.userId,
    findingKey: finding.key,
    resource: finding.resource,
    outcome,
  });
  const note = section(resultText(outcome, click.userId, now));
  // A failed revert keeps its buttons so that it can be tried again.
  await deps.slack.chat.update({
    channel: click.channel,
    ts: click.messageTs,
    text: click.message.text,
    blocks: withNote(click.message.blocks, note, outcome.status === 'failed'),
  });
}

/** The live path's safety rules, for a click: a remediation to run, on a resource it can act on, where runguard acts at all. */
function whyNot(finding: FindingRef, deps: InteractionDeps): string | null {
  if (!finding.rule.remediation)
    return `rule ${finding.rule.id} has no automatic remediation; fix it by hand as the alert shows`;
  if (!ruleEnabled(finding.rule, deps.config))
    return `rule ${finding.rule.id} is turned off in the runguard configuration`;
  if (!RUN_SERVICE.test(finding.resource)) return `${finding.resource} is not a Cloud Run service runguard can change`;
  if (finding.mode === 'off') return `runguard is off for project ${finding.project}`;
  if (deps.config.dryRun) return 'runguard runs in dry-run mode and changes nothing';
  return null;
}

function resultText(o: RemediationOutcome, userId: string, now: number): string {
  const by = `at the request of <@${userId}>, ${slackDate(now)}`;
  switch (o.status) {
    case 'reverted':
      return `↩️ *Reverted* ${by}: ${md(o.summary, 1200)}; now ${md(o.now, 600)}${o.verified ? '' : ' (not confirmed by the re-read)'}`;
    case 'already-safe':
      return `✅ *Nothing to revert* (checked ${by}): ${md(o.now, 1200)}`;
    case 'gone':
      return `✅ *Nothing to revert* (checked ${by}): ${md(o.summary, 1200)}`;
    case 'failed':
      return o.error?.permission
        ? `⚠️ *Could not revert* ${by}: runguard lacks the permission \`${md(o.error.permission, 200)}\``
        : `⚠️ *Could not revert* ${by} (${md(o.error?.code ?? 'error', 40)}): ${md(o.error?.message ?? o.summary, 1200)}`;
  }
}
