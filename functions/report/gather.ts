import type { DecisionRecord } from '../history/types.js';
import type { StateStore } from '../state/types.js';
import { buildReport, DAY_MS, type Recommendation, type WeeklyReport } from './model.js';

// Reads what the report needs: history, exemptions and fights from the state store, and, where
// history is thinner than the window (runguard was installed this week), what the audit log says.

/** The store's part the report reads: never a write. */
export type ReportStore = Pick<StateStore, 'decisions' | 'firstDecisionAt' | 'listExemptions' | 'listFights'>;

/** What runguard would have decided in a range, judged from the Admin Activity log (the CLI's backtest reader). */
export type Backfill = (range: { since: number; until: number }) => Promise<DecisionRecord[]>;

export interface GatherOptions {
  since: number;
  now: number;
  project?: string;
  backfill?: Backfill;
  recommendations?: readonly Recommendation[];
}

export async function gatherReport(store: ReportStore, opts: GatherOptions): Promise<WeeklyReport> {
  const { since, now } = opts;
  const range = { since, until: now, ...(opts.project ? { project: opts.project } : {}) };
  const [records, first, exemptions, fights] = await Promise.all([
    store.decisions(range),
    store.firstDecisionAt(),
    store.listExemptions(opts.project ? { project: opts.project } : {}),
    store.listFights(now),
  ]);
  // History starts at the day of the first record ever kept; nothing kept at all: it starts now.
  const historyFrom = first === null ? now : Math.floor(first / DAY_MS) * DAY_MS;
  const thin = historyFrom > since && opts.backfill;
  const logRecords = thin ? await opts.backfill!({ since, until: Math.min(historyFrom, now) }) : undefined;
  return buildReport({
    records,
    ...(logRecords ? { logRecords: logRecords.filter((r) => !opts.project || r.project === opts.project) } : {}),
    historyFrom,
    exemptions,
    fights: opts.project ? fights.filter((f) => f.findingKey.includes(`projects/${opts.project}/`)) : fights,
    since,
    now,
    ...(opts.recommendations ? { recommendations: opts.recommendations } : {}),
  });
}
