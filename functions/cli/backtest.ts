import { createLoggingSource } from '../backtest/read-entries.js';
import { type Backtest, tally } from '../backtest/tally.js';
import { DURATION, parseDuration } from '../core/duration.js';
import { evaluateEntry, type EntryResult } from '../enforcement/pipeline.js';
import { sinkFilter } from '../events/sink-filter.js';
import { describeError } from '../core/errors.js';
import { padTable } from './format.js';
import type { Io } from './io.js';
import type { CommonOptions } from './io.js';
import { loadSetup } from './setup.js';

// `runguard backtest`: a project's Admin Activity history through the same decode → normalize →
// evaluate → decide path, acting on nothing: what runguard would have done, per rule, and who and
// what it would have touched. The entry's own state is judged (no live reads: it is history).

export interface BacktestOptions extends CommonOptions {
  projects: string[];
  since: string | undefined;
}

export async function runBacktest(opts: BacktestOptions, io: Io): Promise<number> {
  if (opts.projects.length !== 1) {
    io.stderr('runguard backtest: name exactly one --project\n');
    return 2;
  }
  const project = opts.projects[0]!;
  const now = io.now();
  const since = sinceInstant(opts.since ?? '7d', now);
  if (since === null) {
    io.stderr(
      `runguard backtest: --since must be a duration such as 7d or 12h, or an RFC 3339 instant, not "${opts.since}"\n`,
    );
    return 2;
  }
  const setup = loadSetup(opts, io);
  if (!setup) return 2;
  const core = { rules: setup.rules, config: setup.config, now };

  // The sink's own filter, so the history is exactly what the function would have received.
  const filter = `${sinkFilter()} AND timestamp>="${new Date(since).toISOString()}"`;
  const endpoint = io.env.RUNGUARD_LOGGING_ENDPOINT;
  const source = await createLoggingSource(endpoint ? { endpoint } : {});
  async function* judged(): AsyncGenerator<EntryResult> {
    let index = 0;
    for await (const entry of source.entries({ project, filter })) {
      yield evaluateEntry({ index: ++index, envelope: 'log-entry', entry }, core);
      if (io.stderrIsTTY && !opts.json && index % 500 === 0) io.stderr(`\r\x1b[2Kread ${index} entries…`);
    }
  }
  let result: Backtest;
  try {
    result = await tally(judged());
  } catch (e) {
    io.stderr(`${io.stderrIsTTY ? '\r\x1b[2K' : ''}runguard backtest: ${describeError(e)}\n`);
    return 2;
  } finally {
    await source.close();
  }
  if (io.stderrIsTTY && !opts.json) io.stderr('\r\x1b[2K');
  const unconvertible = source.skipped.length;
  for (const s of source.skipped.slice(0, 20))
    io.stderr(`runguard backtest: entry ${s.insertId || '(no insertId)'} could not be read: ${s.reason}\n`);
  const window = { project, since: new Date(since).toISOString(), until: new Date(now).toISOString() };
  io.stdout(
    opts.json
      ? `${JSON.stringify({ ...window, ...result, unconvertible }, null, 2)}\n`
      : toText(window, result, unconvertible),
  );
  return unconvertible > 0 || result.unreadable > 0 ? 2 : 0;
}

export function sinceInstant(text: string, now: number): number | null {
  if (DURATION.test(text)) return now - parseDuration(text);
  const t = Date.parse(text);
  return /^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(t) ? t : null;
}

function toText(w: { project: string; since: string; until: string }, b: Backtest, unconvertible: number): string {
  const skipped = Object.values(b.skipped).reduce((n, c) => n + c, 0);
  const out = [
    `runguard backtest: ${w.project}, ${w.since} → ${w.until}\n`,
    `${b.entries} change entries: ${b.withFindings} with findings, ${skipped} skipped by design${
      skipped
        ? ` (${Object.entries(b.skipped)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ')})`
        : ''
    }, ${b.unreadable + unconvertible} unreadable\n`,
  ];
  if (b.rules.length === 0) {
    out.push('', 'No rule would have fired.\n');
    return out.join('');
  }
  const rows = b.rules.map((r) => [
    r.rule,
    r.severity,
    String(r.actions.alert),
    String(r.actions.revert),
    String(r.actions['dry-run']),
    String(r.actions.exempt),
    String(r.wouldRevertIfEnforced),
    String(r.resources),
  ]);
  out.push(
    '',
    padTable([['RULE', 'SEVERITY', 'ALERT', 'REVERT', 'DRY-RUN', 'EXEMPT', 'IF ENFORCED', 'RESOURCES'], ...rows]),
  );
  for (const r of b.rules) {
    out.push('', `${r.rule} (${r.firstSeen} → ${r.lastSeen})\n`);
    out.push(`  top actors:    ${r.topActors.map((a) => `${a.actor} (${a.count})`).join(', ')}\n`);
    out.push(`  top resources: ${r.topResources.map((x) => `${x.resource} (${x.count})`).join(', ')}\n`);
  }
  out.push(
    '',
    'IF ENFORCED: findings with a remediation that no exemption covers — what enforce mode would have reverted.\n',
  );
  return out.join('');
}
