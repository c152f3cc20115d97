import type { ResourceType } from '../core/types.js';

// Every resource type runguard names, in one table: how its canonical name reads (the name its
// audit entries carry, without the //service.googleapis.com/ prefix some add), what an alert calls
// it, and where its access is managed in the console. methods.ts resolves audit entries through it,
// slack/links.ts renders alerts through it, and the rule examples start from its sample names.

export interface NameParts {
  /** The project id (or number, for names that carry one), '' when the name has none. */
  project: string;
  location: string;
  /** The enclosing collection element: the key ring of a key, the dataset of a table; '' otherwise. */
  parent: string;
  /** The last segment: the service, bucket, topic, key … */
  id: string;
}

export interface ResourceTypeInfo {
  type: ResourceType;
  /** Stable key for the Slack renderer. */
  kind: string;
  /** The alert's field title for it. */
  label: string;
  /** The canonical full name, with named groups project, location, parent and id. */
  name: RegExp;
  /** A realistic canonical name, for rule examples. */
  example: string;
  /** The console page where its access is managed; null when the name does not say enough. */
  console: (p: NameParts) => string | null;
}

const CONSOLE = 'https://console.cloud.google.com';
/** encodeURIComponent, plus the characters it leaves alone that Google's console treats as syntax. */
export function enc(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
const inProject = (path: (p: NameParts) => string) => (p: NameParts) =>
  p.project && p.id ? `${CONSOLE}/${path(p)}${path(p).includes('?') ? '&' : '?'}project=${enc(p.project)}` : null;
const regional = (path: (p: NameParts) => string) => (p: NameParts) => (p.location ? inProject(path)(p) : null);

const P = '(?<project>[^/]+)';
const L = '(?<location>[^/]+)';
const ID = '(?<id>[^/]+)';
const re = (s: string) => new RegExp(`^${s}$`);
const EX = 'example-project';
const EXL = `projects/${EX}/locations/europe-west1`;

export const RESOURCE_TYPE_TABLE: readonly ResourceTypeInfo[] = [
  {
    type: 'run.googleapis.com/Service',
    kind: 'run-service',
    label: 'Service',
    name: re(`projects/${P}/locations/${L}/services/${ID}`),
    example: `${EXL}/services/example`,
    console: regional((p) => `run/detail/${enc(p.location)}/${enc(p.id)}/security`),
  },
  {
    type: 'run.googleapis.com/Job',
    kind: 'run-job',
    label: 'Job',
    name: re(`projects/${P}/locations/${L}/jobs/${ID}`),
    example: `${EXL}/jobs/example`,
    console: regional((p) => `run/jobs/details/${enc(p.location)}/${enc(p.id)}`),
  },
  {
    type: 'run.googleapis.com/WorkerPool',
    kind: 'run-worker-pool',
    label: 'Worker pool',
    name: re(`projects/${P}/locations/${L}/workerPools/${ID}`),
    example: `${EXL}/workerPools/example`,
    console: regional((p) => `run/worker-pools/details/${enc(p.location)}/${enc(p.id)}`),
  },
  {
    type: 'cloudfunctions.googleapis.com/Function',
    kind: 'function',
    label: 'Function',
    name: re(`projects/${P}/locations/${L}/functions/${ID}`),
    example: `${EXL}/functions/example`,
    console: regional((p) => `functions/details/${enc(p.location)}/${enc(p.id)}`),
  },
  {
    type: 'iam.googleapis.com/ServiceAccount',
    kind: 'service-account',
    label: 'Service account',
    name: re(`projects/${P}/serviceAccounts/${ID}`),
    example: `projects/${EX}/serviceAccounts/example@${EX}.iam.gserviceaccount.com`,
    // The details page is keyed by the numeric id, which the alert does not carry.
    console: (p) =>
      p.project && p.project !== '-' ? `${CONSOLE}/iam-admin/serviceaccounts?project=${enc(p.project)}` : null,
  },
  {
    type: 'cloudresourcemanager.googleapis.com/Project',
    kind: 'project',
    label: 'Project',
    name: re(`projects/${ID}`),
    example: `projects/${EX}`,
    console: (p) => (p.id ? `${CONSOLE}/iam-admin/iam?project=${enc(p.id)}` : null),
  },
  {
    type: 'cloudresourcemanager.googleapis.com/Folder',
    kind: 'folder',
    label: 'Folder',
    name: re(`folders/${ID}`),
    example: 'folders/123456789012',
    console: (p) => `${CONSOLE}/iam-admin/iam?folder=${enc(p.id)}`,
  },
  {
    type: 'cloudresourcemanager.googleapis.com/Organization',
    kind: 'organization',
    label: 'Organization',
    name: re(`organizations/${ID}`),
    example: 'organizations/123456789012',
    console: (p) => `${CONSOLE}/iam-admin/iam?organizationId=${enc(p.id)}`,
  },
  {
    type: 'storage.googleapis.com/Bucket',
    kind: 'bucket',
    label: 'Bucket',
    // Cloud Storage names buckets in the global namespace: projects/_/buckets/B.
    name: re(`projects/_/buckets/${ID}`),
    example: 'projects/_/buckets/example-bucket',
    console: (p) =>
      `${CONSOLE}/storage/browser/${enc(p.id)};tab=permissions${p.project ? `?project=${enc(p.project)}` : ''}`,
  },
  {
    type: 'pubsub.googleapis.com/Topic',
    kind: 'topic',
    label: 'Topic',
    name: re(`projects/${P}/topics/${ID}`),
    example: `projects/${EX}/topics/example`,
    console: inProject((p) => `cloudpubsub/topic/detail/${enc(p.id)}`),
  },
  {
    type: 'pubsub.googleapis.com/Subscription',
    kind: 'subscription',
    label: 'Subscription',
    name: re(`projects/${P}/subscriptions/${ID}`),
    example: `projects/${EX}/subscriptions/example`,
    console: inProject((p) => `cloudpubsub/subscription/detail/${enc(p.id)}`),
  },
  {
    type: 'secretmanager.googleapis.com/Secret',
    kind: 'secret',
    label: 'Secret',
    name: re(`projects/${P}/secrets/${ID}`),
    example: `projects/${EX}/secrets/example`,
    console: inProject((p) => `security/secret-manager/secret/${enc(p.id)}/permissions`),
  },
  {
    type: 'cloudkms.googleapis.com/KeyRing',
    kind: 'key-ring',
    label: 'Key ring',
    name: re(`projects/${P}/locations/${L}/keyRings/${ID}`),
    example: `${EXL}/keyRings/example`,
    console: regional((p) => `security/kms/keyring/manage/${enc(p.location)}/${enc(p.id)}/key`),
  },
  {
    type: 'cloudkms.googleapis.com/CryptoKey',
    kind: 'crypto-key',
    label: 'Key',
    name: re(`projects/${P}/locations/${L}/keyRings/(?<parent>[^/]+)/cryptoKeys/${ID}`),
    example: `${EXL}/keyRings/example/cryptoKeys/example`,
    console: regional((p) => `security/kms/key/manage/${enc(p.location)}/${enc(p.parent)}/${enc(p.id)}`),
  },
  {
    type: 'bigquery.googleapis.com/Dataset',
    kind: 'dataset',
    label: 'Dataset',
    name: re(`projects/${P}/datasets/${ID}`),
    example: `projects/${EX}/datasets/example`,
    console: inProject((p) => `bigquery?p=${enc(p.project)}&d=${enc(p.id)}&page=dataset`),
  },
  {
    type: 'bigquery.googleapis.com/Table',
    kind: 'table',
    label: 'Table',
    name: re(`projects/${P}/datasets/(?<parent>[^/]+)/tables/${ID}`),
    example: `projects/${EX}/datasets/example/tables/example`,
    console: inProject((p) => `bigquery?p=${enc(p.project)}&d=${enc(p.parent)}&t=${enc(p.id)}&page=table`),
  },
  {
    type: 'artifactregistry.googleapis.com/Repository',
    kind: 'repository',
    label: 'Repository',
    name: re(`projects/${P}/locations/${L}/repositories/${ID}`),
    example: `${EXL}/repositories/example`,
    console: regional((p) => `artifacts/browse/${enc(p.project)}/${enc(p.location)}/${enc(p.id)}`),
  },
  {
    type: 'orgpolicy.googleapis.com/Policy',
    kind: 'org-policy',
    label: 'Org policy',
    // The id is the constraint without "constraints/" (orgpolicy.proto, Policy.name); a project's
    // policy is named by its project, a folder's or organization's by that node (`parent`).
    name: re(`(?:projects/${P}|(?<parent>(?:folders|organizations)/[^/]+))/policies/${ID}`),
    example: `projects/${EX}/policies/run.allowedIngress`,
    console: (p) => {
      const [collection, node] = p.parent.split('/');
      const where = p.project
        ? `project=${enc(p.project)}`
        : collection === 'folders'
          ? `folder=${enc(node ?? '')}`
          : collection === 'organizations'
            ? `organizationId=${enc(node ?? '')}`
            : '';
      return where ? `${CONSOLE}/iam-admin/orgpolicies?${where}` : null;
    },
  },
  {
    type: 'binaryauthorization.googleapis.com/Policy',
    kind: 'binauthz-policy',
    label: 'Binary Authorization policy',
    // One per project (resources.proto, Policy: "projects/{project}/policy").
    name: re(`projects/${P}/policy`),
    example: `projects/${EX}/policy`,
    console: (p) => (p.project ? `${CONSOLE}/security/binary-authorization/policy?project=${enc(p.project)}` : null),
  },
];

const BY_TYPE = new Map(RESOURCE_TYPE_TABLE.map((t) => [t.type, t]));

export function resourceTypeInfo(type: ResourceType): ResourceTypeInfo {
  const info = BY_TYPE.get(type);
  if (!info) throw new Error(`resource type ${type} is missing from RESOURCE_TYPE_TABLE`);
  return info;
}

/** Some APIs prefix the name with their service: //pubsub.googleapis.com/projects/p/topics/t. */
export const stripServicePrefix = (name: string): string => name.replace(/^\/\/[a-z0-9.-]+\.googleapis\.com\//, '');

/** The first of `types` whose canonical name `name` is, with its parts. */
export function matchName(
  name: string,
  types: readonly ResourceTypeInfo[] = RESOURCE_TYPE_TABLE,
): { info: ResourceTypeInfo; parts: NameParts } | undefined {
  const bare = stripServicePrefix(name);
  for (const info of types) {
    const g = info.name.exec(bare)?.groups;
    if (!g) continue;
    return {
      info,
      parts: { project: g.project ?? '', location: g.location ?? '', parent: g.parent ?? '', id: g.id ?? '' },
    };
  }
  return undefined;
}
