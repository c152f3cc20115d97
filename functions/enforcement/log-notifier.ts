import type { Logger } from '../core/log.js';
import type { Notifier } from '../core/notify.js';

const SEVERITY = { CRITICAL: 'CRITICAL', HIGH: 'ERROR', MEDIUM: 'WARNING', LOW: 'NOTICE' } as const;

export function logNotifier(log: Logger): Notifier {
  return {
    async notify({ change, verdict, observation }) {
      const f = verdict.decision.finding;
      const who =
        verdict.decision.introduced === false
          ? `already open before this change (this change by ${change.actor || 'unknown'})`
          : `by ${change.actor || 'unknown'}`;
      log({
        severity: SEVERITY[f.severity],
        message:
          `[${f.severity}] ${f.rule} on ${change.resource}: ${f.message} ` +
          `— ${who} (${change.tool}) — ${verdict.summary}`,
        event: 'alert',
        labels: { rule: f.rule, done: verdict.done, project: change.project },
        insertId: change.insertId,
        findingKey: f.key,
        observed: observation.source === 'live' ? 'live' : `${observation.source}: ${observation.note}`,
      });
    },
    async summarize(s) {
      log({
        severity: s.news.length > 0 ? 'WARNING' : 'INFO',
        message:
          `sweep: ${s.news.length} new finding(s), ${s.ongoing} ongoing, ` +
          `${s.services} services in ${s.projects} project(s)` +
          `${s.unread.length ? `; could not read ${s.unread.length}` : ''}`,
        event: 'sweep-summary',
        news: s.news,
        unread: s.unread,
        health: s.health,
      });
    },
  };
}
