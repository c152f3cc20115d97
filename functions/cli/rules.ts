import { RESOURCE_TYPES } from '../core/types.js';
import type { CompiledRule } from '../rules/compile.js';
import { runExamples } from '../rules/examples.js';
import { loadRules } from '../rules/load-files.js';
import type { CommonOptions, Io } from './io.js';

/** Loads the rule pack; on any compile error prints every error (file: field: message) and returns null. */
export function loadRulesOrReport(dir: string | undefined, io: Io): CompiledRule[] | null {
  const { rules, errors } = loadRules(dir);
  if (errors.length === 0) return rules;
  io.stderr(`runguard: ${errors.length} rule ${errors.length === 1 ? 'error' : 'errors'}:\n`);
  for (const e of errors) io.stderr(`  ${e.file}: ${e.field}: ${e.message}\n`);
  return null;
}

export function runRules(args: string[], opts: CommonOptions, io: Io): number {
  const [sub] = args;
  if (sub !== 'list' && sub !== 'test') {
    io.stderr('runguard rules: expected "list" or "test"\n');
    return 2;
  }
  const rules = loadRulesOrReport(opts.rules, io);
  if (!rules) return 2;
  return sub === 'list' ? listRules(rules, opts, io) : testRules(rules, io);
}

function listRules(rules: readonly CompiledRule[], opts: CommonOptions, io: Io): number {
  if (opts.json) {
    const out = rules.map((r) => ({
      id: r.id,
      title: r.title,
      severity: r.severity,
      resourceTypes: r.resourceTypes,
      remediation: r.remediation?.action ?? null,
    }));
    io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  io.stdout(rulesTable(rules));
  return 0;
}

/** The Markdown table of rules; the README carries this exact text and a test keeps them equal. */
export function rulesTable(rules: readonly CompiledRule[]): string {
  const rows = rules.map(
    (r) =>
      `| \`${r.id}\` | ${r.severity} | ${r.title} | ${r.resourceTypes.map(shortType).join(', ')} | ` +
      `${r.remediation ? `\`${r.remediation.action}\`` : 'alert only'} |`,
  );
  return [
    '| rule | severity | what it catches | applies to | remediation |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

const bareType = (t: string) => t.replace(/^[a-z]+\.googleapis\.com\//, '');
/**
 * The type without its service, unless another type shares that name (orgpolicy/Policy, binaryauthorization/Policy).
 */
const shortType = (t: string) =>
  RESOURCE_TYPES.filter((u) => bareType(u) === bareType(t)).length > 1 ? t.replace('.googleapis.com', '') : bareType(t);

function testRules(rules: readonly CompiledRule[], io: Io): number {
  const results = runExamples(rules);
  let failed = 0;
  for (const r of results) {
    if (r.ok) continue;
    failed++;
    io.stdout(`FAIL ${r.file}: ${r.path} "${r.name}": ${r.reason}\n`);
  }
  io.stdout(
    `${results.length - failed}/${results.length} examples agree with their rules across ${rules.length} rules\n`,
  );
  return failed === 0 ? 0 : 1;
}
