import { projectMode } from '../config/resolve.js';
import { describeError, isTransient, TransientError } from '../core/errors.js';
import type { RevertRequest } from '../core/revert-request.js';
import { parseFindingKey, parseSubject, scopeRemediation } from '../core/subject.js';
import { effectiveParams, ruleEnabled } from '../rules/overrides.js';
import { activeExemption } from './exemption-check.js';
import type { RemediationOutcome } from '../core/verdict.js';
import { md } from '../slack/render-text.js';
import { claimLeaseMs, type LiveDeps } from './deps.js';

// A person's "Revert now", carried out by auditEvents — the function that holds the remediation
// role — with the live path's safety rules: a rule that has a remediation and is on, a Cloud Run
// service, a project runguard acts in, no dry run, no standing breakglass exemption on the finding;
// then the same remediate() (catalog checks, etags, re-read). Pub/Sub delivers at least once: the
// request's id is claimed, so a redelivery reverts nothing twice. The result goes to the alert's thread.

const RUN_SERVICE = /^projects\/[^/]+\/locations\/[^/]+\/services\/[^/]+$/;

export type RevertRequestResult = {
  status: 'duplicate' | 'refused' | 'done';
  outcome?: RemediationOutcome;
  why?: string;
};

export async function executeRevertRequest(req: RevertRequest, deps: LiveDeps): Promise<RevertRequestResult> {
  const keys = [`revert-request:${req.id}`];
  const claim = await deps.state.claim(keys, deps.now(), deps.claimLeaseMs ?? claimLeaseMs(undefined));
  if (claim.status === 'duplicate') return { status: 'duplicate' };
  if (claim.status === 'busy')
    throw new TransientError(`revert request ${req.id} is being handled by another delivery`);
  const token = claim.token;
  const who = req.requestedBy.email ?? req.requestedBy.slackUserId;
  try {
    const why = await whyNot(req, deps);
    if (why) {
      deps.log({
        severity: 'NOTICE',
        message: `revert now of ${req.findingKey} requested by ${who} refused: ${why}`,
        event: 'revert-now',
        labels: { done: 'refused' },
        slackUserId: req.requestedBy.slackUserId,
        findingKey: req.findingKey,
        reason: why,
        requestId: req.id,
      });
      await report(deps, req, `⚠️ *Not reverted* (asked by <@${req.requestedBy.slackUserId}>): ${md(why, 1200)}`);
      await deps.state.complete(keys, token, deps.now());
      return { status: 'refused', why };
    }
    const { rule: ruleId, resource, subject } = parseFindingKey(req.findingKey);
    const rule = deps.rules.find((r) => r.id === ruleId)!;
    // Only what the finding is about: one member in one role, or one setting.
    const params = scopeRemediation(
      rule.remediation!.action,
      effectiveParams(rule, deps.config.overrides),
      subject ?? '',
    );
    const now = deps.now();
    let outcome: RemediationOutcome;
    try {
      outcome = await deps.remediate(rule.remediation!.action, resource, params, await deps.getRun());
    } catch (e) {
      // Cloud Run unavailable: Pub/Sub redelivers; the claim is given back with nothing done.
      if (isTransient(e)) {
        await deps.state.release(keys, token, { verdicts: [], notified: [] });
        throw e;
      }
      outcome = {
        action: rule.remediation!.action,
        status: 'failed',
        summary: describeError(e),
        now: 'unknown',
        verified: false,
        attempts: 0,
        error: { code: 'unknown', message: describeError(e) },
      };
    }
    if (outcome.status === 'reverted')
      await deps.state.recordRevert(req.findingKey, now, deps.config.fightDetection.windowMs);
    deps.log({
      severity: outcome.status === 'failed' ? 'ERROR' : 'NOTICE',
      message: `revert now of ${req.findingKey} by ${who}: ${outcome.status}: ${outcome.summary}`,
      event: 'revert-now',
      labels: { rule: rule.id, project: /^projects\/([^/]+)/.exec(resource)?.[1] ?? '', done: outcome.status },
      slackUserId: req.requestedBy.slackUserId,
      requestedBy: who,
      findingKey: req.findingKey,
      resource,
      outcome,
      requestId: req.id,
    });
    await report(deps, req, resultText(outcome, req.requestedBy.slackUserId, now));
    await deps.state.complete(keys, token, deps.now());
    return { status: 'done', outcome };
  } catch (e) {
    if (!isTransient(e)) await deps.state.complete(keys, token, deps.now()).catch(() => undefined);
    throw e;
  }
}

/** The live path's safety rules, for a person's request; null when it may go ahead. */
async function whyNot(req: RevertRequest, deps: LiveDeps): Promise<string | null> {
  const { rule: ruleId, resource, subject } = parseFindingKey(req.findingKey);
  if (subject !== null && parseSubject(subject) === null)
    return `the request names a finding runguard does not understand`;
  const rule = deps.rules.find((r) => r.id === ruleId);
  if (!rule) return `rule ${ruleId || '(none)'} is not loaded`;
  if (!rule.remediation) return `rule ${rule.id} has no automatic remediation; fix it by hand as the alert shows`;
  if (!ruleEnabled(rule, deps.config.overrides)) return `rule ${rule.id} is turned off in the runguard configuration`;
  if (!RUN_SERVICE.test(resource)) return `${resource} is not a Cloud Run service runguard can change`;
  const project = /^projects\/([^/]+)/.exec(resource)?.[1] ?? '';
  if (projectMode(deps.config, project, resource) === 'off') return `runguard is off for project ${project}`;
  if (deps.config.dryRun) return 'runguard runs in dry-run mode and changes nothing';
  // The same matching as the live path: the configuration's exemptions and breakglass ones, by subject.
  const target = { rule: ruleId, resource, subject: subject ?? '' };
  const active = await activeExemption(deps.state, deps.config.exemptions, target, deps.now());
  if (active) return `an approved exemption covers this finding until ${active.expires} (${active.approvedBy})`;
  return null;
}

async function report(deps: LiveDeps, req: RevertRequest, text: string): Promise<void> {
  if (!deps.threads) return;
  const { channel, ts, threadTs } = req.slackMessage;
  try {
    await deps.threads.reply(channel, threadTs ?? ts, text);
  } catch (e) {
    deps.log({
      severity: 'ERROR',
      message: `the result of revert request ${req.id} could not be posted in ${channel}/${ts}: ${describeError(e)}`,
      event: 'alert-undelivered',
      requestId: req.id,
    });
  }
}

function at(ms: number): string {
  const iso = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${iso}>`;
}

export function resultText(o: RemediationOutcome, userId: string, now: number): string {
  const by = `at the request of <@${userId}>, ${at(now)}`;
  switch (o.status) {
    case 'reverted':
      return (
        `↩️ *Reverted* ${by}: ${md(o.summary, 1200)}; ` +
        `now ${md(o.now, 600)}${o.verified ? '' : ' (not confirmed by the re-read)'}`
      );
    case 'already-safe':
      return `✅ *Nothing to revert* (checked ${by}): ${md(o.now, 1200)}`;
    case 'gone':
      return `✅ *Nothing to revert* (checked ${by}): ${md(o.summary, 1200)}`;
    case 'failed':
      return o.error?.permission
        ? `⚠️ *Could not revert* ${by}: runguard lacks the permission \`${md(o.error.permission, 200)}\``
        : `⚠️ *Could not revert* ${by} (${md(o.error?.code ?? 'error', 40)}): ` +
            `${md(o.error?.message ?? o.summary, 1200)}`;
  }
}
