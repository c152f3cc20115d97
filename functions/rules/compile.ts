import { LineCounter, parseDocument } from 'yaml';
import { RESOURCE_TYPES, type ResourceType } from '../core/types.js';
import { remediationAction, validateRemediationParams } from '../remediation/catalog.js';
import { parseRuleFile, type SchemaProblem } from './schema.js';
import { compileExpr, deepFreeze } from './cel.js';
import type { CompiledRule } from './types.js';

export interface RuleError {
  file: string;
  /** Where in the file: "condition", "examples.fire[1].input", "remediation.action", "yaml". */
  field: string;
  message: string;
}

export type { CelProgram, CompiledRule } from './types.js';
export { celError } from './cel.js';

export interface CompileOptions {
  /** When given, a remediation action outside this set is an error. */
  remediationActions?: ReadonlySet<string>;
}

/** Compiles every source; rules with any problem are left out, and every problem is reported. */
export function compileRules(
  sources: ReadonlyArray<{ file: string; text: string }>,
  opts: CompileOptions = {},
): { rules: CompiledRule[]; errors: RuleError[] } {
  const rules: CompiledRule[] = [];
  const errors: RuleError[] = [];
  const firstFileOf = new Map<string, string>();
  for (const { file, text } of sources) {
    const { id, rule, problems } = compileSource(file, text, opts);
    const at = (p: SchemaProblem) => errors.push({ file, ...p });
    problems.forEach(at);
    const first = id === null ? undefined : firstFileOf.get(id);
    if (first !== undefined) {
      at({ field: 'id', message: `duplicate id "${id}" (also in ${first})` });
      continue;
    }
    if (id !== null) firstFileOf.set(id, file);
    if (rule) rules.push(rule);
  }
  return { rules, errors };
}

function compileSource(
  file: string,
  text: string,
  opts: CompileOptions,
): { id: string | null; rule: CompiledRule | null; problems: SchemaProblem[] } {
  const parsed = parseYaml(text);
  if ('problems' in parsed) return { id: null, rule: null, problems: parsed.problems };
  const { spec, problems } = parseRuleFile(parsed.data, file);
  // The checks below read the raw document too, so that one run reports every problem of a file.
  const raw: Record<string, unknown> = isRecord(parsed.data) ? parsed.data : {};
  const id = typeof raw.id === 'string' ? raw.id : null;
  const expectedId = /([^/\\]+?)\.ya?ml$/.exec(file)?.[1] ?? file;
  if (id !== null && id !== expectedId)
    problems.push({ field: 'id', message: `"${id}" must equal the file name "${expectedId}"` });

  const condition = typeof raw.condition === 'string' && raw.condition ? compileExpr(raw.condition, 'bool') : null;
  if (condition?.error) problems.push({ field: 'condition', message: condition.error });
  const message = typeof raw.message === 'string' && raw.message ? compileExpr(raw.message, 'string') : null;
  if (message?.error) problems.push({ field: 'message', message: message.error });
  const subjects = typeof raw.subjects === 'string' && raw.subjects ? compileExpr(raw.subjects, 'list') : null;
  if (subjects?.error) problems.push({ field: 'subjects', message: subjects.error });

  const action =
    isRecord(raw.remediation) && typeof raw.remediation.action === 'string' ? raw.remediation.action : null;
  if (action !== null) {
    // Unknown types are the schema's to report; only known ones are matched against the action.
    const types = Array.isArray(raw.resourceTypes)
      ? raw.resourceTypes.filter((t): t is ResourceType => RESOURCE_TYPES.includes(t))
      : [];
    problems.push(
      ...remediationProblems(action, types, isRecord(raw.params) ? raw.params : {}, opts.remediationActions),
    );
  }

  if (!spec || problems.length > 0 || !condition?.program) return { id, rule: null, problems };
  const rule: CompiledRule = {
    ...spec,
    params: deepFreeze(spec.params),
    conditionProgram: condition.program,
    messageProgram: message?.program ?? null,
    subjectsProgram: subjects?.program ?? null,
    appliesTo: new Set(spec.resourceTypes),
  };
  return { id, rule, problems: [] };
}

/** Duplicate keys are errors: YAML would otherwise keep the last one without a word. */
function parseYaml(text: string): { data: unknown } | { problems: SchemaProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length === 0) return { data: doc.toJS() };
  return {
    problems: doc.errors.map((e) => {
      const { line, col } = lines.linePos(e.pos[0]);
      return { field: 'yaml', message: `${e.message.split('\n')[0]} at line ${line}, column ${col}` };
    }),
  };
}

function remediationProblems(
  action: string,
  types: ResourceType[],
  params: Record<string, unknown>,
  known: ReadonlySet<string> | undefined,
): SchemaProblem[] {
  if (known && !known.has(action)) {
    return [
      {
        field: 'remediation.action',
        message: `unknown remediation action "${action}" (known: ${[...known].join(', ')})`,
      },
    ];
  }
  const def = remediationAction(action);
  // Not in the catalog: only a caller that names its actions (loadRules does) can say it is unknown.
  if (!def) return [];
  const problems: SchemaProblem[] = [];
  const unsupported = types.filter((t) => !def.resourceTypes.includes(t));
  if (unsupported.length > 0)
    problems.push({ field: 'remediation.action', message: `${action} cannot act on ${unsupported.join(', ')}` });
  for (const p of validateRemediationParams(action, params))
    problems.push({ field: 'params', message: `${p} (for remediation ${action})` });
  return problems;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
