import type { AuditLog, ChangeEvent, ChangeKind, LogEntry, ResourceType } from '../core/types.js';
import { type Rec, rec, str } from '../core/json.js';
import { matchName, resourceTypeInfo, stripServicePrefix } from './resource-types.js';

// The single list of audit-log methods runguard acts on, and how each API names what it changed.
// The log-sink filter is generated from HANDLED_METHODS, so a method missing here is a change
// runguard never sees; keep the two in one place.

/** How the entry names its resource: a dedicated resolver, or `named` (the name alone, through RESOURCE_TYPE_TABLE). */
export type Api =
  | 'run.v1'
  | 'run.v2'
  | 'crm'
  | 'iam'
  | 'functions.v1'
  | 'functions.v2'
  | 'orgpolicy.v2'
  | 'orgpolicy.v1'
  | 'binauthz'
  | 'named';

export interface MethodInfo {
  serviceName: string;
  methodName: string;
  kind: ChangeKind;
  /** For CRM this is only the default: projects, folders and organizations share one bare method. */
  resourceType: ResourceType;
  api: Api;
  /** For `named`: the types its names may be, in order (one Pub/Sub method serves topics and subscriptions). */
  types: readonly ResourceType[];
  /**
   * A `delete` that is itself the change to judge rather than a skip: removing a guardrail (an
   * organization policy) loosens what it guarded, while deleting a service leaves nothing to check.
   */
  judgesDeletion: boolean;
}

const RUN = 'run.googleapis.com';
const CRM = 'cloudresourcemanager.googleapis.com';
const GCF = 'cloudfunctions.googleapis.com';
const RUN_SERVICE: ResourceType = 'run.googleapis.com/Service';
const FUNCTION: ResourceType = 'cloudfunctions.googleapis.com/Function';
const BINAUTHZ = 'binaryauthorization.googleapis.com';
const BINAUTHZ_POLICY: ResourceType = 'binaryauthorization.googleapis.com/Policy';

const m = (
  serviceName: string,
  methodName: string,
  kind: ChangeKind,
  resourceType: ResourceType,
  api: Api,
  types: readonly ResourceType[] = [resourceType],
): MethodInfo => Object.freeze({ serviceName, methodName, kind, resourceType, api, types, judgesDeletion: false });

const ORG_POLICY: ResourceType = 'orgpolicy.googleapis.com/Policy';
/** A change to a guardrail: its deletion is judged too. */
const guardrail = (serviceName: string, methodName: string, kind: ChangeKind, type: ResourceType, api: Api) =>
  Object.freeze({ ...m(serviceName, methodName, kind, type, api), judgesDeletion: kind === 'delete' });

/** SetIamPolicy of an API whose entries name the resource and carry the policy (and often a policyDelta). */
const policyOn = (serviceName: string, methodName: string, ...types: [ResourceType, ...ResourceType[]]): MethodInfo =>
  m(serviceName, methodName, 'setIamPolicy', types[0], 'named', types);

export const HANDLED_METHODS: readonly MethodInfo[] = Object.freeze([
  m(RUN, 'google.cloud.run.v1.Services.CreateService', 'create', RUN_SERVICE, 'run.v1'),
  m(RUN, 'google.cloud.run.v1.Services.ReplaceService', 'update', RUN_SERVICE, 'run.v1'),
  m(RUN, 'google.cloud.run.v1.Services.DeleteService', 'delete', RUN_SERVICE, 'run.v1'),
  m(RUN, 'google.cloud.run.v1.Services.SetIamPolicy', 'setIamPolicy', RUN_SERVICE, 'run.v1'),
  m(RUN, 'google.cloud.run.v2.Services.CreateService', 'create', RUN_SERVICE, 'run.v2'),
  m(RUN, 'google.cloud.run.v2.Services.UpdateService', 'update', RUN_SERVICE, 'run.v2'),
  m(RUN, 'google.cloud.run.v2.Services.DeleteService', 'delete', RUN_SERVICE, 'run.v2'),
  m(RUN, 'google.cloud.run.v2.Services.SetIamPolicy', 'setIamPolicy', RUN_SERVICE, 'run.v2'),
  // CRM logs the bare name for projects, folders and organizations alike (docs/audit-log-shapes.md §5).
  m(CRM, 'SetIamPolicy', 'setIamPolicy', 'cloudresourcemanager.googleapis.com/Project', 'crm'),
  // Capital "IAM": this is how the IAM admin API spells it in the log, unlike every other API.
  m(
    'iam.googleapis.com',
    'google.iam.admin.v1.SetIAMPolicy',
    'setIamPolicy',
    'iam.googleapis.com/ServiceAccount',
    'iam',
  ),
  m(GCF, 'google.cloud.functions.v1.CloudFunctionsService.SetIamPolicy', 'setIamPolicy', FUNCTION, 'functions.v1'),
  m(GCF, 'google.cloud.functions.v2.FunctionService.SetIamPolicy', 'setIamPolicy', FUNCTION, 'functions.v2'),
  // Cloud Functions 2nd gen: a Cloud Run service underneath, reached through another API (LROs:
  // only the operation's first entry carries the request, docs/audit-log-shapes.md §6).
  m(GCF, 'google.cloud.functions.v2.FunctionService.CreateFunction', 'create', FUNCTION, 'functions.v2'),
  m(GCF, 'google.cloud.functions.v2.FunctionService.UpdateFunction', 'update', FUNCTION, 'functions.v2'),
  m(GCF, 'google.cloud.functions.v2.FunctionService.DeleteFunction', 'delete', FUNCTION, 'functions.v2'),
  // Cloud Run jobs and worker pools (job.proto, worker_pool.proto).
  m(RUN, 'google.cloud.run.v2.Jobs.CreateJob', 'create', 'run.googleapis.com/Job', 'named'),
  m(RUN, 'google.cloud.run.v2.Jobs.UpdateJob', 'update', 'run.googleapis.com/Job', 'named'),
  m(RUN, 'google.cloud.run.v2.Jobs.DeleteJob', 'delete', 'run.googleapis.com/Job', 'named'),
  m(RUN, 'google.cloud.run.v2.WorkerPools.CreateWorkerPool', 'create', 'run.googleapis.com/WorkerPool', 'named'),
  m(RUN, 'google.cloud.run.v2.WorkerPools.UpdateWorkerPool', 'update', 'run.googleapis.com/WorkerPool', 'named'),
  m(RUN, 'google.cloud.run.v2.WorkerPools.DeleteWorkerPool', 'delete', 'run.googleapis.com/WorkerPool', 'named'),
  // IAM policies of other resources: every Admin Activity entry that carries a policy or a delta.
  // Method names from googleapis/google-cloudevents AUDIT_CATALOG.md and each API's audit logging page.
  policyOn(RUN, 'google.cloud.run.v2.Jobs.SetIamPolicy', 'run.googleapis.com/Job'),
  policyOn(RUN, 'google.cloud.run.v2.WorkerPools.SetIamPolicy', 'run.googleapis.com/WorkerPool'),
  policyOn('storage.googleapis.com', 'storage.setIamPermissions', 'storage.googleapis.com/Bucket'),
  policyOn(
    'pubsub.googleapis.com',
    'google.iam.v1.IAMPolicy.SetIamPolicy',
    'pubsub.googleapis.com/Topic',
    'pubsub.googleapis.com/Subscription',
  ),
  policyOn(
    'secretmanager.googleapis.com',
    'google.cloud.secretmanager.v1.SecretManagerService.SetIamPolicy',
    'secretmanager.googleapis.com/Secret',
  ),
  // Cloud KMS logs the bare name, like Resource Manager: the service keeps them apart.
  policyOn(
    'cloudkms.googleapis.com',
    'SetIamPolicy',
    'cloudkms.googleapis.com/CryptoKey',
    'cloudkms.googleapis.com/KeyRing',
  ),
  policyOn(
    'bigquery.googleapis.com',
    'google.iam.v1.IAMPolicy.SetIamPolicy',
    'bigquery.googleapis.com/Dataset',
    'bigquery.googleapis.com/Table',
  ),
  policyOn(
    'artifactregistry.googleapis.com',
    'google.devtools.artifactregistry.v1.ArtifactRegistry.SetIamPolicy',
    'artifactregistry.googleapis.com/Repository',
  ),
  // The guardrails themselves (issue 15 §6). Organization policies: the v2 Org Policy API, and the
  // v1 methods Resource Manager still serves and logs under their bare names (google-cloudevents
  // AUDIT_CATALOG.md lists SetOrgPolicy and ClearOrgPolicy under cloudresourcemanager.googleapis.com;
  // the v2 names follow the service's proto, orgpolicy.proto, and are UNVERIFIED against a real entry).
  guardrail(
    'orgpolicy.googleapis.com',
    'google.cloud.orgpolicy.v2.OrgPolicy.CreatePolicy',
    'create',
    ORG_POLICY,
    'orgpolicy.v2',
  ),
  guardrail(
    'orgpolicy.googleapis.com',
    'google.cloud.orgpolicy.v2.OrgPolicy.UpdatePolicy',
    'update',
    ORG_POLICY,
    'orgpolicy.v2',
  ),
  guardrail(
    'orgpolicy.googleapis.com',
    'google.cloud.orgpolicy.v2.OrgPolicy.DeletePolicy',
    'delete',
    ORG_POLICY,
    'orgpolicy.v2',
  ),
  guardrail(CRM, 'SetOrgPolicy', 'update', ORG_POLICY, 'orgpolicy.v1'),
  guardrail(CRM, 'ClearOrgPolicy', 'delete', ORG_POLICY, 'orgpolicy.v1'),
  // A project's Binary Authorization policy (AUDIT_CATALOG.md lists both UpdatePolicy methods).
  guardrail(
    BINAUTHZ,
    'google.cloud.binaryauthorization.v1.BinauthzManagementServiceV1.UpdatePolicy',
    'update',
    BINAUTHZ_POLICY,
    'binauthz',
  ),
  guardrail(
    BINAUTHZ,
    'google.cloud.binaryauthorization.v1beta1.BinauthzManagementServiceV1Beta1.UpdatePolicy',
    'update',
    BINAUTHZ_POLICY,
    'binauthz',
  ),
]);

// Keyed on service and method together: a bare "SetIamPolicy" from storage.googleapis.com is not
// a project policy change.
const BY_KEY = new Map(HANDLED_METHODS.map((info) => [`${info.serviceName} ${info.methodName}`, info]));

export function lookupMethod(serviceName: string, methodName: string): MethodInfo | undefined {
  return BY_KEY.get(`${serviceName} ${methodName}`);
}

// ---------------------------------------------------------------------------------------------
// How each API names its resource, and the canonical name runguard uses for it. Each field has a
// chain of places to look, because the same fact sits in different spots per API and per client
// (docs/audit-log-shapes.md §2): names first, then resource.labels, then the request.

export type ResourceRef = ChangeEvent['resource'];

// v1 uses namespaces/P/services/S for Create/Replace/Delete and projects/P/locations/L/… for SetIamPolicy.
const RUN_NAME = new RegExp(
  String.raw`^(?:\/\/run\.googleapis\.com\/)?(?:projects|namespaces)\/(?<project>[^/]+)` +
    String.raw`(?:\/locations\/(?<location>[^/]+))?\/services\/(?<service>[^/]+)$`,
);
// v1 console: projects/P/regions/R; v1 gcloud: namespaces/P; v2: projects/P/locations/L.
const RUN_PARENT = /^(?:projects|namespaces)\/(?<project>[^/]+)(?:\/(?:locations|regions)\/(?<location>[^/]+))?$/;
const CRM_NAME =
  /^(?:\/\/cloudresourcemanager\.googleapis\.com\/)?(?<collection>projects|folders|organizations)\/(?<id>[^/]+)$/;
const SA_NAME = /^projects\/(?<project>[^/]+)\/serviceAccounts\/(?<account>[^/]+)$/;
const SA_EMAIL_PROJECT = /@(?<project>[^.@]+)\.iam\.gserviceaccount\.com$/;
const FUNCTION_NAME = /^projects\/(?<project>[^/]+)\/locations\/(?<location>[^/]+)\/functions\/(?<fn>[^/]+)$/;

const CRM_COLLECTIONS: ReadonlyMap<string, { type: ResourceType; label: string }> = new Map([
  ['projects', { type: 'cloudresourcemanager.googleapis.com/Project', label: 'project_id' }],
  ['folders', { type: 'cloudresourcemanager.googleapis.com/Folder', label: 'folder_id' }],
  ['organizations', { type: 'cloudresourcemanager.googleapis.com/Organization', label: 'organization_id' }],
] as const);
const CRM_RESOURCE_TYPES: ReadonlyMap<string, string> = new Map([
  ['project', 'projects'],
  ['folder', 'folders'],
  ['organization', 'organizations'],
]);

interface Ctx {
  logName: string;
  pp: AuditLog;
  req: Rec | undefined;
  labels: Rec | undefined;
  resourceType: string;
}

type Groups = Record<string, string | undefined>;
/** The named groups of the first candidate that matches. */
function firstMatch(re: RegExp, ...candidates: unknown[]): Groups | undefined {
  for (const c of candidates) {
    const g = typeof c === 'string' ? re.exec(c)?.groups : undefined;
    if (g) return g;
  }
  return undefined;
}

function runResource({ pp, req, labels }: Ctx): ResourceRef | { error: string } {
  const reqService = rec(req?.service);
  const g = firstMatch(RUN_NAME, pp.resourceName, req?.name, req?.resource, reqService?.name);
  const parent = firstMatch(RUN_PARENT, req?.parent);
  const project = str(labels?.project_id) || g?.project || parent?.project || '';
  // service_name is "" on SetIamPolicy entries, so the name wins over the label here.
  const service =
    g?.service ||
    str(labels?.service_name) ||
    str(req?.serviceId ?? req?.service_id) ||
    str(rec(reqService?.metadata)?.name);
  const current = rec(pp.resourceLocation)?.currentLocations;
  const location =
    str(labels?.location) ||
    (Array.isArray(current) ? str(current[0]) : '') ||
    g?.location ||
    str(req?.region) ||
    parent?.location ||
    '';
  if (!project || !service) return { error: 'protoPayload.resourceName missing or not a Cloud Run service name' };
  if (!location)
    return {
      error: 'Cloud Run location missing (resource.labels.location, protoPayload.resourceLocation.currentLocations)',
    };
  return {
    type: 'run.googleapis.com/Service',
    name: `projects/${project}/locations/${location}/services/${service}`,
    project,
    location,
  };
}

function crmResource({ pp, req, labels, resourceType }: Ctx): ResourceRef | { error: string } {
  const g = firstMatch(CRM_NAME, pp.resourceName, req?.resource);
  const collection = g?.collection ?? CRM_RESOURCE_TYPES.get(resourceType) ?? '';
  const kind = CRM_COLLECTIONS.get(collection);
  if (!kind) return { error: 'protoPayload.resourceName is not a project, folder or organization' };
  const label = str(labels?.[kind.label]);
  // A project's canonical name uses its id; the label always has the id, the name may not.
  const id = (collection === 'projects' ? label || g?.id : g?.id || label) || (g ? '' : str(req?.resource));
  if (!id) return { error: `protoPayload.resourceName missing (no ${collection} id)` };
  return { type: kind.type, name: `${collection}/${id}`, project: collection === 'projects' ? id : '', location: '' };
}

function serviceAccountResource({ pp, req, labels }: Ctx): ResourceRef | { error: string } {
  const g = firstMatch(SA_NAME, pp.resourceName, req?.resource);
  const account = g?.account ?? '';
  // resourceName is projects/-/serviceAccounts/<uniqueId>; only the label has the e-mail.
  const email = account.includes('@') ? account : str(labels?.email_id) || account;
  if (!email) return { error: 'protoPayload.resourceName missing or not a service account name' };
  const named = g?.project && g.project !== '-' ? g.project : '';
  const project = str(labels?.project_id) || named || SA_EMAIL_PROJECT.exec(email)?.groups?.project || '';
  return {
    type: 'iam.googleapis.com/ServiceAccount',
    name: `projects/${project || '-'}/serviceAccounts/${email}`,
    project,
    location: '',
  };
}

function functionResource({ pp, req, labels }: Ctx): ResourceRef | { error: string } {
  // CreateFunction: the name may be only in the body, or in parent + function_id.
  const id = str(req?.functionId ?? req?.function_id);
  const fromParent = typeof req?.parent === 'string' && id ? `${req.parent}/functions/${id}` : '';
  const g = firstMatch(FUNCTION_NAME, pp.resourceName, req?.resource, rec(req?.function)?.name, fromParent);
  const project = str(labels?.project_id) || g?.project || '';
  const location = g?.location || str(labels?.region) || '';
  const fn = g?.fn || str(labels?.function_name);
  if (!project || !location || !fn) return { error: 'protoPayload.resourceName missing or not a Cloud Functions name' };
  return {
    type: 'cloudfunctions.googleapis.com/Function',
    name: `projects/${project}/locations/${location}/functions/${fn}`,
    project,
    location,
  };
}

const LOG_PROJECT = /^projects\/(?<project>[^/]+)\/logs\//;

/** Any type of RESOURCE_TYPE_TABLE, from the name the entry gives it; the project id from the labels or the log. */
function namedResource(info: MethodInfo, { pp, req, labels, logName }: Ctx): ResourceRef | { error: string } {
  const candidates = info.types.map(resourceTypeInfo);
  const body = rec(req?.job) ?? rec(req?.workerPool) ?? rec(req?.worker_pool);
  const id = str(req?.jobId ?? req?.job_id ?? req?.workerPoolId ?? req?.worker_pool_id);
  const child = info.resourceType === 'run.googleapis.com/Job' ? 'jobs' : 'workerPools';
  const fromParent = typeof req?.parent === 'string' && id ? `${req.parent}/${child}/${id}` : '';
  for (const name of [pp.resourceName, req?.resource, req?.name, body?.name, fromParent]) {
    if (typeof name !== 'string' || name === '') continue;
    const hit = matchName(name, candidates);
    if (!hit) continue;
    // Some names carry the project number (Secret Manager); the labels and the log name have the id.
    const project = str(labels?.project_id) || LOG_PROJECT.exec(logName)?.groups?.project || hit.parts.project || '';
    return {
      type: hit.info.type,
      name: stripServicePrefix(name),
      project,
      location: hit.parts.location || str(labels?.location) || '',
    };
  }
  const kinds = candidates.map((c) => c.label.toLowerCase()).join(' or ');
  return { error: `protoPayload.resourceName missing or not a ${kinds} name` };
}

// Org Policy v2 names a policy projects/P/policies/C (P an id or a number), folders/N/… or organizations/N/….
const ORG_POLICY_NAME = new RegExp(
  String.raw`^(?:\/\/orgpolicy\.googleapis\.com\/)?(?<collection>projects|folders|organizations)\/(?<node>[^/]+)` +
    String.raw`\/policies\/(?<constraint>[^/]+)$`,
);
// v1 names the node the policy is set on, and the constraint separately.
const NODE =
  /^(?:\/\/cloudresourcemanager\.googleapis\.com\/)?(?<collection>projects|folders|organizations)\/(?<node>[^/]+)/;

/**
 * projects/P (by id: the labels and the log name have it, a v2 name may carry the number), folders/N, organizations/N.
 */
function nodeName(collection: string, node: string, { labels, logName }: Ctx): string {
  if (collection !== 'projects') return `${collection}/${node}`;
  return `projects/${str(labels?.project_id) || LOG_PROJECT.exec(logName)?.groups?.project || node}`;
}

function orgPolicyResource(parent: string, constraint: string): ResourceRef {
  const short = constraint.replace(/^constraints\//, '');
  const project = parent.startsWith('projects/') ? parent.slice('projects/'.length) : '';
  return { type: 'orgpolicy.googleapis.com/Policy', name: `${parent}/policies/${short}`, project, location: '' };
}

function orgPolicyV2Resource(ctx: Ctx): ResourceRef | { error: string } {
  const { pp, req } = ctx;
  const policy = rec(req?.policy);
  const res = rec(pp.response);
  const g = firstMatch(ORG_POLICY_NAME, pp.resourceName, policy?.name, req?.name, res?.name);
  if (!g?.collection || !g.node || !g.constraint)
    return { error: 'protoPayload.resourceName missing or not an organization policy name (…/policies/CONSTRAINT)' };
  return orgPolicyResource(nodeName(g.collection, g.node, ctx), g.constraint);
}

function orgPolicyV1Resource(ctx: Ctx): ResourceRef | { error: string } {
  const { pp, req, labels, resourceType } = ctx;
  const g = firstMatch(NODE, req?.resource, pp.resourceName);
  const collection = g?.collection ?? CRM_RESOURCE_TYPES.get(resourceType) ?? '';
  const kind = CRM_COLLECTIONS.get(collection);
  const node = g?.node || (kind ? str(labels?.[kind.label]) : '');
  if (!kind || !node)
    return { error: 'protoPayload.request.resource missing or not a project, folder or organization' };
  const constraint =
    str(rec(req?.policy)?.constraint) || str(req?.constraint) || str(rec(pp.response)?.constraint) || '';
  if (!constraint) return { error: 'protoPayload.request.policy.constraint (or request.constraint) missing' };
  return orgPolicyResource(nodeName(collection, node, ctx), constraint);
}

const BINAUTHZ_NAME = /^(?:\/\/binaryauthorization\.googleapis\.com\/)?projects\/(?<project>[^/]+)\/policy$/;

function binauthzResource({ pp, req, labels, logName }: Ctx): ResourceRef | { error: string } {
  const g = firstMatch(BINAUTHZ_NAME, pp.resourceName, rec(req?.policy)?.name, rec(pp.response)?.name);
  const project = str(labels?.project_id) || LOG_PROJECT.exec(logName)?.groups?.project || g?.project || '';
  if (!project) return { error: 'protoPayload.resourceName missing or not a Binary Authorization policy name' };
  return {
    type: 'binaryauthorization.googleapis.com/Policy',
    name: `projects/${project}/policy`,
    project,
    location: '',
  };
}

const RESOLVERS: Readonly<Record<Api, (ctx: Ctx, info: MethodInfo) => ResourceRef | { error: string }>> = {
  'orgpolicy.v2': orgPolicyV2Resource,
  'orgpolicy.v1': orgPolicyV1Resource,
  binauthz: binauthzResource,
  named: (ctx, info) => namedResource(info, ctx),
  'run.v1': runResource,
  'run.v2': runResource,
  crm: crmResource,
  iam: serviceAccountResource,
  'functions.v1': functionResource,
  'functions.v2': functionResource,
};

/** The resource a handled method changed, with its canonical name, or an error naming what is missing. */
export function resourceOf(
  info: MethodInfo,
  entry: LogEntry,
  pp: AuditLog,
  req: Rec | undefined,
): ResourceRef | { error: string } {
  const resource = rec(entry.resource);
  const ctx = {
    pp,
    req,
    labels: rec(resource?.labels),
    resourceType: str(resource?.type),
    logName: str(entry.logName),
  };
  return RESOLVERS[info.api](ctx, info);
}
