import { parseFindingKey } from '../core/subject.js';
import type { Fight } from '../core/verdict.js';
import type { DecisionRecord } from '../history/types.js';
import type { BreakglassExemption } from '../state/types.js';

// The weekly report as a value: what the renderers (chart, Slack, HTML) draw, built from history,
// exemptions and fights with no I/O and no clock of its own.

export const DAY_MS = 86_400_000;

/** An org-policy guardrail `runguard recommend` proposes (functions/recommend/): rendered as given. */
export interface Recommendation {
  title: string;
  /** Why, in words: what history shows (e.g. "12 public-invoker findings in 3 projects this week"). */
  evidence: string;
  /** What to run to put it in place, shown as code. */
  command?: string;
}

/** What a day's bars count: every finding, the ones reverted, and the ones an exemption covered. */
export const SERIES = ['findings', 'reverts', 'exempt'] as const;
export type Series = (typeof SERIES)[number];

/**
 * Where a day's numbers come from: runguard's history (what it did), the Admin Activity log judged
 * by the rules (what it would have done, before history was kept), or nothing.
 */
export type DaySource = 'store' | 'log' | 'none';

export interface ReportDay {
  /** The UTC day, YYYY-MM-DD. */
  date: string;
  start: number;
  source: DaySource;
  /** Per series, per rule: how many. */
  counts: Record<Series, Record<string, number>>;
}

export interface Ranked {
  name: string;
  findings: number;
  reverts: number;
}

export interface ExpiringExemption {
  id: string;
  rule: string;
  resource: string;
  project: string;
  expires: string;
  requester: string;
  approvedBy: string;
  reason: string;
}

export interface ActiveFight {
  findingKey: string;
  rule: string;
  resource: string;
  /** The other automation that keeps putting the setting back. */
  actor: string;
  since: number;
  until: number;
  reverts: number;
}

export interface WeeklyReport {
  since: number;
  until: number;
  generatedAt: number;
  days: ReportDay[];
  /** Every rule seen, most findings first: the chart's stacking and legend order. */
  rules: string[];
  totals: Record<Series, number> & { alerted: number; failed: number; fighting: number };
  topActors: Ranked[];
  topProjects: Ranked[];
  /** Breakglass exemptions active now that expire within the coming week, soonest first. */
  expiring: ExpiringExemption[];
  fights: ActiveFight[];
  /** Filled by `runguard recommend` when it runs beside the report; absent, the section is not shown. */
  recommendations?: Recommendation[];
}

export interface ReportInput {
  /** What runguard decided, from its history. */
  records: readonly DecisionRecord[];
  /** What it would have decided, from the audit log, for the days before `historyFrom`. */
  logRecords?: readonly DecisionRecord[];
  /** The first instant history covers; days wholly before it come from the log (or show nothing). */
  historyFrom?: number;
  exemptions: readonly BreakglassExemption[];
  fights: ReadonlyArray<{ findingKey: string; fight: Fight }>;
  since: number;
  now: number;
  top?: number;
  recommendations?: readonly Recommendation[];
}

const WEEK_MS = 7 * DAY_MS;

export function buildReport(input: ReportInput): WeeklyReport {
  const { since, now } = input;
  const top = input.top ?? 5;
  const historyFrom = input.historyFrom ?? since;
  // Whole days from the first midnight on: "7d" at 09:00 is the six days before and today so far.
  const first = Math.ceil(since / DAY_MS) * DAY_MS;
  const days: ReportDay[] = [];
  for (let start = first; start < now; start += DAY_MS) {
    const source: DaySource = start + DAY_MS <= historyFrom ? (input.logRecords ? 'log' : 'none') : 'store';
    days.push({
      date: new Date(start).toISOString().slice(0, 10),
      start,
      source,
      counts: { findings: {}, reverts: {}, exempt: {} },
    });
  }
  const dayOf = (at: number) => days[Math.floor((at - first) / DAY_MS)];
  const inWindow = (r: DecisionRecord, want: DaySource) => {
    const day = r.at >= first && r.at < now ? dayOf(r.at) : undefined;
    return day?.source === want ? day : undefined;
  };
  const totals = { findings: 0, reverts: 0, exempt: 0, alerted: 0, failed: 0, fighting: 0 };
  const ruleTotals = new Map<string, number>();
  const actors = new Map<string, Ranked>();
  const projects = new Map<string, Ranked>();
  const bump = (m: Map<string, Ranked>, name: string, reverted: boolean) => {
    const x = m.get(name) ?? { name, findings: 0, reverts: 0 };
    x.findings++;
    if (reverted) x.reverts++;
    m.set(name, x);
  };
  for (const [list, want] of [
    [input.records, 'store'],
    [input.logRecords ?? [], 'log'],
  ] as const) {
    for (const r of list) {
      const day = inWindow(r, want);
      if (!day) continue;
      const series: Series[] = ['findings'];
      if (r.done === 'reverted') series.push('reverts');
      if (r.done === 'exempt') series.push('exempt');
      for (const s of series) {
        day.counts[s][r.rule] = (day.counts[s][r.rule] ?? 0) + 1;
        totals[s]++;
      }
      if (r.done === 'alerted' || r.done === 'dry-run') totals.alerted++;
      if (r.done === 'failed') totals.failed++;
      if (r.done === 'fighting') totals.fighting++;
      ruleTotals.set(r.rule, (ruleTotals.get(r.rule) ?? 0) + 1);
      // A sweep finding has no actor: it is counted for its project only.
      if (r.actor) bump(actors, r.actor, r.done === 'reverted');
      if (r.project) bump(projects, r.project, r.done === 'reverted');
    }
  }
  const ranked = (m: Map<string, Ranked>) =>
    [...m.values()]
      .sort((a, b) => b.findings - a.findings || b.reverts - a.reverts || a.name.localeCompare(b.name))
      .slice(0, top);

  const expiring = input.exemptions
    .filter((e) => {
      const t = Date.parse(e.expires);
      return t > now && t <= now + WEEK_MS;
    })
    .sort((a, b) => Date.parse(a.expires) - Date.parse(b.expires) || a.id.localeCompare(b.id))
    .map((e) => ({
      id: e.id,
      rule: e.rule,
      resource: e.resource,
      project: /^projects\/([^/]+)/.exec(e.resource)?.[1] ?? '',
      expires: e.expires,
      requester: e.requester,
      approvedBy: e.approvedBy,
      reason: e.reason,
    }));

  const fights = input.fights
    .filter((f) => f.fight.until > now)
    .map(({ findingKey, fight }) => {
      const { rule, resource } = parseFindingKey(findingKey);
      return { findingKey, rule, resource, ...fight };
    })
    .sort((a, b) => a.since - b.since || a.findingKey.localeCompare(b.findingKey));

  return {
    since: first,
    until: now,
    generatedAt: now,
    days,
    rules: [...ruleTotals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([r]) => r),
    totals,
    topActors: ranked(actors),
    topProjects: ranked(projects),
    expiring,
    fights,
    ...(input.recommendations ? { recommendations: [...input.recommendations] } : {}),
  };
}

/** The days counted from the audit log (what runguard would have done), for the renderers' captions. */
export function logDays(report: WeeklyReport): ReportDay[] {
  return report.days.filter((d) => d.source === 'log');
}
