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
 * Carries out a `revert` decision, unless runguard is fighting another actor over this finding:
 * after maxReverts within the window it stops, says so once, and keeps alerting without acting.
 * Transient API failures are thrown so that Pub/Sub redelivers.
 */
export async function act(
  decision: Decision,
  event: ChangeEvent,
  deps: ActDeps,
  now: number,
  opts: { ledger?: FightLedger; start?: StartState } = {},
): Promise<Verdict> {
  const remediation = decision.finding.remediation;
  if (decision.action !== 'revert' || !remediation) return verdictWithoutAction(decision);
  const key = decision.finding.key;
  const { maxReverts, windowMs } = deps.fightDetection;
  const ledger = opts.ledger ?? deps.state;

  const fight = await ledger.getFight(key, now);
  if (fight) {
    const extended = { ...fight, until: now + windowMs };
    await ledger.setFight(key, extended);
    const summary = `not reverted: runguard is fighting ${fight.actor} over this setting since ${iso(fight.since)}; alerting only until it stops for ${formatDuration(windowMs)}`;
    return { decision, done: 'fighting', summary, outcome: null, fight: extended };
  }
  const reverts = await ledger.revertCount(key, now, windowMs);
  if (reverts >= maxReverts) {
    const actor = event.actor.email || 'an unknown actor';
    const started = { actor, since: now, until: now + windowMs, reverts };
    await ledger.setFight(key, started);
    const summary = `runguard is fighting ${actor}: reverted ${reverts} times within ${formatDuration(windowMs)} and it came back; stopped reverting — find what keeps re-applying it (a Terraform apply, another bot)`;
    return { decision, done: 'fighting', summary, outcome: null, fight: started };
  }

  const run = await deps.getRun();
  const outcome = await deps.remediate(
    remediation.action,
    decision.finding.resource,
    remediation.params,
    run,
    opts.start,
  );
  if (outcome.status === 'reverted') await ledger.recordRevert(key, now, windowMs);
  return { decision, done: outcome.status, summary: describe(outcome, now), outcome, fight: null };
}

function describe(o: RemediationOutcome, now: number): string {
  switch (o.status) {
    case 'reverted':
      return `reverted at ${iso(now)}: ${o.summary}; now ${o.now}${o.verified ? '' : ' (not confirmed by the re-read)'}`;
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
