// Measures the pure core on a mixed batch: decode + normalize + evaluate + decide per entry,
// against JSON.parse of the same bytes (the floor). Prints figures; asserts nothing.
import { readdirSync, readFileSync } from 'node:fs';
import { parseConfig } from '../functions/config/load.js';
import { evaluateEntry } from '../functions/enforcement/pipeline.js';
import { decodeInput } from '../functions/events/decode.js';
import { loadRules } from '../functions/rules/load-files.js';

const dirs = [
  new URL('../test/fixtures/auditlogs/real/', import.meta.url),
  new URL('../test/fixtures/auditlogs/', import.meta.url),
];
const fixtures = dirs.flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Record<string, unknown>),
);

const BATCH = 5000;
const ROUNDS = 7;
// Each entry is its own string with its own insertId, as each Pub/Sub message is.
const entries = Array.from({ length: BATCH }, (_, i) =>
  JSON.stringify({ ...fixtures[i % fixtures.length], insertId: `bench-${i}` }),
);
const pushBodies = entries.map((e, i) =>
  JSON.stringify({
    subscription: 'projects/p/subscriptions/s',
    message: { data: Buffer.from(e).toString('base64'), messageId: String(i) },
  }),
);

const { rules, errors } = loadRules();
if (errors.length > 0) throw new Error(`rules do not compile: ${errors.map((e) => e.message).join('; ')}`);
const { config } = parseConfig(
  `projects:\n  - { match: "test-project-*", mode: enforce }\n` +
    `selfPrincipals: [runguard@ops-project.iam.gserviceaccount.com]\n`,
  'bench',
);
const core = { rules, config: config!, now: Date.parse('2026-11-23T00:00:00Z') };

function run(inputs: string[]) {
  const per = new Float64Array(inputs.length);
  let findings = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < inputs.length; i++) {
    const t = process.hrtime.bigint();
    const r = evaluateEntry(decodeInput(inputs[i]!)[0]!, core);
    per[i] = Number(process.hrtime.bigint() - t) / 1e3;
    findings += r.findings.length;
  }
  return { totalUs: Number(process.hrtime.bigint() - start) / 1e3, per: per.sort(), findings };
}

// The floor is the parsing nobody can skip: the entry's JSON, and for a push body also the
// envelope's JSON and the base64 inside it.
function parseOnly(s: string): unknown {
  const v = JSON.parse(s);
  return v.message ? JSON.parse(Buffer.from(v.message.data, 'base64').toString('utf8')) : v;
}

function floor(inputs: string[]) {
  const start = process.hrtime.bigint();
  let n = 0;
  for (const s of inputs) n += Object.keys(parseOnly(s) as object).length;
  return { totalUs: Number(process.hrtime.bigint() - start) / 1e3, n };
}

const pct = (sorted: Float64Array, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function measure(label: string, inputs: string[]) {
  run(inputs); // warm-up: JIT, rule activations
  floor(inputs);
  const rounds = Array.from({ length: ROUNDS }, () => ({ core: run(inputs), floor: floor(inputs) }));
  const best = rounds.map((r) => r.core).sort((a, b) => a.totalUs - b.totalUs)[Math.floor(ROUNDS / 2)]!;
  const perEntry = median(rounds.map((r) => r.core.totalUs / inputs.length));
  const floorPerEntry = median(rounds.map((r) => r.floor.totalUs / inputs.length));
  const bytes = inputs.reduce((n, s) => n + s.length, 0) / inputs.length;
  console.log(
    `\n${label}: ${inputs.length} entries × ${ROUNDS} rounds, ` +
      `${fixtures.length} distinct fixtures, mean ${bytes.toFixed(0)} bytes/entry`,
  );
  console.log(`  entries/s            ${(1e6 / perEntry).toFixed(0)}`);
  console.log(
    `  µs/entry  mean ${perEntry.toFixed(1)}  p50 ${pct(best.per, 50).toFixed(1)}  ` +
      `p99 ${pct(best.per, 99).toFixed(1)}  max ${pct(best.per, 100).toFixed(1)}`,
  );
  console.log(
    `  JSON.parse floor     ${floorPerEntry.toFixed(1)} µs/entry (envelope + base64 + entry for push bodies)`,
  );
  console.log(`  ratio to JSON.parse  ${(perEntry / floorPerEntry).toFixed(2)}  (target < 10)`);
  console.log(`  findings per batch   ${best.findings}`);
}

console.log(`runguard core benchmark — node ${process.version}, ${rules.length} rules`);
measure('bare LogEntry', entries);
measure('Pub/Sub push body (base64)', pushBodies);
const mem = process.memoryUsage();
console.log(
  `\nmemory: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`,
);
