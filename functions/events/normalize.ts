import type {
  AuditLog,
  ChangeEvent,
  LogEntry,
  Normalized,
  Policy,
  ResourceType,
  RunService,
  Skip,
} from '../core/types.js';
import { actorOf, originalCallerOf } from './actor.js';
import {
  applyDefaults,
  FUNCTION_DEFAULTS,
  type FieldDefault,
  projectNumberOf,
  RUN_JOB_DEFAULTS,
  RUN_SERVICE_DEFAULTS,
  RUN_WORKER_POOL_DEFAULTS,
} from './defaults.js';
import { binauthzPolicy, orgPolicyV1, orgPolicyV2 } from './guardrails.js';
import { deltasFromPolicy, deltasFromPolicyDelta, parsePolicy } from './iam.js';
import { lookupMethod, resourceOf } from './methods.js';
import type { MethodInfo } from './methods.js';
import { fromFunctionV2, fromV2, fromV2Job, toRunService } from './run-service.js';
import { type Rec, rec, str } from '../core/json.js';

// LogEntry → ChangeEvent, or a Skip saying why not, or an error naming the path that was wrong.
// Pure and total: whatever JSON arrives, this returns a value and never throws, because one bad
// message must not take down the function that handles the good ones.

export interface NormalizeError {
  error: string;
}

export interface NormalizeOptions {
  /** runguard's own principals: changes whose original caller is one of them (reverts) are not findings. */
  selfPrincipals: readonly string[];
}

const absent = (v: unknown): boolean => v === undefined || v === null;
const isError = (v: object): v is NormalizeError => 'error' in v;

// google.rpc.Code, so a skip reason says "PERMISSION_DENIED" and not only "7".
const RPC_CODES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

const RUN_SERVICE_TYPES = new Set([
  'type.googleapis.com/google.cloud.run.v1.Service',
  'type.googleapis.com/google.cloud.run.v2.Service',
]);
const OPERATION_TYPE = 'type.googleapis.com/google.longrunning.Operation';
const POLICY_TYPE = 'type.googleapis.com/google.iam.v1.Policy';

const skip = (code: Skip['code'], reason: string): Skip => ({ skipped: true, code, reason });

export function normalize(entry: LogEntry, opts: NormalizeOptions): Normalized | NormalizeError {
  if (!rec(entry)) return { error: 'entry is not an object' };
  if (absent(entry.protoPayload)) return { error: 'protoPayload missing (not an audit log entry)' };
  const pp = rec(entry.protoPayload) as AuditLog | undefined;
  if (!pp) return { error: 'protoPayload is not an object' };
  const method = pp.methodName;
  if (typeof method !== 'string' || method === '') return { error: 'protoPayload.methodName missing' };
  if (typeof entry.insertId !== 'string' || entry.insertId === '') return { error: 'insertId missing' };
  const serviceName = pp.serviceName;
  if (typeof serviceName !== 'string' || serviceName === '') return { error: 'protoPayload.serviceName missing' };
  if (!absent(pp.status) && !rec(pp.status)) return { error: 'protoPayload.status is not an object' };
  const code = pp.status?.code;
  if (!absent(code) && typeof code !== 'number') return { error: 'protoPayload.status.code is not a number' };
  if (!absent(entry.operation) && !rec(entry.operation)) return { error: 'operation is not an object' };

  if (code) {
    const message = str(pp.status?.message);
    const name = RPC_CODES[code] ? ` ${RPC_CODES[code]}` : '';
    return skip(
      'failed-call',
      `the call failed with status ${code}${name}${message ? ` (${message})` : ''}, so nothing changed`,
    );
  }
  const op = entry.operation;
  if (op?.last === true && op.first !== true) {
    return skip('operation-last', `last entry of operation ${str(op.id)}: only the first entry carries the change`);
  }
  const actor = actorOf(pp);
  // The original caller decides (issue 13/15): runguard acting through an account it impersonates
  // (a per-project remediator) is runguard; anyone impersonating runguard's account is not.
  const caller = originalCallerOf(pp);
  if (isSelf(caller, opts?.selfPrincipals)) {
    const through = caller.toLowerCase() === actor.email.toLowerCase() ? '' : `, acting as ${actor.email}`;
    return skip('self', `made by runguard itself (${caller}${through})`);
  }
  const info = lookupMethod(serviceName, method);
  if (!info) return skip('unhandled-method', `${method} on ${serviceName} is not a method runguard handles`);
  if (info.kind === 'delete' && !info.judgesDeletion) {
    return skip('deleted', `${method} deletes ${str(pp.resourceName) || 'the resource'}: nothing is left to check`);
  }
  const req = rec(pp.request) ? pp.request : undefined;
  if (req && (req.validateOnly === true || req.validate_only === true)) {
    return skip('validate-only', `${method} was a validate-only request: nothing changed`);
  }
  return changeEvent(entry, pp, info, actor);
}

function changeEvent(
  entry: LogEntry,
  pp: AuditLog,
  info: MethodInfo,
  actor: ChangeEvent['actor'],
): ChangeEvent | NormalizeError {
  if (!absent(pp.request) && !rec(pp.request)) return { error: 'protoPayload.request is not an object' };
  if (!absent(pp.response) && !rec(pp.response)) return { error: 'protoPayload.response is not an object' };
  const req = pp.request ?? undefined;
  const res = pp.response ?? undefined;
  const resource = resourceOf(info, entry, pp, req);
  if (isError(resource)) return resource;
  const updateMask = maskOf(req);
  const state = serviceState(info, pp, req, res, resource, updateMask);
  if (isError(state)) return state;
  const iam = info.kind === 'setIamPolicy' ? policyState(pp, req, res) : noPolicy();
  if (isError(iam)) return iam;
  const guardrails = guardrailState(info, req, res, resource, updateMask);
  if (isError(guardrails)) return guardrails;
  const op = entry.operation;
  return {
    insertId: entry.insertId as string,
    logName: str(entry.logName),
    timestamp: str(entry.timestamp),
    method: info.methodName,
    serviceName: info.serviceName,
    kind: info.kind,
    resource,
    actor,
    operation: op
      ? { id: str(op.id), producer: str(op.producer), first: op.first === true, last: op.last === true }
      : null,
    ...state,
    ...iam,
    updateMask,
    ...guardrails,
  };
}

type GuardrailState = Pick<ChangeEvent, 'orgPolicy' | 'binauthzPolicy'>;

function guardrailState(
  info: MethodInfo,
  req: Rec | undefined,
  res: Rec | undefined,
  resource: ChangeEvent['resource'],
  updateMask: string[],
): GuardrailState | NormalizeError {
  const none: GuardrailState = { orgPolicy: null, binauthzPolicy: null };
  const state =
    info.api === 'orgpolicy.v2'
      ? { orgPolicy: orgPolicyV2(info.kind, req, res, resource, updateMask) }
      : info.api === 'orgpolicy.v1'
        ? { orgPolicy: orgPolicyV1(info.kind, req, res, resource) }
        : info.api === 'binauthz'
          ? { binauthzPolicy: binauthzPolicy(req, res, resource) }
          : {};
  for (const v of Object.values(state)) if (isError(v)) return v;
  return { ...none, ...state } as GuardrailState;
}

function isSelf(email: string, selfPrincipals: readonly string[] | undefined): boolean {
  if (email === '' || !selfPrincipals) return false;
  const e = email.toLowerCase();
  for (const p of selfPrincipals) if (typeof p === 'string' && p.toLowerCase() === e) return true;
  return false;
}

type ServiceState = Pick<ChangeEvent, 'service' | 'serviceSource'>;
const NO_SERVICE: ServiceState = { service: null, serviceSource: 'none' };

/** How each workload's create and update entries carry it, and what its API fills in. */
interface Workload {
  /** The request field holding the resource, camelCase and snake_case. */
  body: readonly [string, string];
  /** The `@type`s of a response (or a finished operation's response) that is the resource as applied. */
  types: ReadonlySet<string>;
  convert: (obj: Rec, name: string) => RunService;
  defaults: readonly FieldDefault[];
}
const RUN_V2 = 'type.googleapis.com/google.cloud.run.v2.';
const WORKLOADS: Partial<Record<ResourceType, Workload>> = {
  'run.googleapis.com/Service': {
    body: ['service', 'service'],
    types: RUN_SERVICE_TYPES,
    convert: toRunService,
    defaults: RUN_SERVICE_DEFAULTS,
  },
  'run.googleapis.com/Job': {
    body: ['job', 'job'],
    types: new Set([`${RUN_V2}Job`]),
    convert: fromV2Job,
    defaults: RUN_JOB_DEFAULTS,
  },
  'run.googleapis.com/WorkerPool': {
    body: ['workerPool', 'worker_pool'],
    types: new Set([`${RUN_V2}WorkerPool`]),
    convert: fromV2,
    defaults: RUN_WORKER_POOL_DEFAULTS,
  },
  'cloudfunctions.googleapis.com/Function': {
    body: ['function', 'function'],
    types: new Set(['type.googleapis.com/google.cloud.functions.v2.Function']),
    convert: fromFunctionV2,
    defaults: FUNCTION_DEFAULTS,
  },
};

/** The response is what was applied, so it wins; an LRO's first response is an Operation, not the resource. */
function responseResource(res: Rec | undefined, w: Workload, isRunService: boolean): Rec | undefined {
  if (!res) return undefined;
  const type = str(res['@type']);
  if (w.types.has(type)) return res;
  if (type === OPERATION_TYPE) {
    const inner = rec(res.response);
    return res.done === true && inner && w.types.has(str(inner['@type'])) ? inner : undefined;
  }
  return isRunService && type === '' && (res.kind === 'Service' || rec(res.template)) ? res : undefined;
}

function serviceState(
  info: MethodInfo,
  pp: AuditLog,
  req: Rec | undefined,
  res: Rec | undefined,
  resource: ChangeEvent['resource'],
  updateMask: string[],
): ServiceState | NormalizeError {
  const w = WORKLOADS[resource.type];
  // Functions v1 and the SetIamPolicy of every workload carry no workload state.
  if (!w || info.kind === 'setIamPolicy' || info.api === 'functions.v1') return NO_SERVICE;
  const name = resource.name;
  const isRunService = resource.type === 'run.googleapis.com/Service';
  const applied = responseResource(res, w, isRunService);
  if (applied) return { service: w.convert(applied, name), serviceSource: 'response' };
  const [camel, snake] = w.body;
  const asked = req?.[camel] ?? req?.[snake];
  if (absent(asked)) return NO_SERVICE;
  const obj = rec(asked);
  if (!obj) return { error: `protoPayload.request.${camel} is not an object` };
  const service = w.convert(obj, name);
  if (info.kind !== 'create' && info.kind !== 'update') return { service, serviceSource: 'request' };
  if (info.api !== 'run.v1') {
    // The API fills in what the request leaves out; the response would show it, the request does not.
    applyDefaults(service, w.defaults, { kind: info.kind, updateMask, projectNumber: projectNumberOf(pp) });
  } else if (info.kind === 'create' && service.ingress === 'INGRESS_TRAFFIC_UNSPECIFIED') {
    // v1: only responses show Cloud Run's default (docs/audit-log-shapes.md §4): a create that says nothing is public.
    service.ingress = 'INGRESS_TRAFFIC_ALL';
  }
  return { service, serviceSource: 'request' };
}

type IamState = Pick<ChangeEvent, 'policy' | 'deltas' | 'deltaSource'>;
// A fresh value each time: events are handed on, and a shared deltas array would be shared state.
const noPolicy = (): IamState => ({ policy: null, deltas: [], deltaSource: 'none' });

function policyState(pp: AuditLog, req: Rec | undefined, res: Rec | undefined): IamState | NormalizeError {
  let policy: Policy | null = null;
  if (res && (res.bindings !== undefined || str(res['@type']) === POLICY_TYPE)) {
    const parsed = parsePolicy(res, 'protoPayload.response');
    if (isError(parsed)) return parsed;
    policy = parsed;
  } else if (!absent(req?.policy)) {
    const parsed = parsePolicy(req?.policy, 'protoPayload.request.policy');
    if (isError(parsed)) return parsed;
    policy = parsed;
  }
  const sd = pp.serviceData;
  if (!absent(sd) && !rec(sd)) return { error: 'protoPayload.serviceData is not an object' };
  const pd = sd?.policyDelta;
  if (!absent(pd)) {
    const delta = rec(pd);
    if (!delta) return { error: 'protoPayload.serviceData.policyDelta is not an object' };
    const deltas = deltasFromPolicyDelta(delta.bindingDeltas, 'protoPayload.serviceData.policyDelta.bindingDeltas');
    if (isError(deltas)) return deltas;
    return { policy, deltas, deltaSource: 'policyDelta' };
  }
  if (policy) return { policy, deltas: deltasFromPolicy(policy), deltaSource: 'policy' };
  return { policy, deltas: [], deltaSource: 'none' };
}

/** FieldMask as JSON (a comma string), as a Struct ({paths}), or a bare list. */
function maskOf(req: Rec | undefined): string[] {
  const m = req?.updateMask ?? req?.update_mask;
  if (typeof m === 'string')
    return m
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
  const paths = Array.isArray(m) ? m : rec(m)?.paths;
  return Array.isArray(paths) ? paths.filter((p): p is string => typeof p === 'string' && p !== '') : [];
}
