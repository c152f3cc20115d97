import { emptyBinauthzPolicy, emptyOrgPolicy, emptyPolicy, emptyService } from '../core/service.js';
import { type ChangeEvent, type Finding, REDACTED, WORKLOAD_TYPES } from '../core/types.js';
import { findingKey, parseSubject, scopeRemediation } from '../core/subject.js';
import { celError } from './cel.js';
import type { CompiledRule } from './compile.js';
import { ruleOverride } from './overrides.js';
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
  const isWorkload = WORKLOAD_TYPES.has(event.resource.type);
  return {
    resource: event.resource,
    service: isWorkload ? (event.service ?? emptyService(event.resource.name)) : null,
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
    orgPolicy:
      event.resource.type === 'orgpolicy.googleapis.com/Policy'
        ? (event.orgPolicy ?? emptyOrgPolicy(event.resource.name))
        : null,
    binauthzPolicy:
      event.resource.type === 'binaryauthorization.googleapis.com/Policy'
        ? (event.binauthzPolicy ?? emptyBinauthzPolicy(event.resource.name))
        : null,
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
    const override = ruleOverride(opts.overrides, rule.id);
    if (override?.enabled === false) continue;
    const params = override?.params ? { ...rule.params, ...override.params } : rule.params;
    input.params = params;
    const outcome = evaluateRule(rule, input);
    if (outcome.error !== null) errors.push({ rule: rule.id, message: outcome.error });
    if (!outcome.fired) continue;
    const severity = override?.severity ?? rule.severity;
    const one = (subject: string, message: string): Finding => ({
      rule: rule.id,
      severity,
      title: rule.title,
      message,
      resource,
      ...(subject ? { subject } : {}),
      key: findingKey(rule.id, resource, subject),
      remediation: rule.remediation
        ? { action: rule.remediation.action, params: scopeRemediation(rule.remediation.action, { ...params }, subject) }
        : null,
    });
    const subjects = subjectsOf(rule, input);
    if (subjects.error !== null) errors.push({ rule: rule.id, message: subjects.error });
    // No subject (or none could be said): one finding about the rule on the whole resource, as before.
    if (subjects.list.length === 0) {
      findings.push(one('', outcome.message));
      continue;
    }
    for (const subject of subjects.list) findings.push(one(subject, messageFor(rule, input, subject, outcome.message)));
  }
  return { findings, errors };
}

/** The rule's subjects on this input, flattened, de-duplicated and each a well-formed subject; never throws. */
export function subjectsOf(rule: CompiledRule, input: RuleInput): { list: string[]; error: string | null } {
  if (!rule.subjectsProgram) return { list: [], error: null };
  let value: unknown;
  try {
    value = rule.subjectsProgram(input);
  } catch (err) {
    return { list: [], error: `subjects: ${celError(err, rule.subjects ?? '')}` };
  }
  if (!Array.isArray(value)) return { list: [], error: `subjects: evaluated to ${typeName(value)}, not list` };
  const flat = value.flatMap((v: unknown) => (Array.isArray(v) ? v : [v]));
  const bad = flat.filter((v) => typeof v !== 'string' || parseSubject(v) === null);
  if (bad.length > 0)
    return {
      list: [],
      error: `subjects: ${bad.map((b) => JSON.stringify(b)).join(', ')} not member@role or field=value`,
    };
  return { list: [...new Set(flat as string[])], error: null };
}

/**
 * A grant subject's own message: the rule's message on the input narrowed to that one grant, so
 * "allUsers holds roles/run.developer" is said apart from "allUsers can invoke". Settings keep the message.
 */
function messageFor(rule: CompiledRule, input: RuleInput, subject: string, whole: string): string {
  const s = parseSubject(subject);
  if (s?.kind !== 'grant' || !rule.messageProgram) return whole;
  const narrowed: RuleInput = {
    ...input,
    policy: {
      ...input.policy,
      bindings: input.policy.bindings
        .filter((b) => b.role === s.role && b.members.includes(s.member))
        .map((b) => ({ ...b, members: [s.member] })),
    },
    change: {
      ...input.change,
      deltas: input.change.deltas.filter((d) => d.role === s.role && d.member === s.member),
    },
  };
  try {
    const m = rule.messageProgram(narrowed);
    return typeof m === 'string' && m !== '' && !m.includes(REDACTED) ? m : whole;
  } catch {
    return whole;
  }
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
