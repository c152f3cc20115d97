// Renders the README's example of the weekly report (docs/weekly-report.png) from a made-up but
// realistic week: audit entries built from the constructed fixtures (stand-ins/audit-entries.ts),
// judged by the rules with the demo configuration (examples/demo.yaml), the first two days as the
// audit log would show them (before history began), the rest as history; a breakglass exemption
// about to expire and a fight.
//   npx tsx scripts/report-demo.ts [--out docs/weekly-report.png] [--html docs/weekly-report.html]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../functions/config/load-file.js';
import { evaluateEntry } from '../functions/enforcement/pipeline.js';
import type { DecisionRecord } from '../functions/history/types.js';
import { wouldHaveDecided } from '../functions/report/backfill.js';
import { chartSvg } from '../functions/report/chart-svg.js';
import { reportHtml } from '../functions/report/html.js';
import { buildReport, DAY_MS } from '../functions/report/model.js';
import { svgToPng } from '../functions/report/png.js';
import { loadRules } from '../functions/rules/load-files.js';
import type { BreakglassExemption } from '../functions/state/types.js';
import { setIamPolicyEntry, updateServiceEntry } from '../stand-ins/audit-entries.js';

const { values } = parseArgs({
  options: { out: { type: 'string', default: 'docs/weekly-report.png' }, html: { type: 'string' } },
});
const { config } = loadConfigFile('examples/demo.yaml');
if (!config) throw new Error('examples/demo.yaml is invalid');
const { rules } = loadRules();
const NOW = Date.parse('2026-11-30T09:00:00Z');
const since = NOW - 7 * DAY_MS;
const historyFrom = Date.parse('2026-11-26T00:00:00Z');

// A small deterministic generator: the picture stays the same from run to run.
let seed = 42;
const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;

const actors = [
  'deployer@demo-shop.iam.gserviceaccount.com',
  'deployer@demo-shop.iam.gserviceaccount.com',
  'dana@example.com',
  'erin@example.com',
  'terraform@demo-lab.iam.gserviceaccount.com',
];
const services = [
  'projects/demo-shop/locations/europe-west1/services/checkout',
  'projects/demo-shop/locations/europe-west1/services/cart',
  'projects/demo-shop/locations/us-central1/services/public-site',
  'projects/demo-lab/locations/europe-west1/services/notebook-api',
  'projects/demo-lab/locations/us-central1/services/ml-batch',
];
const changes = [
  (name: string, insertId: string, actor: string) =>
    updateServiceEntry({ name, insertId, actor, service: { ingress: 'INGRESS_TRAFFIC_ALL' } }),
  (name: string, insertId: string, actor: string) =>
    setIamPolicyEntry({ name, insertId, actor, bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] }),
  (name: string, insertId: string, actor: string) =>
    updateServiceEntry({ name, insertId, actor, service: { invokerIamDisabled: true } }),
];

const records: DecisionRecord[] = [];
const logRecords: DecisionRecord[] = [];
let n = 0;
for (let day = Math.ceil(since / DAY_MS) * DAY_MS; day < NOW; day += DAY_MS) {
  // Busier mid-week, quiet at the weekend.
  const weekday = new Date(day).getUTCDay();
  const count = weekday === 0 || weekday === 6 ? 1 + Math.floor(rand() * 2) : 4 + Math.floor(rand() * 6);
  for (let i = 0; i < count; i++) {
    const at = day + Math.min(Math.floor(rand() * DAY_MS), NOW - day - 1);
    const entry = pick(changes)(pick(services), `demo-${++n}`, pick(actors));
    const iso = new Date(at).toISOString();
    const judged = evaluateEntry(
      { index: n, envelope: 'log-entry', entry: { ...entry, timestamp: iso, receiveTimestamp: iso } },
      { rules, config, now: at },
    );
    (day < historyFrom ? logRecords : records).push(...wouldHaveDecided(judged));
  }
}

const exemption: BreakglassExemption = {
  resource: 'projects/demo-shop/locations/europe-west1/services/cart',
  rule: 'run-ingress-all',
  reason: 'Load test from the partner network, until the LB is in place (OPS-311)',
  expires: new Date(NOW + 2 * DAY_MS + 3 * 3_600_000).toISOString(),
  approvedBy: 'alice@example.com',
  source: 'breakglass',
  id: 'run-ingress-all|projects/demo-shop/locations/europe-west1/services/cart|2026-11-27T10:12:00.000Z',
  findingKey: 'run-ingress-all|projects/demo-shop/locations/europe-west1/services/cart',
  requester: 'dana@example.com',
  createdAt: '2026-11-27T10:12:00.000Z',
  slackUserId: 'U0ALICE',
  slackMessage: null,
};
const report = buildReport({
  records,
  logRecords,
  historyFrom,
  exemptions: [exemption],
  fights: [
    {
      findingKey: 'run-invoker-iam-disabled|projects/demo-shop/locations/europe-west1/services/checkout',
      fight: {
        actor: 'deployer@demo-shop.iam.gserviceaccount.com',
        since: NOW - 20 * 3_600_000,
        until: NOW + 4 * 3_600_000,
        reverts: 3,
      },
    },
  ],
  since,
  now: NOW,
});
const png = await svgToPng(chartSvg(report));
writeFileSync(values.out!, png);
if (values.html) writeFileSync(values.html, reportHtml(report));
console.log(`wrote ${values.out}: ${png.length} bytes, ${report.totals.findings} findings`);
