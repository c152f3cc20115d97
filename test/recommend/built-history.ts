import type { DecisionRecord } from '../../functions/history/types.js';
import { builtDecisionRecord } from '../history/built-record.js';

// Decision records built for the pure tests (not taken from a real run): one per finding, with only
// what the test varies given.

const DAY = 86_400_000;
export const NOW = Date.parse('2026-12-01T12:00:00Z');

let n = 0;
export function builtRecord(
  over: Partial<DecisionRecord> & { project: string; rule?: string; actor?: string; daysAgo?: number },
): DecisionRecord {
  const rule = over.rule ?? 'run-ingress-all';
  const resource = over.resource ?? `projects/${over.project}/locations/europe-west1/services/svc-${n % 3}`;
  const at = NOW - (over.daysAgo ?? 1) * DAY;
  const id = over.id ?? `built-${++n}|${rule}|${resource}`;
  const { daysAgo: _d, ...rest } = over;
  const actor = over.actor ?? 'dana@example.com';
  return builtDecisionRecord(
    {
      id,
      at,
      changedAt: new Date(at).toISOString(),
      insertId: `built-${n}`,
      rule,
      resource,
      project: over.project,
      actor,
    },
    rest,
  );
}
