import { emptyPolicy, emptyService } from '../core/service.js';
import { type ChangeEvent, type Finding, REDACTED } from '../core/types.js';
import { celError } from './cel.js';
import type { CompiledRule } from './compile.js';
import type { RuleInput, RuleOverride, RuleSettings } from './types.js';

export interface RuleEvalError {
  rule: string;
  message: string;
}

/** What one rule said about one input. A rule that cannot say is `error`, never a silent pass. */
export type RuleOutcome =
  | { fired: false; error: null }
  | { fired: true; message: string; error: string | null }
  | { fired: false; error: string };

/** The CEL activation for an event; `params` is the one field that differs from rule to rule. */
export function buildRuleInput(event: ChangeEvent, params: Record<string, unknown>, settings: RuleSettings): RuleInput {
  const isRun = event.resource.type === 'run.googleapis.com/Service';
  return {
    resource: event.resource,
    service: isRun ? (event.service ?? emptyService(event.resource.name)) : null,
    policy: event.policy ?? emptyPolicy(),
    change: {
      method: event.method,
      kind: event.kind,
      deltas: event.deltas,
      deltaSource: event.deltaSource,
      actor: event.actor,
      serviceSource: event.serviceSource,
      updateMask: event.updateMask,
    },
    params,
    settings,
  };
}

export function evaluateRules(
  event: ChangeEvent,
  rules: readonly CompiledRule[],
  opts: { overrides?: Record<string, RuleOverride>; settings: RuleSettings },
): { findings: Finding[]; errors: RuleEvalError[] } {
  const findings: Finding[] = [];
  const errors: RuleEvalError[] = [];
  // One activation per event; only `params` is swapped between rules.
  const input = buildRuleInput(event, {}, opts.settings);
  const resource = event.resource.name;
  for (const rule of rules) {
    if (!rule.appliesTo.has(event.resource.type)) continue;
    const override = opts.overrides && Object.hasOwn(opts.overrides, rule.id) ? opts.overrides[rule.id] : undefined;
    if (override?.enabled === false) continue;
    const params = override?.params ? { ...rule.params, ...override.params } : rule.params;
    input.params = params;
    const outcome = evaluateRule(rule, input);
    if (outcome.error !== null) errors.push({ rule: rule.id, message: outcome.error });
    if (!outcome.fired) continue;
    findings.push({
      rule: rule.id,
      severity: override?.severity ?? rule.severity,
      title: rule.title,
      message: outcome.message,
      resource,
      key: `${rule.id}|${resource}`,
      remediation: rule.remediation ? { action: rule.remediation.action, params: { ...params } } : null,
    });
  }
  return { findings, errors };
}

/** Runs one rule on a ready activation; never throws. */
export function evaluateRule(rule: CompiledRule, input: RuleInput): RuleOutcome {
  let verdict: unknown;
  try {
    verdict = rule.conditionProgram(input);
  } catch (err) {
    return { fired: false, error: `condition: ${celError(err, rule.condition)}` };
  }
  if (typeof verdict !== 'boolean')
    return { fired: false, error: `condition: evaluated to ${typeName(verdict)}, not bool` };
  if (!verdict) return { fired: false, error: null };
  if (!rule.messageProgram) return { fired: true, message: rule.title, error: null };
  // The condition held: a message that fails still yields the finding, under its title.
  let message: unknown;
  try {
    message = rule.messageProgram(input);
  } catch (err) {
    return { fired: true, message: rule.title, error: `message: ${celError(err, rule.message ?? '')}` };
  }
  if (typeof message !== 'string')
    return { fired: true, message: rule.title, error: `message: evaluated to ${typeName(message)}, not string` };
  // Literal env values arrive as REDACTED; a message that quotes one is a rule bug, and says so.
  if (message.includes(REDACTED))
    return {
      fired: true,
      message: rule.title,
      error: 'message: quotes a redacted value; messages name fields, never values',
    };
  return { fired: true, message, error: null };
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'object') return 'map';
  return typeof v;
}
