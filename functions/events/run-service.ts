import { emptyService } from '../core/service.js';
import type { Container, EnvVar, Ingress, RunService } from '../core/types.js';
import { REDACTED } from '../core/types.js';
import { type Rec, rec, str } from '../core/json.js';

// Cloud Run services in one shape, the v2 one, whichever API wrote the log. v1 (Knative) keeps
// most settings in annotations; v2 has fields. Audit-log JSON may use camelCase or snake_case,
// so every v2 field is read under both names.

const scalar = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const pick = (o: Rec | undefined, camel: string, snake: string): unknown =>
  o === undefined ? undefined : (o[camel] ?? o[snake]);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

// Maps, not object literals: annotation values are caller data and "toString" is not an ingress.
const V1_INGRESS: ReadonlyMap<string, Ingress> = new Map([
  ['all', 'INGRESS_TRAFFIC_ALL'],
  ['internal', 'INGRESS_TRAFFIC_INTERNAL_ONLY'],
  ['internal-and-cloud-load-balancing', 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER'],
]);
// IngressTraffic in vendor_settings.proto, by number; the names map to themselves.
const V2_INGRESS: readonly Ingress[] = [
  'INGRESS_TRAFFIC_UNSPECIFIED',
  'INGRESS_TRAFFIC_ALL',
  'INGRESS_TRAFFIC_INTERNAL_ONLY',
  'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
  'INGRESS_TRAFFIC_NONE',
];
const V2_INGRESS_NAMES = new Set<string>(V2_INGRESS);
// google.api.LaunchStage by number; the unspecified value is the zero value ''.
const LAUNCH_STAGES: ReadonlyMap<number, string> = new Map([
  [1, 'EARLY_ACCESS'],
  [2, 'ALPHA'],
  [3, 'BETA'],
  [4, 'GA'],
  [5, 'DEPRECATED'],
  [6, 'UNIMPLEMENTED'],
  [7, 'PRELAUNCH'],
]);

// kubectl-style tools store the whole previous spec, env values included, in this annotation.
const ECHOES_SPEC = 'kubectl.kubernetes.io/last-applied-configuration';

function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const o = rec(v);
  if (!o) return out;
  for (const k in o) {
    const val = o[k];
    if (typeof val === 'string') out[k] = k === ECHOES_SPEC ? REDACTED : val;
  }
  return out;
}

function ingressOf(v: unknown): Ingress {
  if (typeof v === 'number') return V2_INGRESS[v] ?? 'INGRESS_TRAFFIC_UNSPECIFIED';
  return typeof v === 'string' && V2_INGRESS_NAMES.has(v) ? (v as Ingress) : 'INGRESS_TRAFFIC_UNSPECIFIED';
}

function launchStageOf(v: unknown): string {
  if (typeof v === 'number') return LAUNCH_STAGES.get(v) ?? '';
  return v === 'LAUNCH_STAGE_UNSPECIFIED' ? '' : str(v);
}

/** A literal value becomes REDACTED: rules need to know a value is there, never what it is. */
function envVar(name: unknown, value: unknown, secret: string, version: string): EnvVar {
  const present = value !== undefined && value !== null && value !== '';
  return { name: str(name), value: present ? REDACTED : '', valueSource: { secretKeyRef: { secret, version } } };
}

function containers(v: unknown, env: (e: Rec) => EnvVar): Container[] {
  const out: Container[] = [];
  for (const item of list(v)) {
    const c = rec(item);
    if (!c) continue;
    const vars: EnvVar[] = [];
    for (const e of list(c.env)) {
      const r = rec(e);
      if (r) vars.push(env(r));
    }
    out.push({ name: str(c.name), image: str(c.image), env: vars });
  }
  return out;
}

// v1 secretKeyRef: name is the secret, key is its version ("latest" or a number).
const v1Env = (e: Rec): EnvVar => {
  const ref = rec(pick(rec(pick(e, 'valueFrom', 'value_from')), 'secretKeyRef', 'secret_key_ref'));
  return envVar(e.name, e.value, str(ref?.name), str(ref?.key));
};

const v2Env = (e: Rec): EnvVar => {
  const ref = rec(pick(rec(pick(e, 'valueSource', 'value_source')), 'secretKeyRef', 'secret_key_ref'));
  return envVar(e.name, e.value, str(ref?.secret), str(ref?.version));
};

/** A v1 Knative Service (request.service or the v1 response) in the v2 shape. */
export function fromV1(obj: Rec, name: string): RunService {
  const s = emptyService(name);
  const meta = rec(obj.metadata);
  const a = strings(meta?.annotations);
  s.uid = str(meta?.uid);
  s.generation = scalar(meta?.generation);
  s.labels = strings(meta?.labels);
  s.annotations = a;
  s.creator = a['serving.knative.dev/creator'] ?? '';
  s.lastModifier = a['serving.knative.dev/lastModifier'] ?? '';
  s.client = a['run.googleapis.com/client-name'] ?? '';
  // `ingress-status` is what the server last applied; only `ingress` is what was asked for.
  s.ingress = V1_INGRESS.get(a['run.googleapis.com/ingress'] ?? '') ?? 'INGRESS_TRAFFIC_UNSPECIFIED';
  s.launchStage = a['run.googleapis.com/launch-stage'] ?? '';
  s.invokerIamDisabled = a['run.googleapis.com/invoker-iam-disabled'] === 'true';
  s.defaultUriDisabled = a['run.googleapis.com/default-url-disabled'] === 'true';
  const binauthz = a['run.googleapis.com/binary-authorization'] ?? '';
  s.binaryAuthorization = {
    useDefault: binauthz === 'default',
    policy: binauthz === 'default' ? '' : binauthz,
    breakglassJustification: a['run.googleapis.com/binary-authorization-breakglass'] ?? '',
  };
  const template = rec(rec(obj.spec)?.template);
  const tmeta = rec(template?.metadata);
  const tspec = rec(template?.spec);
  s.template = {
    revision: str(tmeta?.name),
    labels: strings(tmeta?.labels),
    annotations: strings(tmeta?.annotations),
    serviceAccount: str(pick(tspec, 'serviceAccountName', 'service_account_name')),
    containers: containers(tspec?.containers, v1Env),
  };
  s.uri = str(rec(obj.status)?.url);
  return s;
}

/** A v2 Service, copying the fields rules read and tolerating any of them missing. */
export function fromV2(obj: Rec, name: string): RunService {
  const s = emptyService(name);
  s.uid = str(obj.uid);
  s.generation = scalar(obj.generation);
  s.labels = strings(obj.labels);
  s.annotations = strings(obj.annotations);
  s.creator = str(obj.creator);
  s.lastModifier = str(pick(obj, 'lastModifier', 'last_modifier'));
  s.client = str(obj.client);
  s.ingress = ingressOf(obj.ingress);
  s.launchStage = launchStageOf(pick(obj, 'launchStage', 'launch_stage'));
  s.invokerIamDisabled = pick(obj, 'invokerIamDisabled', 'invoker_iam_disabled') === true;
  s.defaultUriDisabled = pick(obj, 'defaultUriDisabled', 'default_uri_disabled') === true;
  const binauthz = rec(pick(obj, 'binaryAuthorization', 'binary_authorization'));
  s.binaryAuthorization = {
    useDefault: pick(binauthz, 'useDefault', 'use_default') === true,
    policy: str(binauthz?.policy),
    breakglassJustification: str(pick(binauthz, 'breakglassJustification', 'breakglass_justification')),
  };
  const t = rec(obj.template);
  s.template = {
    revision: str(t?.revision),
    labels: strings(t?.labels),
    annotations: strings(t?.annotations),
    serviceAccount: str(pick(t, 'serviceAccount', 'service_account')),
    containers: containers(t?.containers, v2Env),
  };
  s.uri = str(obj.uri);
  s.etag = str(obj.etag);
  return s;
}

/** True for a Knative-shaped (v1) service: v2 services have none of these keys. */
export function isV1Service(obj: Rec): boolean {
  return obj.metadata !== undefined || obj.spec !== undefined || obj.apiVersion !== undefined;
}

/** Either shape → RunService named `name` (the canonical full name, whatever the object says). */
export function toRunService(obj: Rec, name: string): RunService {
  return isV1Service(obj) ? fromV1(obj, name) : fromV2(obj, name);
}

/** A Cloud Run v2 Job in the workload shape: the task template holds the identity and the containers. */
export function fromV2Job(obj: Rec, name: string): RunService {
  const s = fromV2(obj, name);
  // job.proto: Job.template is an ExecutionTemplate whose `template` is the TaskTemplate.
  const task = rec(rec(obj.template)?.template);
  s.template.serviceAccount = str(pick(task, 'serviceAccount', 'service_account'));
  s.template.containers = containers(task?.containers, v2Env);
  return s;
}

// google.cloud.functions.v2.ServiceConfig.IngressSettings, by name and by number, onto Cloud Run's.
const FUNCTION_INGRESS: ReadonlyMap<string | number, Ingress> = new Map<string | number, Ingress>([
  ['ALLOW_ALL', 'INGRESS_TRAFFIC_ALL'],
  [1, 'INGRESS_TRAFFIC_ALL'],
  ['ALLOW_INTERNAL_ONLY', 'INGRESS_TRAFFIC_INTERNAL_ONLY'],
  [2, 'INGRESS_TRAFFIC_INTERNAL_ONLY'],
  ['ALLOW_INTERNAL_AND_GCLB', 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER'],
  [3, 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER'],
]);

/**
 * A Cloud Functions v2 Function in the workload shape (a 2nd-gen function is a Cloud Run service
 * underneath): serviceConfig.ingressSettings → ingress, serviceAccountEmail →
 * template.serviceAccount, environmentVariables (a map) and secretEnvironmentVariables → the env
 * of one container named "function". camelCase or snake_case (the Firebase CLI logs snake_case).
 */
export function fromFunctionV2(obj: Rec, name: string): RunService {
  const s = emptyService(name);
  s.labels = strings(obj.labels);
  const sc = rec(pick(obj, 'serviceConfig', 'service_config'));
  const ingress = pick(sc, 'ingressSettings', 'ingress_settings');
  s.ingress = FUNCTION_INGRESS.get(ingress as string | number) ?? 'INGRESS_TRAFFIC_UNSPECIFIED';
  s.uri = str(sc?.uri);
  const env: EnvVar[] = [];
  const plain = rec(pick(sc, 'environmentVariables', 'environment_variables'));
  for (const key in plain) env.push(envVar(key, plain[key], '', ''));
  for (const item of list(pick(sc, 'secretEnvironmentVariables', 'secret_environment_variables'))) {
    const r = rec(item);
    if (r) env.push(envVar(r.key, undefined, str(r.secret), str(r.version)));
  }
  s.template = {
    revision: str(sc?.revision),
    labels: {},
    annotations: {},
    serviceAccount: str(pick(sc, 'serviceAccountEmail', 'service_account_email')),
    containers: [{ name: 'function', image: '', env }],
  };
  return s;
}
