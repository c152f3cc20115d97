import type { Alert } from '../core/notify.js';

// Where a person goes next from an alert: the resource in the Cloud console, the audit log in
// Logs Explorer. Every part taken from the alert is percent-encoded, so a URL never holds a
// space, "|" or ">" that would end a Slack link early, nor a raw "&".

export type ResourceKind =
  | 'run-service'
  | 'function'
  | 'service-account'
  | 'project'
  | 'folder'
  | 'organization'
  | 'other';

export interface ResourceRef {
  kind: ResourceKind;
  /** The canonical full name, e.g. projects/P/locations/L/services/S. */
  name: string;
  /** What people call it: the service, function or project id, the service account e-mail, "folder 123". */
  short: string;
  /** The field title for it in the alert. */
  label: string;
  project: string;
  location: string;
  /** folders/N, organizations/N: the number; '' otherwise. */
  id: string;
}

type Change = Pick<Alert['change'], 'resource' | 'project' | 'location'>;

const PATTERNS: ReadonlyArray<[ResourceKind, RegExp]> = [
  ['run-service', /^projects\/([^/]+)\/locations\/([^/]+)\/services\/([^/]+)$/],
  // The Knative-style v1 name, in case a caller passes the log's resourceName through.
  ['run-service', /^namespaces\/([^/]+)\/services\/([^/]+)$/],
  ['function', /^projects\/([^/]+)\/locations\/([^/]+)\/functions\/([^/]+)$/],
  ['service-account', /^projects\/([^/]+)\/serviceAccounts\/([^/]+)$/],
  ['project', /^projects\/([^/]+)$/],
  ['folder', /^folders\/([^/]+)$/],
  ['organization', /^organizations\/([^/]+)$/],
];

const LABEL: Record<ResourceKind, string> = {
  'run-service': 'Service',
  function: 'Function',
  'service-account': 'Service account',
  project: 'Project',
  folder: 'Folder',
  organization: 'Organization',
  other: 'Resource',
};

/** What kind of resource an alert is about, from its canonical name; the change's own project and location win. */
export function resourceRef(change: Change): ResourceRef {
  const name = change.resource;
  for (const [kind, re] of PATTERNS) {
    const m = re.exec(name);
    if (!m) continue;
    const parts = m.slice(1) as string[];
    const last = parts[parts.length - 1]!;
    const project = change.project || (kind === 'folder' || kind === 'organization' ? '' : parts[0]!);
    const location = change.location || (parts.length === 3 ? parts[1]! : '');
    const short = kind === 'folder' ? `folder ${last}` : kind === 'organization' ? `organization ${last}` : last;
    const id = kind === 'folder' || kind === 'organization' ? last : '';
    return { kind, name, short, label: LABEL[kind], project, location, id };
  }
  return {
    kind: 'other',
    name,
    short: name.split('/').pop() || name,
    label: LABEL.other,
    project: change.project,
    location: change.location,
    id: '',
  };
}

/** encodeURIComponent, plus the characters it leaves alone that Google's console treats as syntax. */
export function enc(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const CONSOLE = 'https://console.cloud.google.com';

/** The resource's page in the Cloud console, where its security or IAM settings are; null when there is none to name. */
export function consoleUrl(ref: ResourceRef): string | null {
  const p = enc(ref.project);
  switch (ref.kind) {
    case 'run-service':
      return ref.location && ref.project
        ? `${CONSOLE}/run/detail/${enc(ref.location)}/${enc(ref.short)}/security?project=${p}`
        : null;
    case 'function':
      return ref.location && ref.project
        ? `${CONSOLE}/functions/details/${enc(ref.location)}/${enc(ref.short)}?project=${p}`
        : null;
    case 'service-account':
      // The details page is keyed by the numeric id, which the alert does not carry.
      return ref.project && ref.project !== '-' ? `${CONSOLE}/iam-admin/serviceaccounts?project=${p}` : null;
    case 'project':
      return ref.project ? `${CONSOLE}/iam-admin/iam?project=${p}` : null;
    case 'folder':
      return `${CONSOLE}/iam-admin/iam?folder=${enc(ref.id)}`;
    case 'organization':
      return `${CONSOLE}/iam-admin/iam?organizationId=${enc(ref.id)}`;
    case 'other':
      return ref.project ? `${CONSOLE}/home/dashboard?project=${p}` : null;
  }
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
export function logsExplorerUrl(ref: Pick<ResourceRef, 'kind' | 'project' | 'id'>, query: string): string {
  const scope =
    ref.kind === 'folder'
      ? `folder=${enc(ref.id)}`
      : ref.kind === 'organization'
        ? `organizationId=${enc(ref.id)}`
        : `project=${enc(ref.project)}`;
  return `${CONSOLE}/logs/query;query=${enc(query)}?${scope}`;
}

/** Opens `blocks` in Slack's Block Kit Builder, for previewing a rendered alert from a terminal. */
export function blockKitBuilderUrl(blocks: readonly unknown[]): string {
  return `https://app.slack.com/block-kit-builder#${encodeURIComponent(JSON.stringify({ blocks }))}`;
}
