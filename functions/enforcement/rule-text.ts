import type { Alert } from '../core/notify.js';
import type { ChangeEvent } from '../core/types.js';
import type { CompiledRule } from '../rules/compile.js';
import { fillFix } from '../rules/fix.js';

/** The rule's words for an alert: title, why it matters, and the fix command for this resource. */
export function ruleText(rules: readonly CompiledRule[], id: string, event: ChangeEvent): Alert['rule'] {
  const rule = rules.find((r) => r.id === id);
  return {
    title: rule?.title ?? id,
    explanation: rule?.explanation ?? '',
    fix: rule ? fillFix(rule.fix, event.resource) : '',
  };
}
