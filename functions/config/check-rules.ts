import { validateRemediationParams } from '../remediation/catalog.js';
import type { CompiledRule } from '../rules/compile.js';
import type { Config } from './load.js';

/**
 * What only the rule pack can tell about a configuration: rule ids that do not exist, parameters a
 * rule does not have, remediation parameters that would be unsafe. Every problem, each naming its key.
 */
export function checkConfigAgainstRules(config: Config, rules: readonly CompiledRule[]): string[] {
  const byId = new Map(rules.map((r) => [r.id, r]));
  const problems: string[] = [];
  const at = (key: string, msg: string) => problems.push(`${config.source}: ${key}: ${msg}`);
  const known = () => [...byId.keys()].join(', ');

  for (const [id, override] of Object.entries(config.overrides)) {
    const rule = byId.get(id);
    if (!rule) {
      at(`rules.${id}`, `no such rule (known: ${known()})`);
      continue;
    }
    for (const key of Object.keys(override.params ?? {})) {
      if (!(key in rule.params))
        at(
          `rules.${id}.params.${key}`,
          `rule ${id} has no parameter "${key}" (it has: ${Object.keys(rule.params).join(', ') || 'none'})`,
        );
    }
    if (rule.remediation && override.params) {
      const merged = { ...rule.params, ...override.params };
      for (const p of validateRemediationParams(rule.remediation.action, merged)) at(`rules.${id}.params`, p);
    }
  }
  config.exemptions.forEach((e, i) => {
    if (e.rule !== '*' && !byId.has(e.rule))
      at(`exemptions[${i}].rule`, `no such rule "${e.rule}" (use a rule id or "*")`);
  });
  return problems;
}
