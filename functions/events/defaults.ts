import type { AuditLog, RunService } from '../core/types.js';
import { rec, str } from '../core/json.js';

// What an API fills in for a field the request leaves empty, so that a create that names no
// service account is judged as the account it will really run as. Applied only to the request
// (the response, when the entry has one, already shows what the server applied and wins), and
// only where the request sets the field: on a create, or on an update whose mask names the field.

/**
 * The Compute Engine default service account when the entry does not reveal the project number.
 * Google's documentation writes it this way; `run-default-service-account` recognises it.
 */
export const DEFAULT_COMPUTE_SA_UNKNOWN_NUMBER = 'PROJECT_NUMBER-compute@developer.gserviceaccount.com';

const COMPUTE_SA = /^(?:projects\/[^/]+\/serviceAccounts\/)?(?<number>[0-9]+)-compute@developer\.gserviceaccount\.com$/;

/**
 * The project number, when the entry gives it away: deploying checks `iam.serviceaccounts.actAs`
 * on the account the workload will run as, so a create that names none is authorized against the
 * Compute Engine default account, `NUMBER-compute@developer.gserviceaccount.com`.
 */
export function projectNumberOf(pp: AuditLog): string {
  const auth = pp.authorizationInfo;
  if (!Array.isArray(auth)) return '';
  for (const a of auth) {
    const r = rec(a);
    if (str(r?.permission).toLowerCase() !== 'iam.serviceaccounts.actas') continue;
    const n = COMPUTE_SA.exec(str(r?.resource))?.groups?.number;
    if (n) return n;
  }
  return '';
}

export function computeDefaultServiceAccount(projectNumber: string): string {
  return projectNumber ? `${projectNumber}-compute@developer.gserviceaccount.com` : DEFAULT_COMPUTE_SA_UNKNOWN_NUMBER;
}

/** A FieldMask path in camelCase: update masks arrive as `template.service_account` or `template.serviceAccount`. */
const camel = (path: string): string => path.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Does the update mask name `field` (camelCase, dotted), itself, through a parent path, or with `*`? */
export function maskNames(mask: readonly string[], field: string): boolean {
  return mask.some((p) => {
    const path = camel(p.trim());
    return path === '*' || path === field || field.startsWith(`${path}.`);
  });
}

/** A default: the field as an update mask names it, whether the request left it empty, and how to fill it in. */
export interface FieldDefault {
  field: string;
  isEmpty: (s: RunService) => boolean;
  apply: (s: RunService, projectNumber: string) => void;
}

const ingressAll: Pick<FieldDefault, 'isEmpty' | 'apply'> = {
  isEmpty: (s) => s.ingress === 'INGRESS_TRAFFIC_UNSPECIFIED',
  apply: (s) => {
    s.ingress = 'INGRESS_TRAFFIC_ALL';
  },
};
const computeSa: Pick<FieldDefault, 'isEmpty' | 'apply'> = {
  isEmpty: (s) => s.template.serviceAccount === '',
  apply: (s, n) => {
    s.template.serviceAccount = computeDefaultServiceAccount(n);
  },
};

/** Cloud Run Admin API v2 `Service` (google/cloud/run/v2/service.proto, revision_template.proto). */
export const RUN_SERVICE_DEFAULTS: readonly FieldDefault[] = [
  // service.proto, Service.ingress: "Optional. Provides the ingress settings for this Service."
  // The enum has no default of its own; https://cloud.google.com/run/docs/securing/ingress: "by
  // default, any resource on the internet is able to reach your Cloud Run service", and v1
  // responses show `run.googleapis.com/ingress: all` for a create that named none (docs/audit-log-shapes.md §4).
  { field: 'ingress', ...ingressAll },
  // revision_template.proto, RevisionTemplate.service_account: "If not provided, the revision will
  // use the project's default service account."
  { field: 'template.serviceAccount', ...computeSa },
];

/**
 * Fills in the defaults for the fields the request sets but leaves empty: every field on a create,
 * the fields the update mask names on an update. Returns the fields it filled in.
 */
export function applyDefaults(
  service: RunService,
  defaults: readonly FieldDefault[],
  change: { kind: 'create' | 'update'; updateMask: readonly string[]; projectNumber: string },
): string[] {
  const filled: string[] = [];
  for (const d of defaults) {
    const sets = change.kind === 'create' || maskNames(change.updateMask, d.field);
    if (!sets || !d.isEmpty(service)) continue;
    d.apply(service, change.projectNumber);
    filled.push(d.field);
  }
  return filled;
}

/** Cloud Run Admin API v2 `Job` (job.proto, task_template.proto). */
export const RUN_JOB_DEFAULTS: readonly FieldDefault[] = [
  // task_template.proto, TaskTemplate.service_account: "If not provided, the task will use the
  // project's default service account."
  { field: 'template.template.serviceAccount', ...computeSa },
];

/** Cloud Run Admin API v2 `WorkerPool` (worker_pool.proto, worker_pool_revision_template.proto). */
export const RUN_WORKER_POOL_DEFAULTS: readonly FieldDefault[] = [
  // worker_pool_revision_template.proto, WorkerPoolRevisionTemplate.service_account: "If not
  // provided, the revision will use the project's default service account."
  { field: 'template.serviceAccount', ...computeSa },
];

/** Cloud Functions v2 `Function` (google/cloud/functions/v2/functions.proto, ServiceConfig). */
export const FUNCTION_DEFAULTS: readonly FieldDefault[] = [
  // ServiceConfig.IngressSettings: "If unspecified, ALLOW_ALL will be used."
  { field: 'serviceConfig.ingressSettings', ...ingressAll },
  // ServiceConfig.service_account_email: "If empty, defaults to
  // `{project_number}-compute@developer.gserviceaccount.com`."
  { field: 'serviceConfig.serviceAccountEmail', ...computeSa },
];
