import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REMEDIATION_ACTION_NAMES } from '../remediation/catalog.js';
import { type CompiledRule, compileRules, type RuleError } from './compile.js';

// The repository's rules/ as seen from this file: functions/rules/ in source, dist/rules/ once
// built (tsconfig.build.json: rootDir functions → outDir dist); both are two levels below the root.
export const DEFAULT_RULES_DIR = fileURLToPath(new URL('../../rules/', import.meta.url));

/**
 * Reads every `*.yaml` in `dir` (default: the shipped rule pack) and compiles them. An unreadable
 * directory or file, or a directory with no rules, is an error like any other: none is skipped.
 */
export function loadRules(dir?: string): { rules: CompiledRule[]; errors: RuleError[] } {
  const root = dir ?? DEFAULT_RULES_DIR;
  // Errors name files as the user would: rules/x.yaml for the shipped pack, DIR/x.yaml otherwise.
  const label = dir ?? 'rules';
  let names: string[];
  try {
    names = readdirSync(root)
      .filter((n) => n.endsWith('.yaml'))
      .sort();
  } catch (err) {
    return { rules: [], errors: [{ file: label, field: '(directory)', message: reason(err) }] };
  }
  if (names.length === 0)
    return { rules: [], errors: [{ file: label, field: '(directory)', message: 'no *.yaml rule files' }] };

  const sources: Array<{ file: string; text: string }> = [];
  const errors: RuleError[] = [];
  for (const name of names) {
    const file = join(label, name);
    try {
      sources.push({ file, text: readFileSync(join(root, name), 'utf8') });
    } catch (err) {
      errors.push({ file, field: '(file)', message: reason(err) });
    }
  }
  const compiled = compileRules(sources, { remediationActions: REMEDIATION_ACTION_NAMES });
  return { rules: compiled.rules, errors: [...errors, ...compiled.errors] };
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'ENOTDIR') return 'not a directory';
  return err instanceof Error ? err.message : String(err);
}
