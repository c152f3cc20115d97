import { formatDuration } from '../core/duration.js';
import type { ChangeEvent, Decision } from '../core/types.js';
import type { StartState } from '../remediation/execute.js';
import type { RunPort } from '../remediation/types.js';
import type { StateStore } from '../state/types.js';
import { type RemediationOutcome, type Verdict, verdictWithoutAction } from '../core/verdict.js';
import type { FightLedger } from './ledger.js';

/** `start`: the service and policy as observed (with etags), to write against without reading again. */
export type RemediateFn = (
  action: string,
  resourceName: string,
  params: Record<string, unknown>,
  run: RunPort,
  start?: StartState,
) => Promise<RemediationOutcome>;

export interface ActDeps {
  getRun: () => Promise<RunPort>;
  remediate: RemediateFn;
  state: StateStore;
  fightDetection: { maxReverts: number; windowMs: number };
}

/**
 * Carries out a `revert` decision, unless runguard is fighting another actor over this finding.
 *
 * Fights are bounded. Only live events (a change someone made, `origin: 'event'`) count reverts and
 * start a fight: after `maxReverts` reverts within the window, the next change starts one, which
 * lasts exactly one window from its start — nothing extends it, and the sweep neither starts one nor
 * counts its own reverts. While it lasts runguard does not revert that finding and escalates every
 * alert about it to CRITICAL, saying who and how many times. Once it has ended, the next event or
 * sweep reverts again. So no actor keeps an insecure setting for longer than a window plus one sweep
 * interval, unless a person records an exemption. Transient API failures are thrown so that Pub/Sub
 * redelivers.
 */
export async function act(
  decision: Decision,
  event: ChangeEvent,
  deps: ActDeps,
  now: number,
  opts: { ledger?: FightLedger; start?: StartState; origin?: 'event' | 'sweep' } = {},
): Promise<Verdict> {
  const remediation = decision.finding.remediation;
  if (decision.action !== 'revert' || !remediation) return verdictWithoutAction(decision);
  const key = decision.finding.key;
  const { maxReverts, windowMs } = deps.fightDetection;
  const ledger = opts.ledger ?? deps.state;
  const live = (opts.origin ?? 'event') === 'event';

  const fight = await ledger.getFight(key, now);
  if (fight) {
    const summary =
      `not reverted: runguard is fighting ${fight.actor}, who put this setting back ${fight.reverts + 1} times ` +
      `within ${formatDuration(windowMs)} (reverted ${fight.reverts} times); ` +
      `runguard reverts again after ${iso(fight.until)} — find what keeps re-applying it, or record an exemption`;
    return { decision: escalated(decision), done: 'fighting', summary, outcome: null, fight };
  }
  // A finding already open before this change is not this change's actor's doing: it does not count toward a
  // fight. The sweep's reverts never count either.
  const counts = live && decision.introduced !== false;
  if (counts) {
    const reverts = await ledger.revertCount(key, now, windowMs);
    if (reverts >= maxReverts) {
      const actor = event.actor.caller || 'an unknown actor';
      const started = { actor, since: now, until: now + windowMs, reverts };
      await ledger.setFight(key, started);
      const summary =
        `runguard is fighting ${actor}: it put this setting back ${reverts + 1} times ` +
        `within ${formatDuration(windowMs)} (reverted ${reverts} times); ` +
        `not reverting until ${iso(started.until)} ` +
        `— find what keeps re-applying it (a Terraform apply, another bot), or record an exemption`;
      return { decision: escalated(decision), done: 'fighting', summary, outcome: null, fight: started };
    }
  }

  const run = await deps.getRun();
  const outcome = await deps.remediate(
    remediation.action,
    decision.finding.resource,
    remediation.params,
    run,
    opts.start,
  );
  if (outcome.status === 'reverted' && counts) await ledger.recordRevert(key, now, windowMs);
  return { decision, done: outcome.status, summary: describe(outcome, now), outcome, fight: null };
}

/** A fight is escalated: the alert is CRITICAL whatever the rule's severity, and routed as such. */
function escalated(decision: Decision): Decision {
  return { ...decision, finding: { ...decision.finding, severity: 'CRITICAL' } };
}

function describe(o: RemediationOutcome, now: number): string {
  switch (o.status) {
    case 'reverted':
      return (
        `reverted at ${iso(now)}: ${o.summary}; ` + `now ${o.now}${o.verified ? '' : ' (not confirmed by the re-read)'}`
      );
    case 'already-safe':
      return `nothing to revert: ${o.now}`;
    case 'gone':
      return `nothing to revert: ${o.summary}`;
    case 'failed':
      return o.error?.permission
        ? `could not revert: runguard lacks the permission ${o.error.permission} (${o.summary})`
        : `could not revert (${o.error?.code ?? 'error'}): ${o.error?.message ?? o.summary}`;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
