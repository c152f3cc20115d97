import type { EntryResult } from '../enforcement/pipeline.js';
import type { Action, Severity } from '../core/types.js';

// What runguard would have done with a stretch of history, per rule: the evidence a team wants
// before it switches a project from monitor to enforce. Pure: entries' results in, counts out.

export interface RuleTally {
  rule: string;
  severity: Severity;
  /** Findings by what the decision was (with the configuration as given: enforce → revert). */
  actions: Record<Action, number>;
  /** Findings with a remediation that no exemption covers: what enforce mode would have reverted. */
  wouldRevertIfEnforced: number;
  /** Distinct resources it fired on. */
  resources: number;
  topActors: Array<{ actor: string; count: number }>;
  topResources: Array<{ resource: string; count: number }>;
  firstSeen: string;
  lastSeen: string;
}

export interface Backtest {
  entries: number;
  /** Entries runguard skips by design (failed calls, its own changes, second halves of operations…), by reason code. */
  skipped: Record<string, number>;
  /** Entries that could not be decoded or normalized. */
  unreadable: number;
  /** Entries on which at least one rule fired. */
  withFindings: number;
  rules: RuleTally[];
  ruleErrors: number;
}

const TOP = 5;

/** Counts as the results arrive, so a week of a busy project's history is never held in memory. */
export async function tally(results: Iterable<EntryResult> | AsyncIterable<EntryResult>): Promise<Backtest> {
  const out: Backtest = { entries: 0, skipped: {}, unreadable: 0, withFindings: 0, rules: [], ruleErrors: 0 };
  const byRule = new Map<string, { t: RuleTally; actors: Map<string, number>; resources: Map<string, number> }>();
  for await (const r of results) {
    out.entries++;
    out.ruleErrors += r.ruleErrors.length;
    if (r.error !== undefined) {
      out.unreadable++;
      continue;
    }
    if (r.skipped !== null) {
      const code = r.skipCode ?? 'other';
      out.skipped[code] = (out.skipped[code] ?? 0) + 1;
      continue;
    }
    if (r.findings.length > 0) out.withFindings++;
    for (const d of r.findings) {
      const f = d.finding;
      let entry = byRule.get(f.rule);
      if (!entry) {
        entry = {
          t: {
            rule: f.rule,
            severity: f.severity,
            actions: { revert: 0, 'dry-run': 0, alert: 0, exempt: 0 },
            wouldRevertIfEnforced: 0,
            resources: 0,
            topActors: [],
            topResources: [],
            firstSeen: r.timestamp,
            lastSeen: r.timestamp,
          },
          actors: new Map(),
          resources: new Map(),
        };
        byRule.set(f.rule, entry);
      }
      entry.t.actions[d.action]++;
      if (f.remediation && d.action !== 'exempt') entry.t.wouldRevertIfEnforced++;
      const actor = r.actor || 'unknown';
      entry.actors.set(actor, (entry.actors.get(actor) ?? 0) + 1);
      entry.resources.set(f.resource, (entry.resources.get(f.resource) ?? 0) + 1);
      if (r.timestamp && r.timestamp < entry.t.firstSeen) entry.t.firstSeen = r.timestamp;
      if (r.timestamp > entry.t.lastSeen) entry.t.lastSeen = r.timestamp;
    }
  }
  out.rules = [...byRule.values()]
    .map(({ t, actors, resources }) => ({
      ...t,
      resources: resources.size,
      topActors: top(actors).map(([actor, count]) => ({ actor, count })),
      topResources: top(resources).map(([resource, count]) => ({ resource, count })),
    }))
    .sort((a, b) => total(b) - total(a) || a.rule.localeCompare(b.rule));
  return out;
}

const total = (t: RuleTally) => t.actions.revert + t.actions['dry-run'] + t.actions.alert + t.actions.exempt;

/** Most frequent first; ties by name, so the same history always prints the same way. */
function top(counts: Map<string, number>): Array<[string, number]> {
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, TOP);
}
