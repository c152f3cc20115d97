import { z } from 'zod';
import { RESOURCE_TYPES, SEVERITIES } from '../core/types.js';
import type { RuleSpec } from './types.js';

// The shape of rules/<id>.yaml. Strict everywhere: a misspelt key is an error, not a field that
// is silently ignored (a misspelt `examples.pass` would otherwise be a rule with no tests).

export const RULE_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** Placeholders a `fix` may use; the alert fills them in from the resource. */
export const FIX_PLACEHOLDERS = ['project', 'location', 'service', 'resource'] as const;

const text = z.string().trim().min(1, 'must not be empty');
const celSource = z.string().min(1, 'must not be empty');

const fixCommand = text.refine((s) => unknownPlaceholders(s).length === 0, {
  error: (iss) =>
    `unknown placeholder ${unknownPlaceholders(String(iss.input)).join(', ')} ` +
    `(known: ${FIX_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`,
});

const fireExample = z.strictObject({
  name: text,
  input: z.record(z.string(), z.unknown()),
  message: z.string().optional(),
});
// A pass example produces no finding, so it has no message to expect.
const passExample = z.strictObject({ name: text, input: z.record(z.string(), z.unknown()) });

export const ruleFileSchema = z.strictObject({
  id: z.string().regex(RULE_ID, 'must be lower-case words joined by "-" (e.g. run-ingress-all)'),
  title: text,
  severity: z.enum(SEVERITIES, {
    error: (iss) => `${JSON.stringify(iss.input)} is not a severity (one of ${SEVERITIES.join(', ')})`,
  }),
  resourceTypes: z
    .array(
      z.enum(RESOURCE_TYPES as [string, ...string[]], {
        error: (iss) => `unknown resource type ${JSON.stringify(iss.input)} (known: ${RESOURCE_TYPES.join(', ')})`,
      }),
    )
    .min(1, 'must name at least one resource type'),
  condition: celSource,
  message: celSource.optional(),
  subjects: celSource.optional(),
  params: z.record(z.string(), z.unknown()).default({}),
  remediation: z.strictObject({ action: text }).nullable(),
  explanation: text,
  fix: fixCommand,
  examples: z.strictObject({
    fire: z.array(fireExample).min(1, 'a rule needs at least one example that fires'),
    pass: z.array(passExample).min(1, 'a rule needs at least one example that passes'),
  }),
});

export interface SchemaProblem {
  field: string;
  message: string;
}

/** Validates a parsed YAML document; `spec` is null when there is any problem. */
export function parseRuleFile(data: unknown, file: string): { spec: RuleSpec | null; problems: SchemaProblem[] } {
  const result = ruleFileSchema.safeParse(data, {
    error: (iss) => (iss.code === 'invalid_type' && iss.input === undefined ? 'required' : undefined),
  });
  if (result.success) return { spec: { ...(result.data as Omit<RuleSpec, 'file'>), file }, problems: [] };
  return { spec: null, problems: result.error.issues.flatMap(toProblems) };
}

function toProblems(issue: z.core.$ZodIssue): SchemaProblem[] {
  const at = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => ({ field: at ? `${at}.${k}` : k, message: 'unknown key' }));
  }
  return [{ field: at || '(top level)', message: issue.message }];
}

/** ["examples", "fire", 1, "input"] → "examples.fire[1].input" */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)),
    '',
  );
}

function unknownPlaceholders(s: string): string[] {
  const known = new Set<string>(FIX_PLACEHOLDERS);
  return [...s.matchAll(/\{([^{}]*)\}/g)]
    .map((m) => m[1] ?? '')
    .filter((p) => !known.has(p))
    .map((p) => `{${p}}`);
}
