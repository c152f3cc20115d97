import type { CompiledRule, RuleOverride } from './types.js';

// The configuration's per-rule overrides (`rules:` in runguard.yaml), read one way everywhere: by the
// evaluation, by "Revert now" at the click and by auditEvents carrying it out. Pure.

/** The override of one rule; own keys only, so a rule id never reaches the prototype. */
export function ruleOverride(
  overrides: Readonly<Record<string, RuleOverride>> | undefined,
  id: string,
): RuleOverride | undefined {
  return overrides && Object.hasOwn(overrides, id) ? overrides[id] : undefined;
}

/** The rule's params with the configuration's override on top. */
export function effectiveParams(
  rule: CompiledRule,
  overrides: Readonly<Record<string, RuleOverride>>,
): Record<string, unknown> {
  const override = ruleOverride(overrides, rule.id);
  return override?.params ? { ...rule.params, ...override.params } : { ...rule.params };
}

/** False when the configuration turns the rule off. */
export function ruleEnabled(rule: CompiledRule, overrides: Readonly<Record<string, RuleOverride>>): boolean {
  return ruleOverride(overrides, rule.id)?.enabled !== false;
}
