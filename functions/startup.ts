import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Config, type ConfigData, resolveConfig } from './config/resolve.js';
import { compileSpec } from './rules/cel.js';
import type { CompiledRule } from './rules/compile.js';
import type { RuleSpec } from './rules/types.js';

// The configuration and the rules a function starts with. The deployed artifact carries them
// validated at build time (scripts/bundle.ts writes runguard.prebuilt.json beside runguard.yaml):
// when the configuration file and every rule file are byte for byte what was validated (SHA-256),
// the function compiles the rules' CEL from that data and never loads the YAML parser or zod, nor
// re-parses the rules' examples. Anything else (no such file, a changed or added file, a local run)
// goes through the full validation, which fails loudly on a bad configuration as before.

export const PREBUILT_FILE = 'runguard.prebuilt.json';

/** A rule as validated at build time, without its examples (they only serve `runguard rules test`). */
export type PrebuiltRule = Omit<RuleSpec, 'file' | 'examples'> & { name: string };

export interface Prebuilt {
  format: 1;
  config: { sha256: string; data: ConfigData };
  /** Every *.yaml of the rules directory → its SHA-256; specs in loadRules' order. */
  rules: { files: Record<string, string>; specs: PrebuiltRule[] };
}

export const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

export interface Startup {
  config: Config | null;
  rules: CompiledRule[];
  /** Every problem with the configuration or the rules; the function must not start with any. */
  problems: string[];
  prebuilt: boolean;
}

/** RUNGUARD_CONFIG and RUNGUARD_RULES_DIR, from the build's validation when it still holds, else validated now. */
export async function loadStartup(env: NodeJS.ProcessEnv): Promise<Startup> {
  const configPath = env.RUNGUARD_CONFIG;
  const rulesDir = env.RUNGUARD_RULES_DIR;
  const pre = configPath && rulesDir ? fromPrebuilt(configPath, rulesDir) : null;
  if (pre) return pre;
  const { validateConfigAndRules } = await import('./config/validate.js');
  return { ...validateConfigAndRules(configPath, rulesDir), prebuilt: false };
}

function fromPrebuilt(configPath: string, rulesDir: string): Startup | null {
  try {
    const pre = JSON.parse(readFileSync(join(dirname(configPath), PREBUILT_FILE), 'utf8')) as Prebuilt;
    if (pre.format !== 1 || sha256(readFileSync(configPath)) !== pre.config.sha256) return null;
    const names = readdirSync(rulesDir)
      .filter((n) => n.endsWith('.yaml'))
      .sort();
    if (names.join('\n') !== Object.keys(pre.rules.files).sort().join('\n')) return null;
    if (names.some((n) => sha256(readFileSync(join(rulesDir, n))) !== pre.rules.files[n])) return null;
    const rules = pre.rules.specs.map(({ name, ...spec }) =>
      compileSpec({ ...spec, file: join(rulesDir, name), examples: { fire: [], pass: [] } }),
    );
    return { config: resolveConfig(pre.config.data, configPath), rules, problems: [], prebuilt: true };
  } catch {
    // No prebuilt file, an unreadable one, or one that no longer compiles: the full validation says why.
    return null;
  }
}
