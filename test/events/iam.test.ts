import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ChangeEvent, LogEntry, Skip } from '../../functions/core/types.js';
import { deltasFromPolicy, deltasFromPolicyDelta, memberInfo, parsePolicy } from '../../functions/events/iam.js';
import { normalize } from '../../functions/events/normalize.js';

const REAL = new URL('../fixtures/auditlogs/real/', import.meta.url);
const CONSTRUCTED = new URL('../fixtures/auditlogs/', import.meta.url);
const load = (name: string): LogEntry =>
  JSON.parse(readFileSync(new URL(name, name.includes('--constructed') ? CONSTRUCTED : REAL), 'utf8')) as LogEntry;
const run = (entry: LogEntry) => normalize(entry, { selfPrincipals: [] });
const asEvent = (r: ReturnType<typeof run>): ChangeEvent => {
  if ('error' in r || 'skipped' in r) throw new Error(`expected a change, got ${JSON.stringify(r)}`);
  return r;
};
const asSkip = (r: ReturnType<typeof run>): Skip => {
  if (!('skipped' in r)) throw new Error(`expected a skip, got ${JSON.stringify(r).slice(0, 200)}`);
  return r;
};
const pp = (e: LogEntry) => e.protoPayload as Record<string, any>;

describe('member types and domains', () => {
  it.each([
    ['user:a@B.com', 'user', 'b.com'],
    ['group:Eng@Example.com', 'group', 'example.com'],
    ['serviceAccount:x@p.iam.gserviceaccount.com', 'serviceAccount', 'p.iam.gserviceaccount.com'],
    ['domain:X.com', 'domain', 'x.com'],
    ['allUsers', 'allUsers', ''],
    ['allAuthenticatedUsers', 'allAuthenticatedUsers', ''],
    ['deleted:user:gone@example.com?uid=123456789', 'deleted', ''],
    [
      'principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gh/subject/repo:o/r',
      'principal',
      '',
    ],
    ['principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gh/*', 'principalSet', ''],
    ['projectOwner:my-project', 'other', ''],
    ['constructor:x', 'other', ''],
    ['user:no-at-sign', 'user', ''],
    ['allusers', 'other', ''],
  ])('reads %s as %s with domain "%s"', (member, memberType, memberDomain) => {
    expect(memberInfo(member)).toEqual({ memberType, memberDomain });
  });
});

describe('policies', () => {
  it('reads bindings, conditions and etag', () => {
    const policy = parsePolicy(
      {
        etag: 'BwX=',
        bindings: [
          {
            role: 'roles/run.invoker',
            members: ['allUsers'],
            condition: { title: 'office hours', expression: 'request.time.getHours("UTC") < 18', description: 'x' },
          },
        ],
      },
      'p',
    );
    expect(policy).toEqual({
      etag: 'BwX=',
      bindings: [
        {
          role: 'roles/run.invoker',
          members: ['allUsers'],
          condition: { title: 'office hours', expression: 'request.time.getHours("UTC") < 18' },
        },
      ],
    });
  });

  it('reads a policy with no bindings key as empty, since proto3 JSON omits empty lists', () => {
    expect(parsePolicy({ etag: 'BwY=' }, 'p')).toEqual({ bindings: [], etag: 'BwY=' });
  });

  it.each([
    ['a string', 'x', 'pol is not an object'],
    ['bindings as an object', { bindings: {} }, 'pol.bindings is not an array'],
    ['a binding that is a string', { bindings: ['roles/owner'] }, 'pol.bindings[0] is not an object'],
    [
      'members as a string',
      { bindings: [{ role: 'r', members: 'allUsers' }] },
      'pol.bindings[0].members is not an array',
    ],
  ])('names the path when given %s', (_, value, error) => {
    expect(parsePolicy(value, 'pol')).toEqual({ error });
  });

  it('turns every member of every binding into an ADD, in policy order', () => {
    const policy = parsePolicy(
      pp(load('crm-project-setiampolicy-console-add-securityreviewer-2019.json')).response,
      'r',
    );
    if ('error' in policy) throw new Error(policy.error);
    const deltas = deltasFromPolicy(policy);
    expect(deltas).toHaveLength(8); // 7 bindings, roles/editor has two members
    expect(deltas.every((d) => d.action === 'ADD')).toBe(true);
    expect(deltas[0]).toEqual({
      action: 'ADD',
      role: 'roles/compute.admin',
      member: 'user:barnabyskeggs@gmail.com',
      memberType: 'user',
      memberDomain: 'gmail.com',
    });
  });
});

describe('policy deltas', () => {
  it('keeps ADD and REMOVE and drops actions that are not changes', () => {
    const deltas = deltasFromPolicyDelta(
      [
        { action: 'ADD', role: 'roles/owner', member: 'domain:outside.example' },
        { action: 'ACTION_UNSPECIFIED', role: 'roles/owner', member: 'user:a@b.c' },
        { action: 'REMOVE', role: 'roles/viewer', member: 'allUsers' },
      ],
      'd',
    );
    expect(deltas).toEqual([
      {
        action: 'ADD',
        role: 'roles/owner',
        member: 'domain:outside.example',
        memberType: 'domain',
        memberDomain: 'outside.example',
      },
      { action: 'REMOVE', role: 'roles/viewer', member: 'allUsers', memberType: 'allUsers', memberDomain: '' },
    ]);
  });

  it('reads absent bindingDeltas as no binding change and names the path of a wrong type', () => {
    expect(deltasFromPolicyDelta(undefined, 'd')).toEqual([]);
    expect(deltasFromPolicyDelta('ADD', 'd')).toEqual({ error: 'd is not an array' });
    expect(deltasFromPolicyDelta([1], 'd')).toEqual({ error: 'd[0] is not an object' });
  });

  it('trusts an audit-config-only policyDelta: no binding deltas, still from policyDelta', () => {
    const entry = load('crm-project-setiampolicy-console-add-securityreviewer-2019.json');
    pp(entry).serviceData.policyDelta = {
      auditConfigDeltas: [{ action: 'ADD', service: 'allServices', logType: 'DATA_READ' }],
    };
    expect(asEvent(run(entry))).toMatchObject({ deltas: [], deltaSource: 'policyDelta' });
  });

  it('falls back to request.policy when there is no response (a skeletal entry)', () => {
    const entry = load('gcf-v1-setiampolicy-allusers-invoker.json');
    delete pp(entry).response;
    expect(asEvent(run(entry)).policy).toEqual({
      bindings: [{ role: 'roles/cloudfunctions.invoker', members: ['allUsers'] }],
      etag: 'BwWP3fXnMuQ=',
    });
  });
});

describe('IAM changes through normalize', () => {
  it('names a folder folders/<n> with no project', () => {
    const e = asEvent(run(load('crm-v2-setiampolicy--folder-add-owner-gmail--constructed.json')));
    expect(e.resource).toEqual({
      type: 'cloudresourcemanager.googleapis.com/Folder',
      name: 'folders/418203746512',
      project: '',
      location: '',
    });
    expect(e.deltas).toEqual([
      {
        action: 'ADD',
        role: 'roles/owner',
        member: 'user:someone@gmail.com',
        memberType: 'user',
        memberDomain: 'gmail.com',
      },
    ]);
  });

  it('decides folder vs organization from resource.type when resourceName is missing', () => {
    const entry = load('crm-v1-setiampolicy--organization-allauthenticatedusers-viewer--constructed.json');
    delete pp(entry).resourceName;
    delete pp(entry).request.resource;
    expect(asEvent(run(entry)).resource.name).toBe('organizations/658743219054');
  });

  it('keeps ADD and REMOVE from a Terraform project change, in order', () => {
    const e = asEvent(run(load('crm-v1-setiampolicy--project-terraform-tokencreator-outside--constructed.json')));
    expect(e.deltas.map((d) => `${d.action} ${d.role} ${d.member}`)).toEqual([
      'ADD roles/iam.serviceAccountTokenCreator user:x@outside.example',
      'REMOVE roles/editor user:former.contractor@example.com',
    ]);
    expect(e.actor.toolDetail).toBe('Terraform/1.9.8 terraform-provider-google/6.12.0');
  });

  it('names a service account by the e-mail from resource.labels when resourceName has only the unique id', () => {
    const e = asEvent(run(load('iam-v1-setiampolicy--serviceaccount-user-snake-case--constructed.json')));
    expect(e.resource).toEqual({
      type: 'iam.googleapis.com/ServiceAccount',
      name: 'projects/test-project-1234/serviceAccounts/deployer@test-project-1234.iam.gserviceaccount.com',
      project: 'test-project-1234',
      location: '',
    });
    expect(e.deltas).toEqual([
      {
        action: 'ADD',
        role: 'roles/iam.serviceAccountUser',
        member: 'user:contractor@partner.example',
        memberType: 'user',
        memberDomain: 'partner.example',
      },
    ]);
    expect(e.timestamp).toBe('2025-03-21T12:01:44.210734916Z');
  });

  it('does not take a bare SetIamPolicy from another API for a project change', () => {
    const entry = load('crm-project-setiampolicy-console-add-securityreviewer-2019.json');
    pp(entry).serviceName = 'storage.googleapis.com';
    expect(asSkip(run(entry))).toMatchObject({
      code: 'unhandled-method',
      reason: expect.stringContaining('SetIamPolicy on storage.googleapis.com'),
    });
  });
});
