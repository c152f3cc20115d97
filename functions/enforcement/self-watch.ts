import { describeError } from '../core/errors.js';
import type { LogLine, Logger } from '../core/log.js';

// runguard watches itself. The failures nobody would otherwise hear about — an alert Slack refused,
// a rule that throws on real input, an entry that cannot be read, a permanent failure, a fight —
// are log lines (and, in Terraform, log-based metrics with an alert policy). Where Slack still
// works, the default channel also gets one message about each kind, at most one per kind per
// `intervalMs` on this instance; what was held back is counted in the next one.

export const HEALTH_KINDS = ['alert-undelivered', 'rule-error', 'malformed', 'failed', 'fight'] as const;
export type HealthKind = (typeof HEALTH_KINDS)[number];

/** Which self-watch kind a log line is, or null. The same rules as terraform/modules/runguard/monitoring.tf. */
export function healthKind(line: LogLine): HealthKind | null {
  if (line.event === 'alert-undelivered' || line.event === 'rule-error' || line.event === 'malformed')
    return line.event;
  if (line.event === 'failed') return 'failed';
  if (line.event === 'decision' && line.done === 'failed') return 'failed';
  if (line.event === 'decision' && line.done === 'fighting') return 'fight';
  return null;
}

const WHAT: Record<HealthKind, string> = {
  'alert-undelivered': 'an alert could not be delivered to Slack',
  'rule-error': 'a rule failed to evaluate on a real entry',
  malformed: 'an audit entry could not be read',
  failed: 'something failed permanently',
  fight: 'runguard is fighting another actor and stopped reverting',
};

export interface SelfWatch {
  log: Logger;
  /** Resolves when the messages already started are sent (or have failed); never rejects. */
  flush(): Promise<void>;
}

/** Wraps `log`: every line goes through as before; a self-watch line also posts to Slack, rate-limited. */
export function selfWatchLogger(
  log: Logger,
  post: (text: string) => Promise<unknown>,
  opts: { now: () => number; intervalMs: number },
): SelfWatch {
  const last = new Map<HealthKind, number>();
  const held = new Map<HealthKind, number>();
  const pending = new Set<Promise<void>>();
  const watched: Logger = (line) => {
    log(line);
    const kind = healthKind(line);
    if (!kind) return;
    const now = opts.now();
    const before = last.get(kind);
    if (before !== undefined && now - before < opts.intervalMs) {
      held.set(kind, (held.get(kind) ?? 0) + 1);
      return;
    }
    last.set(kind, now);
    const more = held.get(kind) ?? 0;
    held.delete(kind);
    const since = more > 0 ? ` (and ${more} more since the last message)` : '';
    const text =
      `:rotating_light: runguard health: ${WHAT[kind]}${since}. \`${kind}\`: ${oneLine(line.message)} ` +
      `— look for jsonPayload.event in runguard's logs. ` +
      `At most one message per ${Math.round(opts.intervalMs / 60_000)} min per kind from each instance.`;
    const p = post(text).then(
      () => undefined,
      // Never `alert-undelivered` here: that would be a loop. The metric and its alert policy still page.
      (e) =>
        log({
          severity: 'WARNING',
          message: `self-watch message not sent: ${describeError(e)}`,
          event: 'self-watch-unsent',
        }),
    );
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  return { log: watched, flush: async () => void (await Promise.all([...pending])) };
}

// Slack mrkdwn: the message is runguard's own words plus ids; keep it to one line and within bounds.
function oneLine(s: string): string {
  const t = s.replace(/\s+/g, ' ').replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
  return t.length > 300 ? `${t.slice(0, 299)}…` : t;
}
