import type { CompiledRule } from '../rules/compile.js';
import { loadRules } from '../rules/load-files.js';
import { checkConfigAgainstRules } from './check-rules.js';
import { loadConfigFile } from './load-file.js';
import type { Config } from './resolve.js';

/**
 * The configuration file and the rule pack, read and validated in full: YAML, schema, CEL, the
 * configuration against the rules. Every problem is listed, each naming its file and key. No path
 * means the defaults (configuration) or the shipped pack (rules).
 */
export function validateConfigAndRules(
  configPath: string | undefined,
  rulesDir: string | undefined,
): { config: Config | null; rules: CompiledRule[]; problems: string[] } {
  const { config, problems } = loadConfigFile(configPath);
  const { rules, errors } = loadRules(rulesDir);
  const all = [
    ...problems,
    ...errors.map((e) => `${e.file}: ${e.field}: ${e.message}`),
    ...(config ? checkConfigAgainstRules(config, rules) : []),
  ];
  return { config, rules, problems: all };
}
