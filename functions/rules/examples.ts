import { emptyBinauthzPolicy, emptyOrgPolicy, emptyPolicy, emptyService, unknownActor } from '../core/service.js';
import { type ResourceType, WORKLOAD_TYPES } from '../core/types.js';
import { matchName, resourceTypeInfo } from '../events/resource-types.js';
import type { CompiledRule } from './compile.js';
import { evaluateRule, subjectsOf } from './evaluate.js';
import type { RuleExample, RuleInput } from './types.js';

export interface ExampleResult {
  rule: string;
  file: string;
  /** "examples.fire[0]", "examples.pass[2]" */
  path: string;
  name: string;
  ok: boolean;
  reason?: string;
}

// A realistic resource per type (RESOURCE_TYPE_TABLE's sample names), so an example only writes what its rule looks at.
function sampleResource(type: ResourceType): RuleInput['resource'] {
  const info = resourceTypeInfo(type);
  const parts = matchName(info.example, [info])?.parts;
  const project =
    info.kind === 'project' ? (parts?.id ?? '') : info.kind === 'bucket' ? 'example-project' : (parts?.project ?? '');
  return { type, name: info.example, project, location: parts?.location ?? '' };
}

/** The zero policy for an org-policy name, with its constraint and parent already read off the name. */
function orgPolicyOf(name: string): ReturnType<typeof emptyOrgPolicy> {
  const m = /^(?<parent>.+)\/policies\/(?<c>[^/]+)$/.exec(name);
  return { ...emptyOrgPolicy(name), constraint: `constraints/${m?.groups?.c ?? ''}`, parent: m?.groups?.parent ?? '' };
}

/** The input an example starts from: every field present at its zero value, params at the rule's defaults. */
export function zeroInput(type: ResourceType, params: Record<string, unknown>): RuleInput {
  const resource = sampleResource(type);
  return {
    resource,
    service: WORKLOAD_TYPES.has(type) ? emptyService(resource.name) : null,
    policy: emptyPolicy(),
    change: {
      method: '',
      kind: 'update',
      deltas: [],
      deltaSource: 'none',
      actor: unknownActor(),
      serviceSource: 'none',
      updateMask: [],
    },
    orgPolicy: type === 'orgpolicy.googleapis.com/Policy' ? orgPolicyOf(resource.name) : null,
    binauthzPolicy: type === 'binaryauthorization.googleapis.com/Policy' ? emptyBinauthzPolicy(resource.name) : null,
    params: structuredClone(params),
    settings: { allowedDomains: [] },
  };
}

/** Runs every example of every rule; one result per example, in file order. */
export function runExamples(rules: readonly CompiledRule[]): ExampleResult[] {
  return rules.flatMap((rule) => [
    ...rule.examples.fire.map((ex, i) => runExample(rule, ex, `examples.fire[${i}]`, true)),
    ...rule.examples.pass.map((ex, i) => runExample(rule, ex, `examples.pass[${i}]`, false)),
  ]);
}

function runExample(rule: CompiledRule, example: RuleExample, path: string, mustFire: boolean): ExampleResult {
  const result = (ok: boolean, reason?: string): ExampleResult => ({
    rule: rule.id,
    file: rule.file,
    path,
    name: example.name,
    ok,
    ...(reason ? { reason } : {}),
  });
  const [type] = rule.resourceTypes;
  if (!type) return result(false, 'the rule names no resource type');
  const unknown: string[] = [];
  const input = deepMerge(zeroInput(type, rule.params), example.input, 'input', unknown) as RuleInput;
  // A misspelt field would otherwise leave the zero value in place and make a pass example pass vacuously.
  if (unknown.length > 0) return result(false, `unknown field ${unknown.join(', ')}`);
  const outcome = evaluateRule(rule, input);
  if (outcome.error !== null) return result(false, outcome.error);
  if (!mustFire) return outcome.fired ? result(false, `fired, but must not: "${outcome.message}"`) : result(true);
  if (!outcome.fired) return result(false, 'did not fire, but must');
  const subjects = subjectsOf(rule, input);
  if (subjects.error !== null) return result(false, subjects.error);
  if (example.message !== undefined && outcome.message !== example.message) {
    return result(false, `message was "${outcome.message}", expected "${example.message}"`);
  }
  return result(true);
}

/**
 * Objects merge, arrays and scalars replace. A key the base lacks is allowed only where the base
 * is an open map (labels, annotations: empty in the zero input); elsewhere it is reported.
 */
export function deepMerge(base: unknown, patch: unknown, at = '', unknown: string[] = []): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch;
  const open = Object.keys(base).length === 0;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const path = at ? `${at}.${key}` : key;
    if (!Object.hasOwn(base, key) && !open) unknown.push(path);
    out[key] = deepMerge(base[key], value, path, unknown);
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
