import { enc, matchName } from '../events/resource-types.js';
import type { Alert } from '../core/notify.js';

// Where a person goes next from an alert: the resource in the Cloud console, the audit log in
// Logs Explorer. Every part taken from the alert is percent-encoded, so a URL never holds a
// space, "|" or ">" that would end a Slack link early, nor a raw "&".

/** The `kind` of a row of RESOURCE_TYPE_TABLE ('run-service', 'bucket', …), or 'other'. */
export type ResourceKind = string;

export interface ResourceRef {
  kind: ResourceKind;
  /** The canonical full name, e.g. projects/P/locations/L/services/S. */
  name: string;
  /** What people call it: the service, function, bucket or project id, the service account e-mail, "folder 123". */
  short: string;
  /** The field title for it in the alert. */
  label: string;
  project: string;
  location: string;
  /** folders/N, organizations/N: the number; '' otherwise. */
  id: string;
  /**
   * The folder or organization whose logs hold the entry (folders/N, organizations/N): the resource itself or the node
   * it is set on; '' for project resources.
   */
  node: string;
  /** Where its access is managed in the console, from the same table; null when there is none to name. */
  console: string | null;
}

type Change = Pick<Alert['change'], 'resource' | 'project' | 'location'>;

// The Knative-style v1 name, in case a caller passes the log's resourceName through.
const KNATIVE = /^namespaces\/([^/]+)\/services\/([^/]+)$/;

/**
 * What kind of resource an alert is about, from its canonical name (RESOURCE_TYPE_TABLE); the change's own project and
 * location win.
 */
export function resourceRef(change: Change): ResourceRef {
  const knative = KNATIVE.exec(change.resource);
  const name = knative
    ? `projects/${knative[1]}/locations/${change.location || '-'}/services/${knative[2]}`
    : change.resource;
  const hit = matchName(name);
  if (!hit) {
    const project = change.project;
    return {
      kind: 'other',
      name: change.resource,
      short: change.resource.split('/').pop() || change.resource,
      label: 'Resource',
      project,
      location: change.location,
      id: '',
      node: '',
      console: project ? `${CONSOLE}/home/dashboard?project=${enc(project)}` : null,
    };
  }
  const { info, parts } = hit;
  const scope = info.kind === 'folder' || info.kind === 'organization';
  const project = change.project || (scope ? '' : info.kind === 'project' ? parts.id : parts.project);
  const location = change.location || (parts.location === '-' ? '' : parts.location);
  // A folder's or organization's own policy (an org policy set there) says where; a project's singleton
  // policy (Binary Authorization) has no id of its own and is called by its project.
  const node = /^(folder|organization)s\/(.+)$/.exec(parts.parent);
  const short = scope
    ? `${info.kind} ${parts.id}`
    : node
      ? `${parts.id} on ${node[1]} ${node[2]}`
      : parts.id || project;
  const consoleLink = info.console({ ...parts, project: info.kind === 'project' ? parts.id : project, location });
  return {
    kind: info.kind,
    name: change.resource,
    short,
    label: info.label,
    project,
    location,
    id: scope ? parts.id : '',
    node: scope ? `${info.kind}s/${parts.id}` : node ? parts.parent : '',
    console: consoleLink,
  };
}

export { enc };

const CONSOLE = 'https://console.cloud.google.com';

/**
 * The resource's page in the Cloud console, where its security or IAM settings are; null when there is none to name.
 */
export function consoleUrl(ref: ResourceRef): string | null {
  return ref.console;
}

/** A string literal in the Logging query language. */
function lit(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The audit entry itself, and every other audit entry about the same resource from an hour
 * before it on (who changed it next, runguard's own revert). The time is in the query because
 * Logs Explorer otherwise opens on the last hour, and alerts are read later than that.
 * Parenthesised throughout: in this language OR binds tighter than AND.
 */
export function logsQuery(
  change: Pick<Alert['change'], 'insertId' | 'timestamp' | 'resource' | 'project' | 'location'>,
): string {
  const ref = resourceRef(change);
  let about: string;
  if (ref.kind === 'run-service' && ref.project && ref.location) {
    // v2 names the service projects/P/locations/L/services/S, v1 namespaces/P/services/S.
    const names = [
      `projects/${ref.project}/locations/${ref.location}/services/${ref.short}`,
      `namespaces/${ref.project}/services/${ref.short}`,
    ];
    about = `protoPayload.resourceName=(${names.map(lit).join(' OR ')})`;
  } else if (ref.kind === 'service-account') {
    // Its log entries name it by numeric id; the e-mail is in the resource labels.
    about = `resource.labels.email_id=${lit(ref.short)}`;
  } else {
    about = `protoPayload.resourceName=${lit(ref.name)}`;
  }
  const what = change.insertId ? `(insertId=${lit(change.insertId)} OR ${about})` : `(${about})`;
  const t = Date.parse(change.timestamp);
  return Number.isNaN(t) ? what : `timestamp>=${lit(new Date(t - 3_600_000).toISOString())} AND ${what}`;
}

/** Logs Explorer with `query`, scoped to the project (or folder or organization) whose logs hold the entry. */
export function logsExplorerUrl(ref: Pick<ResourceRef, 'node' | 'project'>, query: string): string {
  const [collection, id = ''] = ref.node.split('/');
  const scope =
    collection === 'folders'
      ? `folder=${enc(id)}`
      : collection === 'organizations'
        ? `organizationId=${enc(id)}`
        : `project=${enc(ref.project)}`;
  return `${CONSOLE}/logs/query;query=${enc(query)}?${scope}`;
}

/** Opens `blocks` in Slack's Block Kit Builder, for previewing a rendered alert from a terminal. */
export function blockKitBuilderUrl(blocks: readonly unknown[]): string {
  return `https://app.slack.com/block-kit-builder#${encodeURIComponent(JSON.stringify({ blocks }))}`;
}
