import type { EntryResult } from './pipeline.js';
import type { LogSeverity, Logger } from '../core/log.js';
import type { Observation } from '../core/notify.js';
import type { Verdict } from '../core/verdict.js';
import { STANDING } from './attribution.js';

// One structured line per decision (and one per entry that produced none), so an auditor can
// answer "who changed what, what did runguard do, and why" from Cloud Logging alone.

const DONE_SEVERITY: Record<Verdict['done'], LogSeverity> = {
  reverted: 'NOTICE',
  'already-safe': 'INFO',
  gone: 'INFO',
  failed: 'ERROR',
  fighting: 'WARNING',
  'dry-run': 'NOTICE',
  alerted: 'NOTICE',
  exempt: 'INFO',
};

export function recordDecision(
  log: Logger,
  r: EntryResult,
  v: Verdict,
  observation: Observation,
  alreadyAlerted = false,
): void {
  const f = v.decision.finding;
  const standing = v.decision.introduced === false ? ` (${STANDING}${alreadyAlerted ? '; already alerted' : ''})` : '';
  log({
    severity: DONE_SEVERITY[v.done],
    message: `${v.done}: ${f.rule} on ${f.resource}${standing} — ${v.summary}`,
    event: 'decision',
    labels: { rule: f.rule, action: v.decision.action, done: v.done, project: r.project },
    ...identity(r),
    rule: f.rule,
    ruleSeverity: f.severity,
    finding: f.message,
    findingKey: f.key,
    subject: f.subject,
    introduced: v.decision.introduced,
    alerted: alreadyAlerted ? false : undefined,
    action: v.decision.action,
    mode: v.decision.mode,
    reason: v.decision.reason,
    done: v.done,
    summary: v.summary,
    observed: observation.source === 'live' ? 'live' : `${observation.source}: ${observation.note}`,
    exemption: v.decision.exemption,
    expiredExemptions: v.decision.expiredExemptions.length > 0 ? v.decision.expiredExemptions : undefined,
    outcome: v.outcome
      ? {
          status: v.outcome.status,
          attempts: v.outcome.attempts,
          verified: v.outcome.verified,
          now: v.outcome.now,
          error: v.outcome.error,
        }
      : undefined,
    fight: v.fight ?? undefined,
  });
}

export function recordEntry(log: Logger, r: EntryResult): void {
  if (r.error !== undefined) {
    log({
      severity: 'ERROR',
      message:
        `malformed entry${r.insertId ? ` ${r.insertId}` : ''}` +
        `${r.messageId ? ` (message ${r.messageId})` : ''}: ${r.error}`,
      event: 'malformed',
      ...identity(r),
      reason: r.error,
    });
    return;
  }
  const message = r.skipped !== null ? `skipped ${r.insertId}: ${r.skipped}` : `evaluated ${r.insertId}: no rule fired`;
  log({
    severity: 'INFO',
    message,
    event: r.skipped !== null ? 'skip' : 'clean',
    ...identity(r),
    skipped: r.skipped,
    skipCode: r.skipCode,
  });
}

function identity(r: EntryResult) {
  return {
    insertId: r.insertId,
    messageId: r.messageId,
    method: r.method,
    resource: r.resource,
    project: r.project,
    actor: r.actor,
    tool: r.tool,
    timestamp: r.timestamp,
  };
}
