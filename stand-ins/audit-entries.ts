import type { LogEntry } from '../functions/core/types.js';
import { SET_IAM_POLICY_TEMPLATE, UPDATE_SERVICE_TEMPLATE } from './audit-entry-templates.js';

// Audit entries for the live-path tests, made from the constructed fixtures (which follow the real
// samples' shape) by pointing them at a service the Cloud Run stand-in holds.

const UPDATE = UPDATE_SERVICE_TEMPLATE;
const SET_IAM = SET_IAM_POLICY_TEMPLATE;

type Pp = Record<string, any>;

function pointAt(template: LogEntry, name: string, insertId: string, actor: string): LogEntry {
  const [, project, location, service] = /^projects\/([^/]+)\/locations\/([^/]+)\/services\/([^/]+)$/.exec(name)!;
  const entry = structuredClone(template);
  const pp = entry.protoPayload as Pp;
  entry.insertId = insertId;
  entry.logName = `projects/${project}/logs/cloudaudit.googleapis.com%2Factivity`;
  entry.resource = {
    type: 'cloud_run_revision',
    labels: {
      configuration_name: '',
      location: location!,
      project_id: project!,
      revision_name: '',
      service_name: service!,
    },
  };
  pp.resourceName = name;
  pp.resourceLocation = { currentLocations: [location] };
  pp.authenticationInfo = { principalEmail: actor, principalSubject: `user:${actor}` };
  for (const a of pp.authorizationInfo ?? []) a.resource = name;
  return entry;
}

/** A v2 UpdateService entry (operation first) that set the given fields. */
export function updateServiceEntry(opts: {
  name: string;
  insertId: string;
  actor?: string;
  service: Record<string, unknown>;
  updateMask?: string[];
  userAgent?: string;
}): LogEntry {
  const entry = pointAt(UPDATE, opts.name, opts.insertId, opts.actor ?? 'dev@example.com');
  const pp = entry.protoPayload as Pp;
  pp.request.service = { name: opts.name, ...opts.service };
  pp.request.updateMask = { paths: opts.updateMask ?? Object.keys(opts.service) };
  const op = `projects/${opts.name.split('/')[1]}/locations/${opts.name.split('/')[3]}/operations/op-${opts.insertId}`;
  pp.response = { '@type': 'type.googleapis.com/google.longrunning.Operation', name: op };
  entry.operation = { id: op, producer: 'run.googleapis.com', first: true };
  if (opts.userAgent) pp.requestMetadata.callerSuppliedUserAgent = opts.userAgent;
  return entry;
}

/** A v2 SetIamPolicy entry whose new policy has these bindings. */
export function setIamPolicyEntry(opts: {
  name: string;
  insertId: string;
  actor?: string;
  bindings: Array<{ role: string; members: string[] }>;
}): LogEntry {
  const entry = pointAt(SET_IAM, opts.name, opts.insertId, opts.actor ?? 'dev@example.com');
  const pp = entry.protoPayload as Pp;
  pp.request.resource = opts.name;
  pp.request.policy = { bindings: opts.bindings, etag: 'BwYQ3kX1p9E=' };
  pp.response = {
    '@type': 'type.googleapis.com/google.iam.v1.Policy',
    version: 1,
    bindings: opts.bindings,
    etag: 'BwYQ3lA7c2M=',
  };
  return entry;
}

/** What a 2nd-gen function receives for a Pub/Sub message carrying `entry`. */
export function cloudEventFor(entry: LogEntry | string, messageId: string) {
  const data = Buffer.from(typeof entry === 'string' ? entry : JSON.stringify(entry)).toString('base64');
  return {
    id: messageId,
    specversion: '1.0',
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    source: '//pubsub.googleapis.com/projects/ops/topics/runguard-audit',
    data: {
      subscription: 'projects/ops/subscriptions/runguard',
      message: { data, messageId, publishTime: new Date(0).toISOString(), attributes: {} },
    },
  };
}
