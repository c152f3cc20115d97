import type { DecisionRecord } from '../../functions/history/types.js';
import type { BreakglassExemption } from '../../functions/state/types.js';
import { builtDecisionRecord } from '../history/built-record.js';

export const DAY = 86_400_000;
/** A Monday, 09:00 UTC: when the schedule runs. */
export const NOW = Date.parse('2026-11-30T09:00:00Z');

let n = 0;
export function rec(at: number, over: Partial<DecisionRecord> = {}): DecisionRecord {
  const rule = over.rule ?? 'run-ingress-all';
  const resource = over.resource ?? 'projects/shop-prod/locations/europe-west1/services/web';
  return builtDecisionRecord(
    {
      id: `r${++n}|${rule}|${resource}`,
      at,
      changedAt: new Date(at - 1000).toISOString(),
      insertId: `r${n}`,
      rule,
      resource,
      project: 'shop-prod',
      actor: 'alice@example.com',
    },
    over,
  );
}

export function exemption(expires: number, over: Partial<BreakglassExemption> = {}): BreakglassExemption {
  const resource = over.resource ?? 'projects/pay-prod/locations/us-central1/services/checkout';
  const created = new Date(expires - 3 * DAY).toISOString();
  return {
    resource,
    rule: 'run-public-invoker',
    reason: 'public status page during the migration',
    expires: new Date(expires).toISOString(),
    approvedBy: 'bob@example.com',
    source: 'breakglass',
    id: `run-public-invoker|${resource}|${created}`,
    findingKey: `run-public-invoker|${resource}`,
    requester: 'carol@example.com',
    createdAt: created,
    slackUserId: 'U0BOB',
    slackMessage: null,
    ...over,
  };
}
