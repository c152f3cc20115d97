import type { Done } from '../core/verdict.js';
import type { Action } from '../core/types.js';
import type { EntryResult } from '../enforcement/pipeline.js';
import type { DecisionRecord } from '../history/types.js';

// Decision records from audit entries judged offline (files, or the Admin Activity log read as
// `runguard backtest` reads it): what runguard would have decided, where its own history is thin.
// Nothing was acted on, so a revert is recorded as what it would have been: dry-run. Pure.

const DONE: Record<Action, Done> = { revert: 'dry-run', 'dry-run': 'dry-run', alert: 'alerted', exempt: 'exempt' };

export function recordsFromEntry(result: EntryResult): DecisionRecord[] {
  if (result.error || result.skipped || !result.event) return [];
  const at = Date.parse(result.timestamp);
  if (Number.isNaN(at)) return [];
  const event = result.event;
  return result.findings.map((d) => ({
    id: `${result.insertId}|${d.finding.key}`,
    at,
    changedAt: new Date(at).toISOString(),
    insertId: result.insertId,
    method: result.method,
    rule: d.finding.rule,
    severity: d.finding.severity,
    findingKey: d.finding.key,
    resource: d.finding.resource,
    resourceType: event.resource.type,
    project: event.resource.project,
    location: event.resource.location ?? '',
    actor: result.actor,
    principals: [event.actor.email, ...event.actor.delegation].filter((p) => p !== ''),
    done: DONE[d.action],
    mode: d.mode,
    ...(d.exemption ? { exemption: d.exemption.resource } : {}),
    foundBy: 'event' as const,
  }));
}
