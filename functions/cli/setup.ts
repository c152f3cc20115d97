import { checkConfigAgainstRules } from '../config/check-rules.js';
import type { Config } from '../config/load.js';
import { loadConfigFile } from '../config/load-file.js';
import type { CompiledRule } from '../rules/compile.js';
import type { CommonOptions, Io } from './io.js';
import { loadRulesOrReport } from './rules.js';

/** Configuration and rules, checked against each other; every problem printed, null when any. */
export function loadSetup(opts: CommonOptions, io: Io): { config: Config; rules: CompiledRule[] } | null {
  const { config, problems } = loadConfigFile(opts.config);
  if (!config) {
    io.stderr(`runguard: configuration is invalid:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
    return null;
  }
  const rules = loadRulesOrReport(opts.rules, io);
  if (!rules) return null;
  const mismatches = checkConfigAgainstRules(config, rules);
  if (mismatches.length > 0) {
    io.stderr(`runguard: configuration does not fit the rules:\n${mismatches.map((p) => `  ${p}`).join('\n')}\n`);
    return null;
  }
  return { config, rules };
}
