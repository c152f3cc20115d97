import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../functions/cli/io.js';
import { runReport } from '../../functions/cli/report.js';
import type { LogEntry } from '../../functions/core/types.js';
import { CHART } from '../../functions/report/chart-svg.js';
import type { WeeklyReport } from '../../functions/report/model.js';
import { MemoryStateStore } from '../../functions/state/memory.js';
import { updateServiceEntry } from '../../stand-ins/audit-entries.js';
import { type LoggingStandIn, startLoggingStandIn } from '../../stand-ins/logging/index.js';
import { DAY, exemption, NOW, rec } from '../report/fixtures.js';

// `runguard report`: history from the store, the days before it began from the audit log (the
// Cloud Logging stand-in) judged by the rules, written as PNG or HTML.

const dir = mkdtempSync(join(tmpdir(), 'runguard-report-'));
const CONFIG = join(dir, 'runguard.yaml');
writeFileSync(CONFIG, 'projects: [{ match: "shop-prod", mode: enforce }]\n');
const svc = 'projects/shop-prod/locations/europe-west1/services/checkout';

let logging: LoggingStandIn;
beforeAll(async () => {
  logging = await startLoggingStandIn();
  const at = (iso: string, insertId: string): LogEntry => ({
    ...updateServiceEntry({
      name: svc,
      insertId,
      actor: 'dana@example.com',
      service: { ingress: 'INGRESS_TRAFFIC_ALL' },
    }),
    timestamp: iso,
    receiveTimestamp: iso,
  });
  // Two changes before history began, one after (history has it: the log must not count it again).
  logging.addEntries([
    at('2026-11-24T10:00:00Z', 'l1'),
    at('2026-11-25T10:00:00Z', 'l2'),
    at('2026-11-28T10:00:00Z', 'l3'),
  ]);
});
afterAll(async () => {
  await logging?.stop();
});

function io(): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
    readStdin: () => '',
    env: { RUNGUARD_LOGGING_ENDPOINT: logging.endpoint },
    now: () => NOW,
  };
}

async function store(): Promise<MemoryStateStore> {
  const s = new MemoryStateStore();
  // History began on Nov 27.
  await s.recordDecisions([
    rec(Date.parse('2026-11-27T08:00:00Z'), { actor: 'erin@example.com' }),
    rec(Date.parse('2026-11-28T10:00:05Z'), { actor: 'dana@example.com' }),
  ]);
  await s.recordExemption(exemption(NOW + DAY, { resource: svc, id: 'soon' }), NOW - DAY);
  return s;
}

const base = { config: CONFIG, rules: undefined, json: false, since: '7d', projects: ['shop-prod'] };

describe('runguard report', () => {
  it('fills the days before history from the audit log, marked, and writes the chart as PNG', async () => {
    const out = join(dir, 'week.png');
    const a = io();
    expect(await runReport({ ...base, json: true, out, store: await store() }, a)).toBe(0);
    const report = JSON.parse(a.out.join('')) as WeeklyReport;
    expect(report.days.map((d) => [d.date, d.source])).toEqual([
      ['2026-11-24', 'log'],
      ['2026-11-25', 'log'],
      ['2026-11-26', 'log'],
      ['2026-11-27', 'store'],
      ['2026-11-28', 'store'],
      ['2026-11-29', 'store'],
      ['2026-11-30', 'store'],
    ]);
    // What runguard would have done in enforce mode: reverted.
    expect(report.days[0]!.counts.reverts).toEqual({ 'run-ingress-all': 1 });
    expect(report.days[1]!.counts.findings).toEqual({ 'run-ingress-all': 1 });
    expect(report.days[4]!.counts.findings).toEqual({ 'run-ingress-all': 1 });
    expect(report.totals.findings).toBe(4);
    expect(report.topActors[0]).toEqual({ name: 'dana@example.com', findings: 3, reverts: 3 });
    expect(report.expiring.map((e) => e.id)).toEqual(['soon']);
    const png = readFileSync(out);
    const decoded = PNG.sync.read(png);
    expect([decoded.width, decoded.height]).toEqual([CHART.width, CHART.height]);
  });

  it('writes one self-contained HTML file, and prints a table for a person', async () => {
    const out = join(dir, 'week.html');
    const a = io();
    expect(await runReport({ ...base, out, store: await store() }, a)).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).toContain('dana@example.com');
    expect(html).toContain(svc);
    expect(html).not.toMatch(/<(script|link|img)\b/);
    const text = a.out.join('');
    expect(text).toContain('from the audit log (what runguard would have done): 2026-11-24, 2026-11-25, 2026-11-26');
    expect(text).toMatch(/2026-11-28\s+store\s+1\s+1\s+0/);
  });

  it('refuses what it cannot do with exit 2', async () => {
    const s = await store();
    expect(await runReport({ ...base, out: join(dir, 'x.jpg'), store: s }, io())).toBe(2);
    expect(await runReport({ ...base, since: 'last week', out: undefined, store: s }, io())).toBe(2);
    expect(await runReport({ ...base, projects: ['a-proj1', 'b-proj2'], out: undefined, store: s }, io())).toBe(2);
  });
});
