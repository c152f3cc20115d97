import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AuditLog, ChangeEvent, LogEntry } from '../../functions/core/types.js';
import { actorOf, toolOf } from '../../functions/events/actor.js';
import { normalize } from '../../functions/events/normalize.js';

const REAL = new URL('../fixtures/auditlogs/real/', import.meta.url);
const CONSTRUCTED = new URL('../fixtures/auditlogs/', import.meta.url);
const load = (name: string): LogEntry =>
  JSON.parse(readFileSync(new URL(name, name.includes('--constructed') ? CONSTRUCTED : REAL), 'utf8')) as LogEntry;
const asEvent = (r: ReturnType<typeof normalize>): ChangeEvent => {
  if ('error' in r || 'skipped' in r) throw new Error(`expected a change, got ${JSON.stringify(r)}`);
  return r;
};

// User agents as docs/audit-log-shapes.md §3 quotes them, or as the tools are known to send them.
const GCLOUD =
  'google-cloud-sdk gcloud/546.0.0 command/gcloud.run.deploy invocation-id/0a1b2c3d environment/GCE ' +
  'environment-version/None client-os/LINUX interactive/False from-script/True python/3.12.3 ' +
  'term/ (Linux 6.1.0),gzip(gfe)';
const TERRAFORM =
  'google-api-go-client/0.5 Terraform/1.0.7 (+https://www.terraform.io) Terraform-Plugin-SDK/2.5.0 ' +
  'terraform-provider-google/dev,gzip(gfe),gzip(gfe)';

describe('the tool a user agent reveals', () => {
  it.each([
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) ' +
        'Chrome/124.0.0.0 Safari/537.36,gzip(gfe),gzip(gfe)',
      'console',
      '',
    ],
    [GCLOUD, 'gcloud', 'gcloud.run.deploy'],
    [
      'google-cloud-sdk gcloud/460.0.0 command/gcloud.projects.add-iam-policy-binding invocation-id/ff,gzip(gfe)',
      'gcloud',
      'gcloud.projects.add-iam-policy-binding',
    ],
    ['google-cloud-sdk gcloud/460.0.0 invocation-id/ff', 'gcloud', ''],
    [TERRAFORM, 'terraform', 'Terraform/1.0.7 terraform-provider-google/dev'],
    [
      'Terraform/1.9.8 (+https://www.terraform.io) Terraform-Plugin-SDK/2.33.0 ' +
        'terraform-provider-google-beta/6.12.0,gzip(gfe)',
      'terraform',
      'Terraform/1.9.8 terraform-provider-google-beta/6.12.0',
    ],
    [
      'google-api-go-client/0.5 Pulumi/3.130.0 (https://www.pulumi.com) pulumi-gcp/7.38.0 ' +
        'terraform-provider-google/5.43.1,gzip(gfe)',
      'pulumi',
      'Pulumi/3.130.0 pulumi-gcp/7.38.0',
    ],
    [
      'kcc/1.125.0 (+https://github.com/GoogleCloudPlatform/k8s-config-connector) kcc/controller-manager,gzip(gfe)',
      'config-connector',
      'kcc/1.125.0',
    ],
    [
      'cnrm-controller-manager/1.101.0 Terraform/0.12.31 terraform-provider-google-beta/kcc,gzip(gfe)',
      'config-connector',
      'cnrm-controller-manager/1.101.0',
    ],
    ['google-api-go-client/0.5,gzip(gfe)', 'client-library', 'google-api-go-client/0.5'],
    ['gl-node/20.19.0 gax/4.6.1 gapic/3.3.0 gccl/3.3.0,gzip(gfe)', 'client-library', 'gl-node/20.19.0'],
    ['gl-python/3.12.3 grpc/1.66.1 gax/2.21.0,gzip(gfe)', 'client-library', 'gl-python/3.12.3'],
    ['google-api-python-client/2.151.0 (gzip),gzip(gfe)', 'client-library', 'google-api-python-client/2.151.0'],
    ['gcloud-golang/0.1 grpc-go/1.60.1,gzip(gfe)', 'client-library', 'gcloud-golang/0.1'],
    ['grpc-java-netty/1.62.2,gzip(gfe)', 'client-library', 'grpc-java-netty/1.62.2'],
    ['curl', 'other', 'curl'],
    ['curl/8.5.0,gzip(gfe)', 'other', 'curl/8.5.0'],
    ['', 'unknown', ''],
  ])('reads %s as %s (%s)', (ua, tool, toolDetail) => {
    expect(toolOf(ua)).toEqual({ tool, toolDetail });
  });
});

describe('the actor', () => {
  it('makes every missing field an empty string', () => {
    expect(actorOf({})).toEqual({
      caller: '',
      email: '',
      subject: '',
      delegation: [],
      ip: '',
      userAgent: '',
      tool: 'unknown',
      toolDetail: '',
    });
  });

  it('survives fields of the wrong type', () => {
    const pp = {
      authenticationInfo: 'someone',
      requestMetadata: { callerIp: 7, callerSuppliedUserAgent: ['curl'] },
    } as unknown as AuditLog;
    expect(actorOf(pp)).toEqual({
      caller: '',
      email: '',
      subject: '',
      delegation: [],
      ip: '',
      userAgent: '',
      tool: 'unknown',
      toolDetail: '',
    });
  });

  it(
    'keeps the delegation chain in order, ' +
      'taking an e-mail or a federated subject and skipping hops that name nobody',
    () => {
      const pp: AuditLog = {
        authenticationInfo: {
          principalEmail: 'deployer@p.iam.gserviceaccount.com',
          serviceAccountDelegationInfo: [
            {
              principalSubject:
                'principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gh/' +
                'subject/repo:o/r:ref:refs/heads/main',
            },
            { thirdPartyPrincipal: { thirdPartyClaims: {} } },
            { firstPartyPrincipal: { principalEmail: 'broker@ops.iam.gserviceaccount.com' } },
          ],
        },
      };
      expect(actorOf(pp).delegation).toEqual([
        'principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gh/' +
          'subject/repo:o/r:ref:refs/heads/main',
        'broker@ops.iam.gserviceaccount.com',
      ]);
    },
  );

  it('carries the delegation chain of an impersonated deploy first hop first', () => {
    const e = asEvent(
      normalize(load('run-v2-updateservice--impersonated-delegation-chain--constructed.json'), { selfPrincipals: [] }),
    );
    expect(e.actor).toMatchObject({
      email: 'deployer@test-project-1234.iam.gserviceaccount.com',
      subject: 'serviceAccount:deployer@test-project-1234.iam.gserviceaccount.com',
    });
    expect(e.actor.delegation).toEqual(['alex.dev@example.com', 'ci-broker@ops-project.iam.gserviceaccount.com']);
  });

  // Read off each fixture: principalEmail, callerIp, and the tool its user agent names.
  const WHO: Record<string, [string, string, string]> = {
    'run-v1-replaceservice-console-ingress-all.json': [
      'masatonaka1989@gmail.com',
      '2400:4050:8e02:1600:4972:ac1a:6f34:a2b2',
      'console',
    ],
    'run-v1-replaceservice-conflict-error.json': [
      'masatonaka1989@gmail.com',
      '2400:4050:8e02:1600:4972:ac1a:6f34:a2b2',
      'console',
    ],
    'crm-project-setiampolicy-console-add-securityreviewer-2019.json': [
      'smash@smashsecurity.com',
      '12.34.56.78',
      'console',
    ],
    'gcf-v1-setiampolicy-allusers-invoker.json': ['some.user@example.com', '0.0.0.0', 'other'],
    'run-internal-replaceinternalservice--gcf-admin-robot--constructed.json': [
      'service-123456789012@gcf-admin-robot.iam.gserviceaccount.com',
      '',
      'unknown',
    ],
    'run-v2-createservice--operation-last--constructed.json': ['alex.dev@example.com', '', 'unknown'],
    'run-v2-updateservice--self-runguard-revert--constructed.json': [
      'runguard@ops-project.iam.gserviceaccount.com',
      '2600:1900:2000:2a::1',
      'client-library',
    ],
  };
  it.each(Object.entries(WHO))('reads who and how from %s', (file, [email, ip, tool]) => {
    expect(actorOf(load(file).protoPayload!)).toMatchObject({ email, ip, tool });
  });

  it('reads an actor from every fixture without throwing', () => {
    for (const dir of [REAL, CONSTRUCTED]) {
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
        const a = actorOf(JSON.parse(readFileSync(new URL(f, dir), 'utf8')).protoPayload);
        expect(a.email, f).toMatch(/@/);
      }
    }
  });
});
