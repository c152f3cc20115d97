import type { EntryResult } from '../enforcement/pipeline.js';
import type { Action } from '../core/types.js';

// What `runguard evaluate` prints. JSON keeps the documented keys stable; the table is for a person
// at a terminal and may change.

export interface InputResult {
  input: string;
  results: EntryResult[];
}

export function toJson(inputs: InputResult[]): unknown[] {
  return inputs.flatMap(({ input, results }) => results.map((r) => jsonEntry(input, r)));
}

function jsonEntry(input: string, r: EntryResult): Record<string, unknown> {
  const ids = {
    input,
    index: r.index,
    insertId: r.insertId || null,
    ...(r.messageId ? { messageId: r.messageId } : {}),
  };
  if (r.error !== undefined) return { ...ids, error: r.error };
  return {
    ...ids,
    method: r.method,
    resource: r.resource,
    project: r.project,
    actor: r.actor,
    tool: r.tool || null,
    timestamp: r.timestamp,
    mode: r.mode,
    skipped: r.skipped,
    findings: r.findings.map((d) => ({
      rule: d.finding.rule,
      severity: d.finding.severity,
      action: d.action,
      message: d.finding.message,
      title: d.finding.title,
      reason: d.reason,
      key: d.finding.key,
      remediation: d.finding.remediation,
      exemption: d.exemption,
      expiredExemptions: d.expiredExemptions,
    })),
    ...(r.ruleErrors.length > 0 ? { ruleErrors: r.ruleErrors } : {}),
  };
}

const ACTION_LABEL: Record<Action, string> = {
  revert: 'REVERT',
  'dry-run': 'DRY-RUN',
  alert: 'ALERT',
  exempt: 'EXEMPT',
};

export function toTable(inputs: InputResult[]): string {
  const lines: string[] = [];
  for (const { input, results } of inputs) {
    for (const r of results) lines.push(...entryLines(input, r), '');
  }
  lines.push(summary(inputs.flatMap((i) => i.results)));
  return `${lines.join('\n')}\n`;
}

function entryLines(input: string, r: EntryResult): string[] {
  const head = `${input}: entry ${r.index}${r.insertId ? ` (${r.insertId})` : ''}`;
  if (r.error !== undefined) return [`${head}  ERROR  ${r.error}`];
  const out = [`${head}  ${r.timestamp}  ${r.method}`];
  out.push(`  resource  ${r.resource || '-'}`);
  out.push(`  actor     ${r.actor || '-'}${r.tool ? ` (${r.tool})` : ''}${r.mode ? `   mode ${r.mode}` : ''}`);
  if (r.skipped !== null) return [...out, `  skipped   ${r.skipped}`];
  if (r.findings.length === 0 && r.ruleErrors.length === 0) out.push('  ok        no rule fired');
  for (const d of r.findings) {
    out.push(
      `  ${d.finding.severity.padEnd(8)}  ${ACTION_LABEL[d.action].padEnd(7)}  ${d.finding.rule}: ${d.finding.message}`,
    );
    out.push(`  ${''.padEnd(8)}  ${''.padEnd(7)}  ↳ ${d.reason}`);
  }
  for (const e of r.ruleErrors) out.push(`  RULE ERROR ${e.rule}: ${e.message}`);
  return out;
}

function summary(results: EntryResult[]): string {
  const decisions = results.flatMap((r) => r.findings);
  const byAction = (Object.keys(ACTION_LABEL) as Action[])
    .map((a) => [a, decisions.filter((d) => d.action === a).length] as const)
    .filter(([, n]) => n > 0)
    .map(([a, n]) => `${n} ${a}`);
  const parts = [
    `${results.length} ${results.length === 1 ? 'entry' : 'entries'}`,
    `${decisions.length} ${decisions.length === 1 ? 'finding' : 'findings'}` +
      (byAction.length ? ` (${byAction.join(', ')})` : ''),
    `${results.filter((r) => r.skipped !== null).length} skipped`,
    `${results.filter((r) => r.error !== undefined).length} unreadable`,
  ];
  const ruleErrors = results.reduce((n, r) => n + r.ruleErrors.length, 0);
  if (ruleErrors > 0) parts.push(`${ruleErrors} rule errors`);
  return parts.join(', ');
}

/** Rows as aligned columns (the last column is not padded), one line each. */
export function padTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  return rows
    .map((r) =>
      r.map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(widths[i]! - [...cell].length))).join('  '),
    )
    .map((l) => `${l}\n`)
    .join('');
}
