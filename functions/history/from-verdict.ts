import { principalChain } from '../core/principals.js';
import type { ChangeEvent, Exemption } from '../core/types.js';
import type { Verdict } from '../core/verdict.js';
import type { DecisionRecord } from './types.js';

// A verdict as history keeps it: the live path, the sweep and the report's backfill from the audit
// log all make their records here, so they read the same.

/** Where a finding was decided: the change that showed it (an entry), or the sweep that found it. */
export type DecisionSource =
  | { foundBy: 'event'; event: ChangeEvent; method: string; timestamp: string }
  | { foundBy: 'sweep'; event: ChangeEvent; startedAt: number };

export function decisionRecord(verdict: Verdict, source: DecisionSource, at: number): DecisionRecord {
  const d = verdict.decision;
  const f = d.finding;
  const { event } = source;
  const principals = source.foundBy === 'event' ? principalChain(event.actor) : [];
  const exemption = d.exemption ? exemptionName(d.exemption) : undefined;
  return {
    id: source.foundBy === 'event' ? `${event.insertId}|${f.key}` : `sweep:${source.startedAt}|${f.key}`,
    at,
    changedAt: source.foundBy === 'event' ? source.timestamp : new Date(source.startedAt).toISOString(),
    ...(source.foundBy === 'event' ? { insertId: event.insertId } : {}),
    method: source.foundBy === 'event' ? source.method : 'sweep',
    rule: f.rule,
    severity: f.severity,
    findingKey: f.key,
    resource: f.resource,
    resourceType: event.resource.type,
    project: event.resource.project,
    location: event.resource.location,
    actor: source.foundBy === 'event' ? event.actor.caller : '',
    principals,
    done: verdict.done,
    mode: d.mode,
    ...(exemption ? { exemption } : {}),
    foundBy: source.foundBy,
  };
}

/** A breakglass exemption by its id; a configuration exemption by its resource glob. */
function exemptionName(e: Exemption & { id?: unknown }): string {
  return typeof e.id === 'string' && e.id ? e.id : e.resource;
}
