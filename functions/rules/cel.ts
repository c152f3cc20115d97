import { Environment } from '@marcbachmann/cel-js';
import type { CelProgram, CompiledRule, RuleInput, RuleSpec } from './types.js';

// CEL compilation of rules, without YAML or schema validation: compile.ts uses it for rule files,
// and a function starting from rules already validated at build time (functions/startup.ts) uses
// it alone, so neither the YAML parser nor zod is loaded on its way to the first event.

// One environment for every rule: building it is the expensive part, parsing is cheap. Every
// variable is `dyn` (the normalized shapes are plain objects), and a name that is none of them is
// a compile error rather than a value silently missing at evaluation time.
const env = new Environment({ unlistedVariablesAreDyn: false });
const VARIABLES = [
  'resource',
  'service',
  'policy',
  'change',
  'orgPolicy',
  'binauthzPolicy',
  'params',
  'settings',
] as const satisfies ReadonlyArray<keyof RuleInput>;
for (const name of VARIABLES) {
  env.registerVariable(name, 'dyn');
}

export type CompiledExpr = { program: CelProgram; error: null } | { program: null; error: string };

/** `dyn` (a bare field such as `service.invokerIamDisabled`) passes here and is checked at each evaluation. */
export function compileExpr(source: string, want: 'bool' | 'string' | 'list'): CompiledExpr {
  let parsed: ReturnType<Environment['parse']>;
  try {
    parsed = env.parse(source);
  } catch (err) {
    return { program: null, error: celError(err, source) };
  }
  const checked = parsed.check();
  if (!checked.valid) return { program: null, error: celError(checked.error, source) };
  const type = want === 'list' && (checked.type ?? '').startsWith('list') ? 'list' : checked.type;
  if (type !== want && type !== 'dyn') {
    return { program: null, error: `must evaluate to ${want}, but evaluates to ${checked.type}` };
  }
  return { program: parsed as unknown as CelProgram, error: null };
}

/** One line — the library's summary and where — instead of its multi-line source highlight. */
export function celError(err: unknown, source: string): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & { summary?: string; range?: { start: number } };
  const summary = e.summary ?? e.message.split('\n')[0] ?? e.message;
  if (!e.range) return summary;
  const before = source.slice(0, e.range.start);
  const line = before.split('\n').length;
  const column = e.range.start - before.lastIndexOf('\n');
  return `${summary} at ${line > 1 ? `line ${line}, column ${column}` : `column ${column}`}`;
}

// Defaults are shared by every evaluation; freezing them keeps one finding's params from leaking into the next.
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * A rule already validated in full (schema, CEL, remediation, by compileRules at build time),
 * compiled again from its data — each expression on first use, so an event pays only for the rules
 * that apply to its resource type (an IAM event needs 3 of the pack's rules). The build compiled the
 * same text with the same library, so a failure here means the artifact was altered: it throws, and
 * evaluation reports it as a rule error (logged, counted by the rule-error metric), never a pass.
 */
export function compileSpec(spec: RuleSpec): CompiledRule {
  const lazy = (source: string | undefined, want: 'bool' | 'string' | 'list', field: string) => {
    if (!source) return null;
    let program: CelProgram | undefined;
    return (input: RuleInput): unknown => {
      if (!program) {
        const compiled = compileExpr(source, want);
        if (!compiled.program) throw new Error(`${spec.file}: ${field}: ${compiled.error}`);
        program = compiled.program;
      }
      return program(input);
    };
  };
  return {
    ...spec,
    params: deepFreeze(spec.params),
    conditionProgram: lazy(spec.condition, 'bool', 'condition')!,
    messageProgram: lazy(spec.message, 'string', 'message'),
    subjectsProgram: lazy(spec.subjects, 'list', 'subjects'),
    appliesTo: new Set(spec.resourceTypes),
  };
}
