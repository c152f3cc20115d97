import type { DecisionRecord } from '../../functions/history/types.js';

// A decision record built for the pure tests (not taken from a real run): a finding on a Cloud Run
// service in europe-west1, reverted in enforce mode after an audit event, by `actor` alone. The report's
// and recommend's fixtures each give their own ids, times and defaults, then what a test varies.
export function builtDecisionRecord(
  base: Pick<DecisionRecord, 'id' | 'at' | 'changedAt' | 'insertId' | 'rule' | 'resource' | 'project' | 'actor'>,
  over: Partial<DecisionRecord> = {},
): DecisionRecord {
  return {
    ...base,
    method: 'google.cloud.run.v2.Services.UpdateService',
    severity: 'HIGH',
    findingKey: `${base.rule}|${base.resource}`,
    resourceType: 'run.googleapis.com/Service',
    location: 'europe-west1',
    principals: [base.actor],
    done: 'reverted',
    mode: 'enforce',
    foundBy: 'event',
    ...over,
  };
}
