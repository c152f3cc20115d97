import { emptyPolicy, emptyService } from '../core/service.js';
import type { ResourceType } from '../core/types.js';
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

const PROJECT = 'example-project';
const LOCATION = 'europe-west1';

// A realistic resource per type, so an example only writes what its rule looks at.
const RESOURCES: Record<ResourceType, RuleInput['resource']> = {
  'run.googleapis.com/Service': {
    type: 'run.googleapis.com/Service',
    name: `projects/${PROJECT}/locations/${LOCATION}/services/example`,
    project: PROJECT,
    location: LOCATION,
  },
  'cloudresourcemanager.googleapis.com/Project': {
    type: 'cloudresourcemanager.googleapis.com/Project',
    name: `projects/${PROJECT}`,
    project: PROJECT,
    location: '',
  },
  'cloudresourcemanager.googleapis.com/Folder': {
    type: 'cloudresourcemanager.googleapis.com/Folder',
    name: 'folders/123456789012',
    project: '',
    location: '',
  },
  'cloudresourcemanager.googleapis.com/Organization': {
    type: 'cloudresourcemanager.googleapis.com/Organization',
    name: 'organizations/123456789012',
    project: '',
    location: '',
  },
  'iam.googleapis.com/ServiceAccount': {
    type: 'iam.googleapis.com/ServiceAccount',
    name: `projects/${PROJECT}/serviceAccounts/example@${PROJECT}.iam.gserviceaccount.com`,
    project: PROJECT,
    location: '',
  },
  'cloudfunctions.googleapis.com/Function': {
    type: 'cloudfunctions.googleapis.com/Function',
    name: `projects/${PROJECT}/locations/${LOCATION}/functions/example`,
    project: PROJECT,
    location: LOCATION,
  },
};

/** The input an example starts from: every field present at its zero value, params at the rule's defaults. */
export function zeroInput(type: ResourceType, params: Record<string, unknown>): RuleInput {
  const resource = { ...RESOURCES[type] };
  return {
    resource,
    service: type === 'run.googleapis.com/Service' ? emptyService(resource.name) : null,
    policy: emptyPolicy(),
    change: {
      method: '',
      kind: 'update',
      deltas: [],
      deltaSource: 'none',
      actor: { email: '', subject: '', delegation: [], ip: '', userAgent: '', tool: 'unknown', toolDetail: '' },
      serviceSource: 'none',
      updateMask: [],
    },
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
