import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { createLoggingSource } from '../backtest/read-entries.js';
import { describeError } from '../core/errors.js';
import { evaluateEntry } from '../enforcement/pipeline.js';
import { firestoreStateFromEnv } from '../enforcement/deps.js';
import { sinkFilter } from '../events/sink-filter.js';
import type { DecisionRecord } from '../history/types.js';
import { wouldHaveDecided } from '../report/backfill.js';
import { chartSvg, range } from '../report/chart-svg.js';
import { type Backfill, gatherReport, type ReportStore } from '../report/gather.js';
import { reportHtml } from '../report/html.js';
import type { WeeklyReport } from '../report/model.js';
import { svgToPng } from '../report/png.js';
import { MemoryStateStore } from '../state/memory.js';
import { sinceInstant } from './backtest.js';
import { padTable } from './format.js';
import type { CommonOptions, Io } from './io.js';
import { loadSetup } from './setup.js';

// `runguard report`: the weekly report of the scheduled function, at a terminal or into a file
// (PNG chart or self-contained HTML). History from runguard's Firestore; where it is thinner than
// --since, and a --project is named, the days before come from that project's Admin Activity log
// judged by the rules (what runguard would have done), marked as such.

export interface ReportOptions extends CommonOptions {
  since: string | undefined;
  projects: string[];
  out: string | undefined;
  /** Tests pass a store; otherwise runguard's Firestore from the environment, or none. */
  store?: ReportStore & { close?: () => Promise<void> };
}

export async function runReport(opts: ReportOptions, io: Io): Promise<number> {
  const now = io.now();
  const since = sinceInstant(opts.since ?? '7d', now);
  if (since === null || since >= now) {
    io.stderr(`runguard report: --since must be a duration such as 7d, or an RFC 3339 instant, not "${opts.since}"\n`);
    return 2;
  }
  const kind = opts.out ? extname(opts.out).toLowerCase() : '';
  if (opts.out && kind !== '.png' && kind !== '.html') {
    io.stderr(`runguard report: --out must name a .png or an .html file, not "${opts.out}"\n`);
    return 2;
  }
  if (opts.projects.length > 1) {
    io.stderr('runguard report: name at most one --project\n');
    return 2;
  }
  const project = opts.projects[0];
  const setup = project ? loadSetup(opts, io) : null;
  if (project && !setup) return 2;
  const store = opts.store ?? storeFromEnv(io);
  const backfill: Backfill | undefined = project && setup ? (r) => readLog(project, r, setup, io) : undefined;
  let report: WeeklyReport;
  try {
    report = await gatherReport(store, {
      since,
      now,
      ...(project ? { project } : {}),
      ...(backfill ? { backfill } : {}),
    });
  } catch (e) {
    io.stderr(`runguard report: ${describeError(e)}\n`);
    return 2;
  } finally {
    if (!opts.store) await store.close?.();
  }
  if (opts.out) {
    writeFileSync(opts.out, kind === '.png' ? await svgToPng(chartSvg(report)) : reportHtml(report));
    io.stderr(`runguard report: wrote ${opts.out}\n`);
  }
  io.stdout(opts.json ? `${JSON.stringify(report, null, 2)}\n` : toText(report));
  return 0;
}

function storeFromEnv(io: Io): ReportStore & { close?: () => Promise<void> } {
  if (io.env.RUNGUARD_STATE_STORE === 'firestore' || (!io.env.RUNGUARD_STATE_STORE && io.env.FIRESTORE_EMULATOR_HOST))
    return firestoreStateFromEnv(io.env) as ReportStore & { close?: () => Promise<void> };
  io.stderr(
    "runguard report: no history (runguard's Firestore: RUNGUARD_STATE_STORE=firestore); " +
      'only the audit log of --project is shown\n',
  );
  return new MemoryStateStore();
}

async function readLog(
  project: string,
  r: { since: number; until: number },
  setup: NonNullable<ReturnType<typeof loadSetup>>,
  io: Io,
): Promise<DecisionRecord[]> {
  const core = { rules: setup.rules, config: setup.config, now: r.until };
  const filter =
    `${sinkFilter()} AND timestamp>="${new Date(r.since).toISOString()}" ` +
    `AND timestamp<"${new Date(r.until).toISOString()}"`;
  const endpoint = io.env.RUNGUARD_LOGGING_ENDPOINT;
  const source = await createLoggingSource(endpoint ? { endpoint } : {});
  const out: DecisionRecord[] = [];
  try {
    let index = 0;
    for await (const entry of source.entries({ project, filter }))
      out.push(...wouldHaveDecided(evaluateEntry({ index: ++index, envelope: 'log-entry', entry }, core)));
  } finally {
    await source.close();
  }
  return out;
}

function toText(r: WeeklyReport): string {
  const t = r.totals;
  const out = [
    `runguard report: ${range(r)}\n`,
    `${t.findings} findings, ${t.reverts} reverted, ${t.exempt} exempted, ${t.alerted} alerted only, ` +
      `${t.failed} failed, ${r.fights.length} fight(s) on\n`,
  ];
  const fromLog = r.days.filter((d) => d.source === 'log').map((d) => d.date);
  const none = r.days.filter((d) => d.source === 'none').map((d) => d.date);
  if (fromLog.length) out.push(`from the audit log (what runguard would have done): ${fromLog.join(', ')}\n`);
  if (none.length) out.push(`no history: ${none.join(', ')}\n`);
  const rows = r.days.map((d) => {
    const sum = (s: 'findings' | 'reverts' | 'exempt') => Object.values(d.counts[s]).reduce((a, b) => a + b, 0);
    return [d.date, d.source, String(sum('findings')), String(sum('reverts')), String(sum('exempt'))];
  });
  out.push('', padTable([['DAY', 'FROM', 'FINDINGS', 'REVERTED', 'EXEMPTED'], ...rows]));
  const list = (title: string, xs: Array<{ name: string; findings: number; reverts: number }>) =>
    `${title}: ${xs.length ? xs.map((x) => `${x.name} (${x.findings}, ${x.reverts} reverted)`).join(', ') : 'none'}\n`;
  out.push('', list('top actors', r.topActors), list('top projects', r.topProjects));
  out.push('', `exemptions expiring in the coming week: ${r.expiring.length ? '' : 'none'}\n`);
  for (const e of r.expiring) out.push(`  ${e.expires}  ${e.rule} on ${e.resource} (approved by ${e.approvedBy})\n`);
  out.push(`fights: ${r.fights.length ? '' : 'none'}\n`);
  for (const f of r.fights) out.push(`  ${f.rule} on ${f.resource} against ${f.actor}, ${f.reverts} reverts\n`);
  return out.join('');
}
