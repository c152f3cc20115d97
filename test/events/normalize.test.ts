import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ChangeEvent, LogEntry, Normalized, Skip } from '../../functions/core/types.js';
import { HANDLED_METHODS, lookupMethod } from '../../functions/events/methods.js';
import { normalize } from '../../functions/events/normalize.js';
import type { NormalizeError } from '../../functions/events/normalize.js';

const REAL = new URL('../fixtures/auditlogs/real/', import.meta.url);
const CONSTRUCTED = new URL('../fixtures/auditlogs/', import.meta.url);
const jsonFiles = (dir: URL) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
const ALL = [
  ...jsonFiles(REAL).map((f) => new URL(f, REAL)),
  ...jsonFiles(CONSTRUCTED).map((f) => new URL(f, CONSTRUCTED)),
];
const load = (name: string): LogEntry => {
  const url = ALL.find((u) => u.pathname.endsWith(`/${name}`));
  if (!url) throw new Error(`no fixture ${name}`);
  return JSON.parse(readFileSync(url, 'utf8')) as LogEntry;
};
const OPTS = { selfPrincipals: ['runguard@ops-project.iam.gserviceaccount.com'] };
const run = (entry: unknown, opts = OPTS) => normalize(entry as LogEntry, opts);
const asEvent = (r: Normalized | NormalizeError): ChangeEvent => {
  if ('error' in r || 'skipped' in r) throw new Error(`expected a change, got ${JSON.stringify(r)}`);
  return r;
};
const asSkip = (r: Normalized | NormalizeError): Skip => {
  if (!('skipped' in r)) throw new Error(`expected a skip, got ${JSON.stringify(r).slice(0, 200)}`);
  return r;
};
const pp = (e: LogEntry) => e.protoPayload as Record<string, any>;

// What each fixture must become, read off the fixture by hand.
const CHANGES: Record<string, Partial<ChangeEvent> & { name: string; tool: string }> = {
  'run-v1-replaceservice-console-ingress-all.json': {
    kind: 'update',
    name: 'projects/test-project-1234/locations/asia-northeast1/services/cloud-run-slack-bot',
    tool: 'console',
    serviceSource: 'response',
    deltaSource: 'none',
  },
  'crm-project-setiampolicy-console-add-securityreviewer-2019.json': {
    kind: 'setIamPolicy',
    name: 'projects/peak-empire-243713',
    tool: 'console',
    serviceSource: 'none',
    deltaSource: 'policyDelta',
  },
  'gcf-v1-setiampolicy-allusers-invoker.json': {
    kind: 'setIamPolicy',
    name: 'projects/example-project/locations/us-central1/functions/example_function',
    tool: 'other',
    serviceSource: 'none',
    deltaSource: 'policy',
  },
  'run-v2-createservice--lro-first-ingress-all-env-secrets--constructed.json': {
    kind: 'create',
    name: 'projects/test-project-1234/locations/us-central1/services/payments-api',
    tool: 'terraform',
    serviceSource: 'request',
    deltaSource: 'none',
  },
  'run-v2-updateservice--mask-ingress-internal-only--constructed.json': {
    kind: 'update',
    name: 'projects/test-project-1234/locations/us-central1/services/orders-api',
    tool: 'client-library',
    serviceSource: 'request',
    deltaSource: 'none',
  },
  'run-v2-updateservice--invoker-iam-disabled--constructed.json': {
    kind: 'update',
    name: 'projects/test-project-1234/locations/europe-west1/services/webhook-receiver',
    tool: 'client-library',
    serviceSource: 'request',
    deltaSource: 'none',
  },
  'run-v2-updateservice--impersonated-delegation-chain--constructed.json': {
    kind: 'update',
    name: 'projects/test-project-1234/locations/us-central1/services/checkout',
    tool: 'gcloud',
    serviceSource: 'request',
    deltaSource: 'none',
  },
  'run-v2-updateservice--user-impersonates-runguard--constructed.json': {
    kind: 'update',
    name: 'projects/test-project-1234/locations/us-central1/services/orders-api',
    tool: 'gcloud',
    serviceSource: 'request',
    deltaSource: 'none',
  },
  'run-v2-createservice--no-service-account-no-ingress--constructed.json': {
    kind: 'create',
    name: 'projects/test-project-1234/locations/us-central1/services/reports-web',
    tool: 'terraform',
    serviceSource: 'request',
    deltaSource: 'none',
  },
  'run-v2-updateservice--mask-clears-service-account--constructed.json': {
    kind: 'update',
    name: 'projects/test-project-1234/locations/us-central1/services/ledger-api',
    tool: 'client-library',
    serviceSource: 'request',
    deltaSource: 'none',
  },
  'run-v2-setiampolicy--allauthenticatedusers-invoker--constructed.json': {
    kind: 'setIamPolicy',
    name: 'projects/test-project-1234/locations/us-central1/services/internal-dashboard',
    tool: 'console',
    serviceSource: 'none',
    deltaSource: 'policy',
  },
  'run-v1-createservice--gcloud-invoker-iam-disabled--constructed.json': {
    kind: 'create',
    name: 'projects/test-project-1234/locations/us-central1/services/hello-public',
    tool: 'gcloud',
    serviceSource: 'response',
    deltaSource: 'none',
  },
  'run-v1-setiampolicy--allusers-invoker--constructed.json': {
    kind: 'setIamPolicy',
    name: 'projects/test-project-1234/locations/us-central1/services/promo-site',
    tool: 'gcloud',
    serviceSource: 'none',
    deltaSource: 'policy',
  },
  'crm-v2-setiampolicy--folder-add-owner-gmail--constructed.json': {
    kind: 'setIamPolicy',
    name: 'folders/418203746512',
    tool: 'console',
    serviceSource: 'none',
    deltaSource: 'policyDelta',
  },
  'crm-v1-setiampolicy--organization-allauthenticatedusers-viewer--constructed.json': {
    kind: 'setIamPolicy',
    name: 'organizations/658743219054',
    tool: 'gcloud',
    serviceSource: 'none',
    deltaSource: 'policyDelta',
  },
  'crm-v1-setiampolicy--project-terraform-tokencreator-outside--constructed.json': {
    kind: 'setIamPolicy',
    name: 'projects/test-project-1234',
    tool: 'terraform',
    serviceSource: 'none',
    deltaSource: 'policyDelta',
  },
  'iam-v1-setiampolicy--serviceaccount-user-snake-case--constructed.json': {
    kind: 'setIamPolicy',
    name: 'projects/test-project-1234/serviceAccounts/deployer@test-project-1234.iam.gserviceaccount.com',
    tool: 'gcloud',
    serviceSource: 'none',
    deltaSource: 'policyDelta',
  },
  'gcf-v2-setiampolicy--allusers-invoker--constructed.json': {
    kind: 'setIamPolicy',
    name: 'projects/test-project-1234/locations/europe-west1/functions/thumbnailer',
    tool: 'gcloud',
    serviceSource: 'none',
    deltaSource: 'policy',
  },
  'storage-v1-setiampermissions--bucket-allusers-objectviewer--constructed.json': {
    kind: 'setIamPolicy',
    name: 'projects/_/buckets/test-project-1234-exports',
    tool: 'gcloud',
    serviceSource: 'none',
    deltaSource: 'policyDelta',
  },
  'pubsub-v1-setiampolicy--topic-allauthenticatedusers-publisher--constructed.json': {
    kind: 'setIamPolicy',
    name: 'projects/test-project-1234/topics/order-events',
    tool: 'console',
    serviceSource: 'none',
    deltaSource: 'policyDelta',
  },
  'secretmanager-v1-setiampolicy--secret-gmail-accessor--constructed.json': {
    kind: 'setIamPolicy',
    name: 'projects/123456789012/secrets/stripe-api-key',
    tool: 'gcloud',
    serviceSource: 'none',
    deltaSource: 'policyDelta',
  },
  'cloudkms-v1-setiampolicy--cryptokey-allusers-decrypter--constructed.json': {
    kind: 'setIamPolicy',
    name: 'projects/test-project-1234/locations/europe-west1/keyRings/app-keys/cryptoKeys/backups',
    tool: 'terraform',
    serviceSource: 'none',
    deltaSource: 'policyDelta',
  },
  'bigquery-v2-setiampolicy--dataset-allauthenticatedusers-viewer--constructed.json': {
    kind: 'setIamPolicy',
    name: 'projects/test-project-1234/datasets/analytics',
    tool: 'console',
    serviceSource: 'none',
    deltaSource: 'policy',
  },
  'artifactregistry-v1-setiampolicy--repository-allusers-reader--constructed.json': {
    kind: 'setIamPolicy',
    name: 'projects/test-project-1234/locations/us-central1/repositories/apps',
    tool: 'gcloud',
    serviceSource: 'none',
    deltaSource: 'policyDelta',
  },
  'run-v2-jobs-setiampolicy--job-allusers-invoker--constructed.json': {
    kind: 'setIamPolicy',
    name: 'projects/test-project-1234/locations/us-central1/jobs/nightly-export',
    tool: 'gcloud',
    serviceSource: 'none',
    deltaSource: 'policy',
  },
  'gcf-v2-createfunction--firebase-snake-case-allow-all-env-secret--constructed.json': {
    kind: 'create',
    name: 'projects/test-project-1234/locations/us-central1/functions/api',
    tool: 'other',
    serviceSource: 'request',
    deltaSource: 'none',
  },
  'gcf-v2-updatefunction--mask-internal-only-dedicated-sa--constructed.json': {
    kind: 'update',
    name: 'projects/test-project-1234/locations/europe-west1/functions/thumbnailer',
    tool: 'terraform',
    serviceSource: 'request',
    deltaSource: 'none',
  },
  'run-v2-jobs-createjob--default-sa-env-secret-breakglass--constructed.json': {
    kind: 'create',
    name: 'projects/test-project-1234/locations/us-central1/jobs/nightly-export',
    tool: 'client-library',
    serviceSource: 'request',
    deltaSource: 'none',
  },
  'run-v2-workerpools-updateworkerpool--mask-clears-service-account--constructed.json': {
    kind: 'update',
    name: 'projects/test-project-1234/locations/europe-west1/workerPools/queue-consumer',
    tool: 'terraform',
    serviceSource: 'request',
    deltaSource: 'none',
  },
  // The guardrails: organization policies (v2 and v1) and Binary Authorization policies.
  'orgpolicy-v2-updatepolicy--project-ingress-allows-all--constructed.json': {
    kind: 'update',
    name: 'projects/test-project-1234/policies/run.allowedIngress',
    tool: 'gcloud',
    serviceSource: 'none',
    deltaSource: 'none',
  },
  'orgpolicy-v2-createpolicy--folder-key-creation-not-enforced--constructed.json': {
    kind: 'create',
    name: 'folders/418203746512/policies/iam.disableServiceAccountKeyCreation',
    tool: 'terraform',
    serviceSource: 'none',
    deltaSource: 'none',
  },
  'orgpolicy-v2-deletepolicy--organization-member-domains--constructed.json': {
    kind: 'delete',
    name: 'organizations/658743219054/policies/iam.allowedPolicyMemberDomains',
    tool: 'console',
    serviceSource: 'none',
    deltaSource: 'none',
  },
  'orgpolicy-v2-updatepolicy--dry-run-spec-only-snake-case--constructed.json': {
    kind: 'update',
    name: 'projects/test-project-1234/policies/iam.disableServiceAccountKeyCreation',
    tool: 'client-library',
    serviceSource: 'none',
    deltaSource: 'none',
  },
  'orgpolicy-v2-updatepolicy--binauthz-policies-reset--constructed.json': {
    kind: 'update',
    name: 'projects/test-project-1234/policies/run.allowedBinaryAuthorizationPolicies',
    tool: 'console',
    serviceSource: 'none',
    deltaSource: 'none',
  },
  'crm-v1-setorgpolicy--organization-member-domains-allow-all--constructed.json': {
    kind: 'update',
    name: 'organizations/658743219054/policies/iam.allowedPolicyMemberDomains',
    tool: 'gcloud',
    serviceSource: 'none',
    deltaSource: 'none',
  },
  'crm-v1-setorgpolicy--project-key-creation-boolean-empty--constructed.json': {
    kind: 'update',
    name: 'projects/test-project-1234/policies/iam.disableServiceAccountKeyCreation',
    tool: 'terraform',
    serviceSource: 'none',
    deltaSource: 'none',
  },
  'crm-v1-clearorgpolicy--project-ingress--constructed.json': {
    kind: 'delete',
    name: 'projects/test-project-1234/policies/run.allowedIngress',
    tool: 'gcloud',
    serviceSource: 'none',
    deltaSource: 'none',
  },
  'binaryauthorization-v1-updatepolicy--always-allow--constructed.json': {
    kind: 'update',
    name: 'projects/test-project-1234/policy',
    tool: 'gcloud',
    serviceSource: 'none',
    deltaSource: 'none',
  },
  'binaryauthorization-v1beta1-updatepolicy--dryrun-snake-case-enum-numbers--constructed.json': {
    kind: 'update',
    name: 'projects/test-project-1234/policy',
    tool: 'client-library',
    serviceSource: 'none',
    deltaSource: 'none',
  },
  'binaryauthorization-v1-updatepolicy--require-attestation-enforced--constructed.json': {
    kind: 'update',
    name: 'projects/test-project-1234/policy',
    tool: 'console',
    serviceSource: 'none',
    deltaSource: 'none',
  },
};
const SKIPS: Record<string, Skip['code']> = {
  'gcf-v2-createfunction--operation-last--constructed.json': 'operation-last',
  'run-v1-replaceservice-conflict-error.json': 'failed-call',
  'run-v2-createservice--operation-last--constructed.json': 'operation-last',
  'run-v2-deleteservice--terraform--constructed.json': 'deleted',
  'run-v1-deleteservice--console--constructed.json': 'deleted',
  'run-v2-updateservice--failed-permission-denied--constructed.json': 'failed-call',
  'run-v2-updateservice--self-runguard-revert--constructed.json': 'self',
  'run-v2-updateservice--runguard-through-remediator--constructed.json': 'self',
  'run-v2-getservice--unhandled-data-access--constructed.json': 'unhandled-method',
  'run-internal-replaceinternalservice--gcf-admin-robot--constructed.json': 'unhandled-method',
};

describe('normalize over every fixture', () => {
  it('has an expectation for every real and constructed fixture, and the real ones are all there', () => {
    const names = ALL.map((u) => u.pathname.split('/').pop()!);
    expect(names.filter((n) => !(n in CHANGES) && !(n in SKIPS))).toEqual([]);
    expect(jsonFiles(REAL)).toHaveLength(4);
  });

  it.each(Object.entries(CHANGES))(
    'turns %s into a change with the canonical name and the right sources',
    (file, want) => {
      const entry = load(file);
      const e = asEvent(run(entry));
      const { name, tool, ...rest } = want;
      expect(e).toMatchObject(rest);
      expect(e.resource.name).toBe(name);
      expect(e.actor.tool).toBe(tool);
      expect(e.insertId).toBe(entry.insertId);
      expect(e.timestamp).toBe(entry.timestamp);
      expect(e.logName).toBe(entry.logName);
      if (e.service) expect(e.service.name).toBe(name);
      expect(e.policy === null).toBe(e.kind !== 'setIamPolicy');
    },
  );

  it.each(Object.entries(SKIPS))('skips %s with code %s and a reason', (file, code) => {
    const s = asSkip(run(load(file)));
    expect(s.code).toBe(code);
    expect(s.reason.length).toBeGreaterThan(10);
  });

  it.each(ALL.map((u) => [u.pathname.split('/').pop()!, u]))('never lets a literal env value out of %s', (_, url) => {
    const out = JSON.stringify(run(JSON.parse(readFileSync(url, 'utf8'))));
    expect(out).not.toContain('not-a-real-password');
    expect(out).not.toContain('not-a-real-session-secret');
  });
});

describe('the real entries', () => {
  it('reads the console ReplaceService state from the response: ingress all, generation 23, the run.app URL', () => {
    const e = asEvent(run(load('run-v1-replaceservice-console-ingress-all.json')));
    expect(e.resource).toEqual({
      type: 'run.googleapis.com/Service',
      name: 'projects/test-project-1234/locations/asia-northeast1/services/cloud-run-slack-bot',
      project: 'test-project-1234',
      location: 'asia-northeast1',
    });
    expect(e.service!.ingress).toBe('INGRESS_TRAFFIC_ALL');
    expect(e.service!.generation).toBe('23'); // the request says 22: this proves the response won
    expect(e.service!.uri).toBe('https://cloud-run-slack-bot-cznco5ogzq-an.a.run.app');
    expect(e.service!.template.serviceAccount).toBe('cloud-run-slack-bot@test-project-1234.iam.gserviceaccount.com');
    expect(e.service!.template.containers).toEqual([]);
    expect(e.actor).toMatchObject({
      email: 'masatonaka1989@gmail.com',
      ip: '2400:4050:8e02:1600:4972:ac1a:6f34:a2b2',
      tool: 'console',
      toolDetail: '',
    });
    expect(e.operation).toBeNull();
    expect(e.updateMask).toEqual([]);
  });

  it('skips the ABORTED ReplaceService as a failed call, quoting code and message', () => {
    const s = asSkip(run(load('run-v1-replaceservice-conflict-error.json')));
    expect(s.code).toBe('failed-call');
    expect(s.reason).toContain('10 ABORTED');
    expect(s.reason).toContain("Conflict for resource 'cloud-run-slack-bot'");
  });

  it('takes the 2019 CRM change from policyDelta: one ADD of roles/iam.securityReviewer', () => {
    const e = asEvent(run(load('crm-project-setiampolicy-console-add-securityreviewer-2019.json')));
    expect(e.deltaSource).toBe('policyDelta');
    expect(e.deltas).toEqual([
      {
        action: 'ADD',
        role: 'roles/iam.securityReviewer',
        member: 'serviceAccount:logcollector@peak-empire-243713.iam.gserviceaccount.com',
        memberType: 'serviceAccount',
        memberDomain: 'peak-empire-243713.iam.gserviceaccount.com',
      },
    ]);
    expect(e.policy!.etag).toBe('BwWLbsx/jl4='); // the response etag, not the request's BwWLXEtneGc=
    expect(e.policy!.bindings).toHaveLength(7);
    expect(e.resource).toEqual({
      type: 'cloudresourcemanager.googleapis.com/Project',
      name: 'projects/peak-empire-243713',
      project: 'peak-empire-243713',
      location: '',
    });
    expect(e.timestamp).toBe('2019-06-16T11:01:16.571Z');
  });

  it('takes the Cloud Function grant from the policy, since the entry has no policyDelta', () => {
    const e = asEvent(run(load('gcf-v1-setiampolicy-allusers-invoker.json')));
    expect(e.deltaSource).toBe('policy');
    expect(e.deltas).toEqual([
      {
        action: 'ADD',
        role: 'roles/cloudfunctions.invoker',
        member: 'allUsers',
        memberType: 'allUsers',
        memberDomain: '',
      },
    ]);
    expect(e.policy!.etag).toBe('BwWP6bTHbeg=');
    expect(e.resource).toMatchObject({
      type: 'cloudfunctions.googleapis.com/Function',
      project: 'example-project',
      location: 'us-central1',
    });
    expect(e.actor).toMatchObject({ userAgent: 'curl', tool: 'other', ip: '0.0.0.0' });
  });
});

describe('IAM policies of every resource whose entry carries one', () => {
  it.each([
    [
      'storage-v1-setiampermissions--bucket-allusers-objectviewer--constructed.json',
      'storage.googleapis.com/Bucket',
      'europe-west1',
    ],
    [
      'pubsub-v1-setiampolicy--topic-allauthenticatedusers-publisher--constructed.json',
      'pubsub.googleapis.com/Topic',
      '',
    ],
    [
      'secretmanager-v1-setiampolicy--secret-gmail-accessor--constructed.json',
      'secretmanager.googleapis.com/Secret',
      '',
    ],
    [
      'cloudkms-v1-setiampolicy--cryptokey-allusers-decrypter--constructed.json',
      'cloudkms.googleapis.com/CryptoKey',
      'europe-west1',
    ],
    [
      'bigquery-v2-setiampolicy--dataset-allauthenticatedusers-viewer--constructed.json',
      'bigquery.googleapis.com/Dataset',
      '',
    ],
    [
      'artifactregistry-v1-setiampolicy--repository-allusers-reader--constructed.json',
      'artifactregistry.googleapis.com/Repository',
      'us-central1',
    ],
    ['run-v2-jobs-setiampolicy--job-allusers-invoker--constructed.json', 'run.googleapis.com/Job', 'us-central1'],
  ])('names %s as a %s with the project id (never a number) and its location', (file, type, location) => {
    const e = asEvent(run(load(file)));
    expect(e.resource).toMatchObject({ type, project: 'test-project-1234', location });
    expect(e.deltas.some((d) => d.action === 'ADD')).toBe(true);
  });

  it('tells a Pub/Sub subscription from a topic, and a KMS key ring from a key, by the name alone', () => {
    const topic = load('pubsub-v1-setiampolicy--topic-allauthenticatedusers-publisher--constructed.json');
    pp(topic).resourceName = '//pubsub.googleapis.com/projects/test-project-1234/subscriptions/order-events-sub';
    expect(asEvent(run(topic)).resource).toMatchObject({
      type: 'pubsub.googleapis.com/Subscription',
      name: 'projects/test-project-1234/subscriptions/order-events-sub',
    });
    const key = load('cloudkms-v1-setiampolicy--cryptokey-allusers-decrypter--constructed.json');
    pp(key).resourceName = 'projects/test-project-1234/locations/europe-west1/keyRings/app-keys';
    pp(key).request.resource = pp(key).resourceName;
    expect(asEvent(run(key)).resource.type).toBe('cloudkms.googleapis.com/KeyRing');
    pp(key).resourceName = 'projects/test-project-1234/locations/europe-west1/ekmConnections/x';
    pp(key).request.resource = pp(key).resourceName;
    expect(run(key)).toEqual({ error: 'protoPayload.resourceName missing or not a key or key ring name' });
  });

  it('keeps a bare SetIamPolicy apart by service: KMS is not a project policy', () => {
    expect(lookupMethod('cloudkms.googleapis.com', 'SetIamPolicy')!.resourceType).toBe(
      'cloudkms.googleapis.com/CryptoKey',
    );
    expect(lookupMethod('cloudresourcemanager.googleapis.com', 'SetIamPolicy')!.resourceType).toBe(
      'cloudresourcemanager.googleapis.com/Project',
    );
    expect(lookupMethod('storage.googleapis.com', 'SetIamPolicy')).toBeUndefined();
  });
});

describe('the guardrails: organization policies and Binary Authorization policies', () => {
  const ORG = (file: string) => asEvent(run(load(file))).orgPolicy!;

  it('reads a v2 UpdatePolicy from the response, names the project by id though the response uses its number', () => {
    const e = asEvent(run(load('orgpolicy-v2-updatepolicy--project-ingress-allows-all--constructed.json')));
    expect(e.resource).toEqual({
      type: 'orgpolicy.googleapis.com/Policy',
      name: 'projects/test-project-1234/policies/run.allowedIngress',
      project: 'test-project-1234',
      location: '',
    });
    expect(e.orgPolicy).toMatchObject({
      constraint: 'constraints/run.allowedIngress',
      parent: 'projects/test-project-1234',
      deleted: false,
      reset: false,
      allowAll: false,
      allowedValues: ['internal', 'all'],
      source: 'response',
    });
    expect(e.orgPolicy!.rules).toEqual([
      {
        kind: 'values',
        allowAll: false,
        denyAll: false,
        enforce: false,
        allowedValues: ['internal', 'all'],
        deniedValues: [],
        condition: '',
      },
    ]);
    expect(e.binauthzPolicy).toBeNull();
  });

  it('keeps an explicit enforce: false as an enforce rule, on a folder (no project)', () => {
    const e = asEvent(run(load('orgpolicy-v2-createpolicy--folder-key-creation-not-enforced--constructed.json')));
    expect(e.resource.project).toBe('');
    expect(e.orgPolicy).toMatchObject({ parent: 'folders/418203746512', source: 'response' });
    expect(e.orgPolicy!.rules.map((r) => [r.kind, r.enforce])).toEqual([['enforce', false]]);
  });

  it('judges a deletion rather than skipping it: v2 DeletePolicy and v1 ClearOrgPolicy', () => {
    expect(ORG('orgpolicy-v2-deletepolicy--organization-member-domains--constructed.json')).toMatchObject({
      constraint: 'constraints/iam.allowedPolicyMemberDomains',
      parent: 'organizations/658743219054',
      deleted: true,
      rules: [],
      source: 'none',
    });
    expect(ORG('crm-v1-clearorgpolicy--project-ingress--constructed.json')).toMatchObject({
      constraint: 'constraints/run.allowedIngress',
      parent: 'projects/test-project-1234',
      deleted: true,
    });
    // Deleting a workload is still nothing to check.
    expect(asSkip(run(load('run-v2-deleteservice--terraform--constructed.json'))).code).toBe('deleted');
  });

  it('ignores a request spec the update mask leaves alone (only the dry-run spec changed)', () => {
    const entry = load('orgpolicy-v2-updatepolicy--dry-run-spec-only-snake-case--constructed.json');
    expect(asEvent(run(entry)).orgPolicy).toMatchObject({ rules: [], reset: false, source: 'request' });
    pp(entry).request.update_mask = { paths: ['spec', 'dry_run_spec'] };
    expect(asEvent(run(entry)).orgPolicy!.rules.map((r) => r.enforce)).toEqual([false]);
  });

  it('reads v2 spec.reset and v1 restoreDefault as a reset', () => {
    expect(ORG('orgpolicy-v2-updatepolicy--binauthz-policies-reset--constructed.json')).toMatchObject({
      constraint: 'constraints/run.allowedBinaryAuthorizationPolicies',
      reset: true,
      rules: [],
    });
    const entry = load('crm-v1-setorgpolicy--project-key-creation-boolean-empty--constructed.json');
    pp(entry).request.policy = { constraint: 'constraints/iam.disableServiceAccountKeyCreation', restoreDefault: {} };
    expect(asEvent(run(entry)).orgPolicy).toMatchObject({ reset: true, rules: [] });
  });

  it('turns a v1 listPolicy and booleanPolicy into one rule each; an empty booleanPolicy does not enforce', () => {
    expect(ORG('crm-v1-setorgpolicy--organization-member-domains-allow-all--constructed.json')).toMatchObject({
      allowAll: true,
      source: 'response',
      rules: [{ kind: 'allowAll', allowAll: true }],
    });
    expect(ORG('crm-v1-setorgpolicy--project-key-creation-boolean-empty--constructed.json')).toMatchObject({
      source: 'request',
      rules: [{ kind: 'enforce', enforce: false }],
    });
    const entry = load('crm-v1-setorgpolicy--project-key-creation-boolean-empty--constructed.json');
    pp(entry).request.policy.booleanPolicy = { enforced: true };
    expect(asEvent(run(entry)).orgPolicy!.rules[0]!.enforce).toBe(true);
  });

  it('reads a Binary Authorization policy from the response, and from a snake_case request with enum numbers', () => {
    const allow = asEvent(run(load('binaryauthorization-v1-updatepolicy--always-allow--constructed.json')));
    expect(allow.resource).toMatchObject({
      type: 'binaryauthorization.googleapis.com/Policy',
      project: 'test-project-1234',
    });
    expect(allow.binauthzPolicy).toMatchObject({
      name: 'projects/test-project-1234/policy',
      defaultAdmissionRule: { evaluationMode: 'ALWAYS_ALLOW', enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG' },
      globalPolicyEvaluationMode: 'ENABLE',
      source: 'response',
    });
    expect(allow.orgPolicy).toBeNull();
    const dry = asEvent(
      run(load('binaryauthorization-v1beta1-updatepolicy--dryrun-snake-case-enum-numbers--constructed.json')),
    );
    expect(dry.binauthzPolicy).toEqual({
      name: 'projects/test-project-1234/policy',
      defaultAdmissionRule: {
        evaluationMode: 'REQUIRE_ATTESTATION',
        enforcementMode: 'DRYRUN_AUDIT_LOG_ONLY',
        requireAttestationsBy: ['projects/test-project-1234/attestors/built-by-ci'],
      },
      globalPolicyEvaluationMode: 'GLOBAL_POLICY_EVALUATION_MODE_UNSPECIFIED',
      admissionWhitelistPatterns: ['gcr.io/google_containers/*'],
      source: 'request',
    });
  });

  it('says what is wrong with a malformed guardrail entry instead of throwing', () => {
    const v2 = load('orgpolicy-v2-updatepolicy--project-ingress-allows-all--constructed.json');
    pp(v2).response.spec.rules = 'all';
    expect(run(v2)).toEqual({ error: 'protoPayload.response.spec.rules is not a list' });
    const v1 = load('crm-v1-setorgpolicy--project-key-creation-boolean-empty--constructed.json');
    delete pp(v1).request.policy.constraint;
    expect(run(v1)).toEqual({ error: 'protoPayload.request.policy.constraint (or request.constraint) missing' });
    const ba = load('binaryauthorization-v1beta1-updatepolicy--dryrun-snake-case-enum-numbers--constructed.json');
    pp(ba).request.policy.default_admission_rule = 'ALWAYS_ALLOW';
    expect(run(ba)).toEqual({ error: 'protoPayload.request.policy.defaultAdmissionRule is not an object' });
  });
});

describe('Cloud Functions 2nd gen, Cloud Run jobs and worker pools: workloads in the Cloud Run shape', () => {
  it(
    'reads a snake_case Firebase CreateFunction: ' +
      'ALLOW_ALL, the env map (values redacted), secret refs, the default account',
    () => {
      const e = asEvent(run(load('gcf-v2-createfunction--firebase-snake-case-allow-all-env-secret--constructed.json')));
      expect(e.resource).toMatchObject({ type: 'cloudfunctions.googleapis.com/Function', location: 'us-central1' });
      expect(e.service!.ingress).toBe('INGRESS_TRAFFIC_ALL');
      // No service_account_email, no actAs check in the entry: the documented default, number unknown.
      expect(e.service!.template.serviceAccount).toBe('PROJECT_NUMBER-compute@developer.gserviceaccount.com');
      expect(e.service!.template.containers).toEqual([
        {
          name: 'function',
          image: '',
          env: [
            {
              name: 'FIREBASE_CONFIG',
              value: '[redacted]',
              valueSource: { secretKeyRef: { secret: '', version: '' } },
            },
            {
              name: 'STRIPE_SECRET_KEY',
              value: '[redacted]',
              valueSource: { secretKeyRef: { secret: '', version: '' } },
            },
            { name: 'NODE_ENV', value: '[redacted]', valueSource: { secretKeyRef: { secret: '', version: '' } } },
            {
              name: 'SENDGRID_API_KEY',
              value: '',
              valueSource: { secretKeyRef: { secret: 'sendgrid-api-key', version: 'latest' } },
            },
          ],
        },
      ]);
    },
  );

  it('reads a camelCase UpdateFunction with a comma-string mask, and finds the name in parent + function_id', () => {
    const e = asEvent(run(load('gcf-v2-updatefunction--mask-internal-only-dedicated-sa--constructed.json')));
    expect(e.updateMask).toEqual(['serviceConfig.ingressSettings', 'serviceConfig.serviceAccountEmail']);
    expect(e.service).toMatchObject({
      ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
      template: { serviceAccount: 'thumbnailer@test-project-1234.iam.gserviceaccount.com' },
    });
    const entry = load('gcf-v2-createfunction--firebase-snake-case-allow-all-env-secret--constructed.json');
    delete pp(entry).resourceName;
    delete pp(entry).request.function.name;
    expect(asEvent(run(entry)).resource.name).toBe('projects/test-project-1234/locations/us-central1/functions/api');
    // Ingress settings by number, as proto JSON may give them.
    pp(entry).request.function.service_config.ingress_settings = 2;
    expect(asEvent(run(entry)).service!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_ONLY');
  });

  it('lets a finished Functions operation response win over the request', () => {
    const entry = load('gcf-v2-createfunction--firebase-snake-case-allow-all-env-secret--constructed.json');
    pp(entry).response = {
      '@type': 'type.googleapis.com/google.longrunning.Operation',
      done: true,
      response: {
        '@type': 'type.googleapis.com/google.cloud.functions.v2.Function',
        serviceConfig: {
          ingressSettings: 'ALLOW_INTERNAL_AND_GCLB',
          serviceAccountEmail: 'api@test-project-1234.iam.gserviceaccount.com',
        },
      },
    };
    const e = asEvent(run(entry));
    expect(e.serviceSource).toBe('response');
    expect(e.service).toMatchObject({
      ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
      template: { serviceAccount: 'api@test-project-1234.iam.gserviceaccount.com', containers: [{ env: [] }] },
    });
  });

  it('reads a snake_case CreateJob: the task template identity and env, the breakglass, no ingress', () => {
    const e = asEvent(run(load('run-v2-jobs-createjob--default-sa-env-secret-breakglass--constructed.json')));
    expect(e.resource.type).toBe('run.googleapis.com/Job');
    expect(e.service!.ingress).toBe('INGRESS_TRAFFIC_UNSPECIFIED');
    expect(e.service!.template.serviceAccount).toBe('123456789012-compute@developer.gserviceaccount.com');
    expect(e.service!.template.containers[0]!.env.map((v) => [v.name, v.value])).toEqual([
      ['WAREHOUSE_PASSWORD', '[redacted]'],
      ['EXPORT_BUCKET', '[redacted]'],
    ]);
    expect(e.service!.binaryAuthorization.breakglassJustification).toMatch(/^INC-5120/);
  });

  it('reads a worker pool update whose mask clears the service account', () => {
    const e = asEvent(run(load('run-v2-workerpools-updateworkerpool--mask-clears-service-account--constructed.json')));
    expect(e.resource.type).toBe('run.googleapis.com/WorkerPool');
    expect(e.service!.template.serviceAccount).toBe('PROJECT_NUMBER-compute@developer.gserviceaccount.com');
    expect(e.service!.ingress).toBe('INGRESS_TRAFFIC_UNSPECIFIED');
  });
});

describe('v2 defaults: what the API fills in for what the request leaves empty', () => {
  it(
    'judges a v2 create that names no service account and no ingress ' + 'as the Compute default account, open to all',
    () => {
      const e = asEvent(run(load('run-v2-createservice--no-service-account-no-ingress--constructed.json')));
      expect(e.service!.ingress).toBe('INGRESS_TRAFFIC_ALL');
      // The project number comes from the actAs check on the default account in authorizationInfo.
      expect(e.service!.template.serviceAccount).toBe('123456789012-compute@developer.gserviceaccount.com');
    },
  );

  it('says PROJECT_NUMBER when the entry does not give the project number away', () => {
    const entry = load('run-v2-createservice--no-service-account-no-ingress--constructed.json');
    pp(entry).authorizationInfo = pp(entry).authorizationInfo.slice(0, 1);
    expect(asEvent(run(entry)).service!.template.serviceAccount).toBe(
      'PROJECT_NUMBER-compute@developer.gserviceaccount.com',
    );
  });

  it('fills in a field an update mask names but the request leaves empty (snake_case mask), and nothing else', () => {
    const e = asEvent(run(load('run-v2-updateservice--mask-clears-service-account--constructed.json')));
    expect(e.updateMask).toEqual(['template.service_account']);
    expect(e.service!.template.serviceAccount).toBe('PROJECT_NUMBER-compute@developer.gserviceaccount.com');
    expect(e.service!.ingress).toBe('INGRESS_TRAFFIC_UNSPECIFIED');
    // A mask that names only ingress leaves the (unmentioned) service account unknown.
    const masked = asEvent(run(load('run-v2-updateservice--mask-ingress-internal-only--constructed.json')));
    expect(masked.service!.template.serviceAccount).toBe('');
    expect(masked.service!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_ONLY');
  });

  it('fills in ingress when the mask names it but the request leaves it empty, and through a parent or * path', () => {
    const entry = load('run-v2-updateservice--mask-clears-service-account--constructed.json');
    pp(entry).request.update_mask = { paths: ['ingress'] };
    expect(asEvent(run(entry)).service).toMatchObject({
      ingress: 'INGRESS_TRAFFIC_ALL',
      template: { serviceAccount: '' },
    });
    pp(entry).request.update_mask = 'template';
    expect(asEvent(run(entry)).service!.template.serviceAccount).toMatch(/-compute@developer/);
    pp(entry).request.update_mask = '*';
    expect(asEvent(run(entry)).service).toMatchObject({ ingress: 'INGRESS_TRAFFIC_ALL' });
    delete pp(entry).request.update_mask;
    expect(asEvent(run(entry)).service).toMatchObject({
      ingress: 'INGRESS_TRAFFIC_UNSPECIFIED',
      template: { serviceAccount: '' },
    });
  });

  it('lets the response win: a finished operation shows what the server applied', () => {
    const entry = load('run-v2-createservice--no-service-account-no-ingress--constructed.json');
    pp(entry).response = {
      '@type': 'type.googleapis.com/google.longrunning.Operation',
      done: true,
      response: {
        '@type': 'type.googleapis.com/google.cloud.run.v2.Service',
        ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
        template: { serviceAccount: 'reports@test-project-1234.iam.gserviceaccount.com' },
      },
    };
    const e = asEvent(run(entry));
    expect(e.serviceSource).toBe('response');
    expect(e.service).toMatchObject({
      ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
      template: { serviceAccount: 'reports@test-project-1234.iam.gserviceaccount.com' },
    });
  });
});

describe('skips and actors', () => {
  it('recognises runguard itself whatever the case of the configured principal', () => {
    const entry = load('run-v2-updateservice--self-runguard-revert--constructed.json');
    expect(asSkip(run(entry, { selfPrincipals: ['RunGuard@Ops-Project.iam.gserviceaccount.com'] })).code).toBe('self');
    expect(asEvent(run(entry, { selfPrincipals: [] })).service!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_ONLY');
  });

  it('judges by the original caller: runguard acting through an account it impersonates is its own change', () => {
    const s = asSkip(run(load('run-v2-updateservice--runguard-through-remediator--constructed.json')));
    expect(s.code).toBe('self');
    expect(s.reason).toBe(
      'made by runguard itself (runguard@ops-project.iam.gserviceaccount.com, ' +
        'acting as runguard-remediator@test-project-1234.iam.gserviceaccount.com)',
    );
  });

  it('judges by the original caller: someone impersonating runguard is judged like anyone else', () => {
    const e = asEvent(run(load('run-v2-updateservice--user-impersonates-runguard--constructed.json')));
    expect(e.actor.email).toBe('runguard@ops-project.iam.gserviceaccount.com');
    expect(e.actor.delegation).toEqual(['mallory.ops@example.com']);
    expect(e.service!.ingress).toBe('INGRESS_TRAFFIC_ALL');
  });

  it('takes a federated first hop as the original caller, so a self principal later in the chain is not enough', () => {
    const entry = load('run-v2-updateservice--runguard-through-remediator--constructed.json');
    pp(entry).authenticationInfo.serviceAccountDelegationInfo = [
      {
        principalSubject:
          'principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/subject/x',
      },
      { firstPartyPrincipal: { principalEmail: 'runguard@ops-project.iam.gserviceaccount.com' } },
    ];
    expect('skipped' in run(entry)).toBe(false);
    // A first hop that names nobody leaves the original caller unknown: not runguard.
    pp(entry).authenticationInfo.serviceAccountDelegationInfo = [
      {},
      { firstPartyPrincipal: { principalEmail: 'runguard@ops-project.iam.gserviceaccount.com' } },
    ];
    expect('skipped' in run(entry)).toBe(false);
  });

  it('names the failure code, its name and message for a failed v2 call', () => {
    expect(asSkip(run(load('run-v2-updateservice--failed-permission-denied--constructed.json'))).reason).toMatch(
      /^the call failed with status 7 PERMISSION_DENIED \(Permission 'run\.services\.update' denied/,
    );
  });

  it('treats status {} and status.code 0 as success', () => {
    const entry = load('run-v2-setiampolicy--allauthenticatedusers-invoker--constructed.json');
    pp(entry).status = { code: 0 };
    expect('skipped' in run(entry)).toBe(false);
  });

  it('names method and service of an unhandled method', () => {
    expect(asSkip(run(load('run-v2-getservice--unhandled-data-access--constructed.json'))).reason).toBe(
      'google.cloud.run.v2.Services.GetService on run.googleapis.com is not a method runguard handles',
    );
  });

  it.each([['validateOnly'], ['validate_only']])('skips a %s request, which changes nothing', (key) => {
    const entry = load('run-v2-updateservice--invoker-iam-disabled--constructed.json');
    pp(entry).request[key] = true;
    expect(asSkip(run(entry)).code).toBe('validate-only');
    pp(entry).request[key] = false;
    expect(asEvent(run(entry)).service!.invokerIamDisabled).toBe(true);
  });

  it('keeps an entry that is both first and last of its operation', () => {
    const entry = load('run-v2-updateservice--mask-ingress-internal-only--constructed.json');
    entry.operation!.last = true;
    expect(asEvent(run(entry)).operation).toMatchObject({ first: true, last: true });
  });
});

describe('the method table', () => {
  it("holds each service and method once, including the brief's required ones", () => {
    const keys = HANDLED_METHODS.map((m) => `${m.serviceName} ${m.methodName}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of [
      'run.googleapis.com google.cloud.run.v1.Services.ReplaceService',
      'run.googleapis.com google.cloud.run.v2.Services.UpdateService',
      'cloudresourcemanager.googleapis.com SetIamPolicy',
      'iam.googleapis.com google.iam.admin.v1.SetIAMPolicy',
      'cloudfunctions.googleapis.com google.cloud.functions.v2.FunctionService.SetIamPolicy',
      'orgpolicy.googleapis.com google.cloud.orgpolicy.v2.OrgPolicy.UpdatePolicy',
      'orgpolicy.googleapis.com google.cloud.orgpolicy.v2.OrgPolicy.DeletePolicy',
      'cloudresourcemanager.googleapis.com SetOrgPolicy',
      'cloudresourcemanager.googleapis.com ClearOrgPolicy',
      'binaryauthorization.googleapis.com google.cloud.binaryauthorization.v1.BinauthzManagementServiceV1.UpdatePolicy',
    ]) {
      expect(keys).toContain(k);
    }
  });

  it('keys on service and method together', () => {
    expect(lookupMethod('cloudresourcemanager.googleapis.com', 'SetIamPolicy')?.api).toBe('crm');
    expect(lookupMethod('iam.googleapis.com', 'SetIamPolicy')).toBeUndefined();
    expect(lookupMethod('iam.googleapis.com', 'google.iam.admin.v1.SetIamPolicy')).toBeUndefined();
  });
});

describe('malformed input', () => {
  const CREATE = 'run-v2-createservice--lro-first-ingress-all-env-secrets--constructed.json';
  const CRM = 'crm-project-setiampolicy-console-add-securityreviewer-2019.json';
  const cases: Array<[string, () => unknown, string]> = [
    ['the entry is not an object', () => ['not', 'an', 'entry'], 'entry is not an object'],
    [
      'there is no protoPayload',
      () => ({ ...load(CRM), protoPayload: undefined }),
      'protoPayload missing (not an audit log entry)',
    ],
    [
      'protoPayload is a string',
      () => ({ ...load(CRM), protoPayload: 'SetIamPolicy' }),
      'protoPayload is not an object',
    ],
    ['protoPayload is an array', () => ({ ...load(CRM), protoPayload: [] }), 'protoPayload is not an object'],
    [
      'methodName is missing',
      () => {
        const e = load(CRM);
        delete pp(e).methodName;
        return e;
      },
      'protoPayload.methodName missing',
    ],
    [
      'insertId is missing',
      () => {
        const e = load(CRM);
        delete e.insertId;
        return e;
      },
      'insertId missing',
    ],
    [
      'response.bindings is not an array',
      () => {
        const e = load(CRM);
        pp(e).response.bindings = { role: 'roles/owner' };
        return e;
      },
      'protoPayload.response.bindings is not an array',
    ],
    [
      'request.policy.bindings is not an array',
      () => {
        const e = load('gcf-v1-setiampolicy-allusers-invoker.json');
        delete pp(e).response;
        pp(e).request.policy.bindings = 'allUsers';
        return e;
      },
      'protoPayload.request.policy.bindings is not an array',
    ],
    [
      'bindingDeltas is not an array',
      () => {
        const e = load(CRM);
        pp(e).serviceData.policyDelta.bindingDeltas = 7;
        return e;
      },
      'protoPayload.serviceData.policyDelta.bindingDeltas is not an array',
    ],
    [
      'request.service is a string',
      () => {
        const e = load(CREATE);
        pp(e).request.service = 'payments-api';
        return e;
      },
      'protoPayload.request.service is not an object',
    ],
    [
      'status.code is a string',
      () => {
        const e = load(CRM);
        pp(e).status = { code: 'ABORTED' };
        return e;
      },
      'protoPayload.status.code is not a number',
    ],
  ];
  it.each(cases)('says which path is wrong when %s', (_, make, error) => {
    expect(run(make())).toEqual({ error });
  });

  it('returns an error rather than throwing for null, numbers and strings', () => {
    for (const v of [null, undefined, 42, 'entry', true]) expect(run(v)).toHaveProperty('error');
  });
});

// Deterministic PRNG, so a failing variant can be reproduced from its number.
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every [container, key] pair in a JSON tree, so a mutation can hit any depth. */
function slots(node: unknown, out: Array<[Record<string, unknown> | unknown[], string | number]> = []) {
  if (Array.isArray(node))
    node.forEach((v, i) => {
      out.push([node, i]);
      slots(v, out);
    });
  else if (node && typeof node === 'object')
    for (const [k, v] of Object.entries(node)) {
      out.push([node as Record<string, unknown>, k]);
      slots(v, out);
    }
  return out;
}

describe('normalize under random damage', () => {
  const WRONG: unknown[] = [
    undefined,
    null,
    0,
    -1,
    1.5,
    '',
    'x',
    true,
    [],
    {},
    [1, 'a'],
    { code: 7 },
    'constructor',
    '__proto__',
  ];
  const fixtures = ALL.map((u) => JSON.parse(readFileSync(u, 'utf8')) as LogEntry);
  const rand = mulberry32(20260123);
  const variants = Array.from({ length: 600 }, (_, n) => {
    const entry = structuredClone(fixtures[n % fixtures.length]!);
    const targets = slots(entry);
    for (let k = 0, hits = 1 + Math.floor(rand() * 3); k < hits; k++) {
      const [parent, key] = targets[Math.floor(rand() * targets.length)]!;
      const value = WRONG[Math.floor(rand() * WRONG.length)];
      if (value === undefined && !Array.isArray(parent)) delete (parent as Record<string, unknown>)[key as string];
      else (parent as Record<string | number, unknown>)[key] = structuredClone(value);
    }
    return entry;
  });

  it('never throws and always returns a change, a skip or an error, across 600 seeded variants', () => {
    let changes = 0;
    for (const [n, entry] of variants.entries()) {
      let out: Normalized | NormalizeError;
      try {
        out = run(entry);
      } catch (e) {
        throw new Error(`variant ${n} threw: ${(e as Error).message}\n${JSON.stringify(entry).slice(0, 400)}`);
      }
      if ('error' in out) expect(typeof out.error, `variant ${n}`).toBe('string');
      else if ('skipped' in out) expect(out.skipped).toBe(true);
      else {
        changes++;
        expect(typeof out.resource.name, `variant ${n}`).toBe('string');
        expect(Array.isArray(out.deltas)).toBe(true);
      }
      expect(JSON.stringify(out)).not.toContain('not-a-real-password');
    }
    expect(changes).toBeGreaterThan(100); // most single hits leave a readable change: the fuzz is not all errors
  });
});
