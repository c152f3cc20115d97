import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emptyService } from '../../functions/core/service.js';
import type { ChangeEvent, LogEntry } from '../../functions/core/types.js';
import { REDACTED } from '../../functions/core/types.js';
import { normalize } from '../../functions/events/normalize.js';
import { fromV1, fromV2, isV1Service, toRunService } from '../../functions/events/run-service.js';

const REAL = new URL('../fixtures/auditlogs/real/', import.meta.url);
const CONSTRUCTED = new URL('../fixtures/auditlogs/', import.meta.url);
const load = (name: string): LogEntry =>
  JSON.parse(readFileSync(new URL(name, name.includes('--constructed') ? CONSTRUCTED : REAL), 'utf8')) as LogEntry;
const run = (entry: LogEntry) => normalize(entry, { selfPrincipals: [] });
const asEvent = (r: ReturnType<typeof run>): ChangeEvent => {
  if ('error' in r || 'skipped' in r) throw new Error(`expected a change, got ${JSON.stringify(r)}`);
  return r;
};
const pp = (e: LogEntry) => e.protoPayload as Record<string, any>;
const NAME = 'projects/p/locations/us-central1/services/s';
const v1 = (annotations: Record<string, string>, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: { annotations },
  spec,
});

describe('v1 Knative services', () => {
  const real = pp(load('run-v1-replaceservice-console-ingress-all.json'));

  it('maps the real console response: creator, client, uid, generation as a string, labels and URL', () => {
    const s = fromV1(real.response, NAME);
    expect(s).toMatchObject({
      name: NAME,
      uid: 'f6b44b02-8b4a-4f6b-b064-3002f690559e',
      generation: '23',
      creator: 'masatonaka1989@gmail.com',
      lastModifier: 'masatonaka1989@gmail.com',
      client: 'cloud-console',
      ingress: 'INGRESS_TRAFFIC_ALL',
      labels: { 'cloud.googleapis.com/location': 'asia-northeast1' },
      uri: 'https://cloud-run-slack-bot-cznco5ogzq-an.a.run.app',
    });
    expect(s.template.annotations['autoscaling.knative.dev/maxScale']).toBe('100');
    expect(s.template.labels).toEqual({ 'run.googleapis.com/startupProbeType': 'Default' });
  });

  it('reads the launch stage the console request carries (ALPHA)', () => {
    expect(fromV1(real.request.service, NAME).launchStage).toBe('ALPHA');
  });

  it.each([
    ['all', 'INGRESS_TRAFFIC_ALL'],
    ['internal', 'INGRESS_TRAFFIC_INTERNAL_ONLY'],
    ['internal-and-cloud-load-balancing', 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER'],
    ['sideways', 'INGRESS_TRAFFIC_UNSPECIFIED'],
    ['toString', 'INGRESS_TRAFFIC_UNSPECIFIED'],
  ])('maps the ingress annotation %s to %s', (value, ingress) => {
    expect(fromV1(v1({ 'run.googleapis.com/ingress': value }), NAME).ingress).toBe(ingress);
  });

  it('ignores the server-owned ingress-status annotation', () => {
    expect(fromV1(v1({ 'run.googleapis.com/ingress-status': 'all' }), NAME).ingress).toBe(
      'INGRESS_TRAFFIC_UNSPECIFIED',
    );
  });

  it('reads invoker-iam-disabled only when it is the string "true"', () => {
    expect(fromV1(v1({ 'run.googleapis.com/invoker-iam-disabled': 'true' }), NAME).invokerIamDisabled).toBe(true);
    expect(fromV1(v1({ 'run.googleapis.com/invoker-iam-disabled': 'false' }), NAME).invokerIamDisabled).toBe(false);
  });

  it('reads binary authorization: "default" means the default policy, anything else names a policy', () => {
    expect(
      fromV1(
        v1({
          'run.googleapis.com/binary-authorization': 'default',
          'run.googleapis.com/binary-authorization-breakglass': 'outage',
        }),
        NAME,
      ).binaryAuthorization,
    ).toEqual({ useDefault: true, policy: '', breakglassJustification: 'outage' });
    expect(
      fromV1(v1({ 'run.googleapis.com/binary-authorization': 'projects/p/platforms/cloudRun/policies/strict' }), NAME)
        .binaryAuthorization,
    ).toEqual({
      useDefault: false,
      policy: 'projects/p/platforms/cloudRun/policies/strict',
      breakglassJustification: '',
    });
  });

  it('maps containers, redacting literal env values and mapping secretKeyRef name/key to secret/version', () => {
    const spec = {
      template: {
        metadata: { name: 's-00002-abc' },
        spec: {
          serviceAccountName: 'sa@p.iam.gserviceaccount.com',
          containers: [
            {
              name: 'app',
              image: 'gcr.io/p/app:1',
              env: [
                { name: 'A', value: 'not-a-real-password' },
                { name: 'B', value: '' },
                { name: 'C', valueFrom: { secretKeyRef: { name: 'db', key: '4' } } },
              ],
            },
          ],
        },
      },
    };
    const s = fromV1(v1({}, spec), NAME);
    expect(s.template.revision).toBe('s-00002-abc');
    expect(s.template.serviceAccount).toBe('sa@p.iam.gserviceaccount.com');
    expect(s.template.containers).toEqual([
      {
        name: 'app',
        image: 'gcr.io/p/app:1',
        env: [
          { name: 'A', value: REDACTED, valueSource: { secretKeyRef: { secret: '', version: '' } } },
          { name: 'B', value: '', valueSource: { secretKeyRef: { secret: '', version: '' } } },
          { name: 'C', value: '', valueSource: { secretKeyRef: { secret: 'db', version: '4' } } },
        ],
      },
    ]);
    expect(JSON.stringify(s)).not.toContain('not-a-real-password');
  });

  it('redacts the kubectl last-applied-configuration annotation, which echoes env values', () => {
    const s = fromV1(
      v1({ 'kubectl.kubernetes.io/last-applied-configuration': '{"env":[{"value":"not-a-real-password"}]}' }),
      NAME,
    );
    expect(s.annotations['kubectl.kubernetes.io/last-applied-configuration']).toBe(REDACTED);
  });
});

describe('v2 services', () => {
  it.each([
    [0, 'INGRESS_TRAFFIC_UNSPECIFIED'],
    [1, 'INGRESS_TRAFFIC_ALL'],
    [2, 'INGRESS_TRAFFIC_INTERNAL_ONLY'],
    [3, 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER'],
    [4, 'INGRESS_TRAFFIC_NONE'],
    [9, 'INGRESS_TRAFFIC_UNSPECIFIED'],
    ['INGRESS_TRAFFIC_NONE', 'INGRESS_TRAFFIC_NONE'],
    ['all', 'INGRESS_TRAFFIC_UNSPECIFIED'],
  ])('reads ingress %s as %s', (ingress, want) => {
    expect(fromV2({ ingress }, NAME).ingress).toBe(want);
  });

  it('reads launch stages as names or google.api.LaunchStage numbers', () => {
    expect(fromV2({ launchStage: 3 }, NAME).launchStage).toBe('BETA');
    expect(fromV2({ launch_stage: 'GA' }, NAME).launchStage).toBe('GA');
    expect(fromV2({ launchStage: 'LAUNCH_STAGE_UNSPECIFIED' }, NAME).launchStage).toBe('');
  });

  it('reads snake_case the same as camelCase', () => {
    const camel = fromV2(
      {
        invokerIamDisabled: true,
        defaultUriDisabled: true,
        lastModifier: 'a@b.c',
        binaryAuthorization: { useDefault: true, breakglassJustification: 'why' },
        template: {
          serviceAccount: 'sa@x',
          containers: [{ env: [{ name: 'K', valueSource: { secretKeyRef: { secret: 's', version: '1' } } }] }],
        },
      },
      NAME,
    );
    const snake = fromV2(
      {
        invoker_iam_disabled: true,
        default_uri_disabled: true,
        last_modifier: 'a@b.c',
        binary_authorization: { use_default: true, breakglass_justification: 'why' },
        template: {
          service_account: 'sa@x',
          containers: [{ env: [{ name: 'K', value_source: { secret_key_ref: { secret: 's', version: '1' } } }] }],
        },
      },
      NAME,
    );
    expect(snake).toEqual(camel);
    expect(camel.template.containers[0]!.env[0]!.valueSource.secretKeyRef).toEqual({ secret: 's', version: '1' });
  });

  it('gives every field its zero value when the object is empty or has wrong types', () => {
    expect(fromV2({}, NAME)).toEqual(emptyService(NAME));
    expect(
      fromV2({ labels: 'x', template: [], generation: {}, ingress: null, binaryAuthorization: 'yes' }, NAME),
    ).toEqual(emptyService(NAME));
    expect(Object.keys(fromV1({}, NAME)).sort()).toEqual(Object.keys(emptyService()).sort());
  });

  it('redacts a numeric literal env value too', () => {
    expect(
      fromV2({ template: { containers: [{ env: [{ name: 'PORT_SECRET', value: 4242 }] }] } }, NAME).template
        .containers[0]!.env[0]!.value,
    ).toBe(REDACTED);
  });

  it('tells v1 from v2 by shape and names the result canonically', () => {
    expect(isV1Service({ apiVersion: 'serving.knative.dev/v1' })).toBe(true);
    expect(isV1Service({ template: {} })).toBe(false);
    expect(toRunService({ name: 'short', ingress: 'INGRESS_TRAFFIC_ALL' }, NAME)).toMatchObject({
      name: NAME,
      ingress: 'INGRESS_TRAFFIC_ALL',
    });
  });
});

describe('Cloud Run changes through normalize', () => {
  const CREATE = 'run-v2-createservice--lro-first-ingress-all-env-secrets--constructed.json';

  it('reads a v2 create from the request when the response is only an Operation', () => {
    const e = asEvent(run(load(CREATE)));
    const s = e.service!;
    expect(e.serviceSource).toBe('request');
    expect(e.operation).toEqual({
      id: 'projects/test-project-1234/locations/us-central1/operations/5c1f7e2a-9d34-4b6e-a0c1-7f2e8d9b3a41',
      producer: 'run.googleapis.com',
      first: true,
      last: false,
    });
    expect(s.ingress).toBe('INGRESS_TRAFFIC_ALL');
    expect(s.template.serviceAccount).toBe('123456789012-compute@developer.gserviceaccount.com');
    expect(s.binaryAuthorization).toEqual({
      useDefault: true,
      policy: '',
      breakglassJustification: 'INC-4711 hotfix approved by on-call (constructed)',
    });
    expect(s.template.containers[0]!.env).toEqual([
      { name: 'DB_PASSWORD', value: REDACTED, valueSource: { secretKeyRef: { secret: '', version: '' } } },
      {
        name: 'API_KEY',
        value: '',
        valueSource: { secretKeyRef: { secret: 'projects/123456789012/secrets/payments-api-key', version: 'latest' } },
      },
      { name: 'LOG_LEVEL', value: REDACTED, valueSource: { secretKeyRef: { secret: '', version: '' } } },
    ]);
    expect(s.launchStage).toBe('GA');
    expect(s.labels).toEqual({ team: 'payments', env: 'prod' });
  });

  it('gives a create that sets no ingress the Cloud Run default INGRESS_TRAFFIC_ALL', () => {
    const entry = load(CREATE);
    delete pp(entry).request.service.ingress;
    expect(asEvent(run(entry)).service!.ingress).toBe('INGRESS_TRAFFIC_ALL');
  });

  it('does not invent an ingress for an update that sets none', () => {
    const entry = load('run-v2-updateservice--impersonated-delegation-chain--constructed.json');
    delete pp(entry).request.service.ingress;
    expect(asEvent(run(entry)).service!.ingress).toBe('INGRESS_TRAFFIC_UNSPECIFIED');
  });

  it('prefers the Service inside a finished Operation over the request', () => {
    const entry = load(CREATE);
    pp(entry).response = {
      '@type': 'type.googleapis.com/google.longrunning.Operation',
      done: true,
      response: {
        '@type': 'type.googleapis.com/google.cloud.run.v2.Service',
        ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
        uri: 'https://payments-api-abc-uc.a.run.app',
      },
    };
    const e = asEvent(run(entry));
    expect(e.serviceSource).toBe('response');
    expect(e.service).toMatchObject({
      ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
      uri: 'https://payments-api-abc-uc.a.run.app',
      name: 'projects/test-project-1234/locations/us-central1/services/payments-api',
    });
  });

  it('reads an update mask given as {paths}, as a comma string, and in snake_case', () => {
    expect(asEvent(run(load('run-v2-updateservice--mask-ingress-internal-only--constructed.json'))).updateMask).toEqual(
      ['ingress'],
    );
    expect(asEvent(run(load('run-v2-updateservice--invoker-iam-disabled--constructed.json'))).updateMask).toEqual([
      'invoker_iam_disabled',
      'ingress',
    ]);
    expect(
      asEvent(run(load('iam-v1-setiampolicy--serviceaccount-user-snake-case--constructed.json'))).updateMask,
    ).toEqual(['bindings', 'etag']);
  });

  it('sees INTERNAL_ONLY on the masked update and invokerIamDisabled on the snake_case one', () => {
    expect(
      asEvent(run(load('run-v2-updateservice--mask-ingress-internal-only--constructed.json'))).service!.ingress,
    ).toBe('INGRESS_TRAFFIC_INTERNAL_ONLY');
    const s = asEvent(run(load('run-v2-updateservice--invoker-iam-disabled--constructed.json'))).service!;
    expect(s.invokerIamDisabled).toBe(true);
    expect(s.ingress).toBe('INGRESS_TRAFFIC_ALL'); // given as the enum number 1
    expect(s.template.containers[0]!.env[0]!.valueSource.secretKeyRef).toEqual({
      secret: 'webhook-signing-key',
      version: '3',
    });
  });

  it(
    'reads a gcloud v1 create from the response, ' +
      'finding the location in resource.labels when parent is namespaces/<id>',
    () => {
      const e = asEvent(run(load('run-v1-createservice--gcloud-invoker-iam-disabled--constructed.json')));
      expect(e.resource.location).toBe('us-central1');
      expect(e.service).toMatchObject({
        ingress: 'INGRESS_TRAFFIC_ALL',
        invokerIamDisabled: true,
        creator: 'sam.builder@example.com',
        generation: '1',
      });
      expect(e.service!.template.revision).toBe('hello-public-00001-vzq');
      expect(
        e.service!.template.containers[0]!.env.map((v) => [v.name, v.value, v.valueSource.secretKeyRef.secret]),
      ).toEqual([
        ['SESSION_SECRET', REDACTED, ''],
        ['API_TOKEN', '', 'hello-api-token'],
      ]);
      expect(e.actor.toolDetail).toBe('gcloud.run.deploy');
    },
  );

  it('falls back to the request of a v1 create with no response, and then defaults ingress to all', () => {
    const entry = load('run-v1-createservice--gcloud-invoker-iam-disabled--constructed.json');
    delete pp(entry).response;
    const e = asEvent(run(entry));
    expect(e.serviceSource).toBe('request');
    expect(e.service).toMatchObject({ ingress: 'INGRESS_TRAFFIC_ALL', invokerIamDisabled: true, creator: '' });
  });

  it('names the missing location when neither labels nor resourceLocation nor the request have one', () => {
    const entry = load('run-v1-createservice--gcloud-invoker-iam-disabled--constructed.json');
    delete entry.resource!.labels!.location;
    delete pp(entry).resourceLocation;
    expect(run(entry)).toEqual({ error: expect.stringContaining('location missing') });
  });

  it('names a Run SetIamPolicy resource from resourceName although service_name is "", and carries no service', () => {
    const e = asEvent(run(load('run-v2-setiampolicy--allauthenticatedusers-invoker--constructed.json')));
    expect(e.service).toBeNull();
    expect(e.deltas.map((d) => [d.member, d.memberType])).toEqual([
      ['allAuthenticatedUsers', 'allAuthenticatedUsers'],
      ['group:dashboard-users@example.com', 'group'],
    ]);
    const v1 = asEvent(run(load('run-v1-setiampolicy--allusers-invoker--constructed.json')));
    expect(v1.policy!.etag).toBe('BwYQ4ab2xq8=');
    expect(v1.deltas.find((d) => d.role === 'roles/run.invoker')!.member).toBe('allUsers');
  });
});
