// remediate() through the real @google-cloud/run client against the gRPC stand-in: what production sends.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { remediate, type RemediateOptions } from '../../functions/remediation/execute.js';
import { createRunPort, toRunPortError } from '../../functions/remediation/run-client.js';
import { RunPortError } from '../../functions/core/google-api-error.js';
import type { RunPort } from '../../functions/remediation/types.js';
import { useCloudRunStandIn } from '../../stand-ins/cloud-run/use.js';

process.env.METADATA_SERVER_DETECTION = 'none';

const NAME = 'projects/p1/locations/europe-west1/services/hello';
const INVOKER = 'roles/run.invoker';
const LB = 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER';

const { standIn, client } = useCloudRunStandIn();
let port: RunPort;
let sleeps: number[];
const opts = (): RemediateOptions => ({ sleep: async (ms) => void sleeps.push(ms) });

beforeAll(() => {
  port = createRunPort(client);
});
beforeEach(() => {
  sleeps = [];
  standIn.reset();
  standIn.seedService({
    name: NAME,
    ingress: 'INGRESS_TRAFFIC_ALL',
    invokerIamDisabled: true,
    labels: { team: 'a' },
    annotations: { note: 'x' },
    template: {
      serviceAccount: 'sa@p1.iam.gserviceaccount.com',
      containers: [{ image: 'gcr.io/p1/app', env: [{ name: 'TOKEN', value: 's3cret' }] }],
    },
  });
  standIn.seedPolicy(NAME, {
    bindings: [
      {
        role: INVOKER,
        members: ['user:alice@example.com', 'allUsers', 'serviceAccount:ci@p1.iam.gserviceaccount.com'],
      },
      { role: 'roles/run.developer', members: ['group:devs@example.com'] },
    ],
  });
});

// Output-only fields the server rewrites on every update; everything else must be as it was.
const stable = ({ etag, generation, observedGeneration, updateTime, lastModifier, ...rest }: Record<string, unknown>) =>
  rest;
const writes = () => standIn.calls.filter((c) => c.method === 'UpdateService' || c.method === 'SetIamPolicy');

describe.each([
  {
    action: 'set-ingress',
    params: { safeIngress: LB },
    field: 'ingress',
    value: LB,
    mask: 'ingress',
    sent: { ingress: LB },
    summary: `set ingress to ${LB} (was INGRESS_TRAFFIC_ALL)`,
    now: `ingress is ${LB}`,
  },
  {
    action: 'enable-invoker-iam-check',
    params: {},
    field: 'invokerIamDisabled',
    value: false,
    mask: 'invoker_iam_disabled',
    sent: { invokerIamDisabled: false },
    summary: 'turned the invoker IAM check back on (invokerIamDisabled was true)',
    now: 'the invoker IAM check is on',
  },
])('$action', ({ action, params, field, value, mask, sent, summary, now }) => {
  it('changes only that field, with an update mask of that path and the etag read', async () => {
    const before = standIn.service(NAME)!;
    const out = await remediate(action, NAME, params, port, opts());
    expect(out).toEqual({ action, status: 'reverted', summary, now, verified: true, attempts: 1 });
    const after = standIn.service(NAME)!;
    expect(after[field]).toBe(value);
    expect(stable(after)).toEqual({ ...stable(before), [field]: value });
    const [update] = standIn.callsTo('UpdateService');
    expect(update?.request).toEqual({
      service: { name: NAME, ...sent, etag: before.etag },
      updateMask: { paths: [mask] },
    });
  });

  it('changes nothing the second time', async () => {
    await remediate(action, NAME, params, port, opts());
    standIn.calls.length = 0;
    const again = await remediate(action, NAME, params, port, opts());
    expect(again).toMatchObject({ status: 'already-safe', verified: true, attempts: 0, now });
    expect(writes()).toEqual([]);
  });

  it('re-reads and retries when another writer changed the service first, keeping their change', async () => {
    standIn.onBefore('UpdateService', (_req, s) => void s.seedService({ ...s.service(NAME), labels: { team: 'b' } }), {
      times: 1,
    });
    const out = await remediate(action, NAME, params, port, opts());
    expect(out).toMatchObject({ status: 'reverted', attempts: 2, verified: true });
    expect(standIn.service(NAME)).toMatchObject({ [field]: value, labels: { team: 'b' } });
    expect(sleeps).toHaveLength(1);
  });

  it.each([
    { case: 'a pending operation', unavailablePolls: 0, polls: 3 }, // 2 pending + done
    { case: 'an operation whose poll is UNAVAILABLE (resumed by name)', unavailablePolls: 1, polls: 4 },
  ])('waits out $case', async ({ unavailablePolls, polls }) => {
    standIn.pendingPolls(2);
    if (unavailablePolls) standIn.fail('GetOperation', { code: 14, times: unavailablePolls });
    expect(await remediate(action, NAME, params, port, opts())).toMatchObject({
      status: 'reverted',
      verified: true,
      attempts: 1,
    });
    expect(standIn.callsTo('UpdateService')).toHaveLength(1);
    expect(standIn.callsTo('GetOperation')).toHaveLength(polls);
  });

  it('reports a service that does not exist as gone, without writing', async () => {
    standIn.reset();
    expect(await remediate(action, NAME, params, port, opts())).toMatchObject({
      status: 'gone',
      attempts: 0,
      verified: false,
    });
    expect(writes()).toEqual([]);
  });
});

describe('set-ingress safety and failures', () => {
  it(
    'the port returns the same canonical service from a read and from an LRO result, ' + 'env values redacted',
    async () => {
      const read = (await port.getService(NAME))!;
      const updated = await port.updateService(NAME, { ingress: LB }, read.etag);
      const { etag } = standIn.service(NAME)!;
      expect(updated).toEqual({ ...read, ingress: LB, generation: '2', lastModifier: 'caller@stand-in.invalid', etag });
      expect(JSON.stringify([read, updated])).not.toContain('s3cret');
    },
  );

  it('refuses INGRESS_TRAFFIC_ALL without calling the API at all', async () => {
    const out = await remediate('set-ingress', NAME, { safeIngress: 'INGRESS_TRAFFIC_ALL' }, port, opts());
    expect(out).toMatchObject({ status: 'failed', attempts: 0, error: { code: 'invalid' } });
    expect(out.error?.message).toContain('never widens access');
    expect(standIn.calls).toEqual([]);
  });

  it('rethrows UNAVAILABLE on UpdateService so Pub/Sub redelivers; the redelivery succeeds', async () => {
    standIn.fail('UpdateService', { code: 14 });
    const err = await remediate('set-ingress', NAME, { safeIngress: LB }, port, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunPortError);
    expect(err).toMatchObject({ code: 'unavailable', grpcCode: 14 });
    expect(await remediate('set-ingress', NAME, { safeIngress: LB }, port, opts())).toMatchObject({
      status: 'reverted',
    });
  });
});

describe('remove-public-members', () => {
  const KEPT = [
    { role: INVOKER, members: ['user:alice@example.com', 'serviceAccount:ci@p1.iam.gserviceaccount.com'] },
    { role: 'roles/run.developer', members: ['group:devs@example.com'] },
  ];

  it('removes allUsers only, writing with the etag read; everything else in the policy stays', async () => {
    const before = standIn.policy(NAME)!;
    const out = await remediate('remove-public-members', NAME, { publicMembers: ['allUsers'] }, port, opts());
    expect(out).toEqual({
      action: 'remove-public-members',
      status: 'reverted',
      verified: true,
      attempts: 1,
      summary: 'removed allUsers from roles/run.invoker; kept 2 other members',
      now: 'no allUsers in the IAM policy',
    });
    const { etag, ...after } = standIn.policy(NAME)!;
    const { etag: read, ...rest } = before;
    expect(after).toEqual({ ...rest, bindings: KEPT });
    expect(etag.equals(read)).toBe(false);
    const sent = standIn.callsTo('SetIamPolicy')[0]?.request.policy as { etag: Uint8Array };
    expect(Buffer.from(sent.etag).equals(read)).toBe(true);
  });

  it('changes nothing the second time', async () => {
    await remediate('remove-public-members', NAME, {}, port, opts());
    standIn.calls.length = 0;
    expect(await remediate('remove-public-members', NAME, {}, port, opts())).toMatchObject({
      status: 'already-safe',
      attempts: 0,
    });
    expect(writes()).toEqual([]);
  });

  it('keeps a concurrent writer’s member after an etag conflict and retries once', async () => {
    standIn.onBefore(
      'SetIamPolicy',
      (_req, s) => {
        s.seedPolicy(NAME, {
          bindings: [...s.policy(NAME)!.bindings, { role: INVOKER, members: ['user:bob@example.com'] }],
        });
      },
      { times: 1 },
    );
    const out = await remediate('remove-public-members', NAME, {}, port, opts());
    expect(out).toMatchObject({ status: 'reverted', attempts: 2, verified: true });
    expect(standIn.policy(NAME)!.bindings).toEqual([...KEPT, { role: INVOKER, members: ['user:bob@example.com'] }]);
    expect(standIn.calls.map((c) => c.method)).toEqual([
      'GetIamPolicy',
      'SetIamPolicy',
      'GetIamPolicy',
      'SetIamPolicy',
      'GetIamPolicy',
    ]);
    expect(sleeps).toHaveLength(1);
  });

  it('stops after maxAttempts when another actor keeps re-adding allUsers', async () => {
    standIn.onBefore('SetIamPolicy', (_req, s) => void s.seedPolicy(NAME, { bindings: s.policy(NAME)!.bindings }));
    const out = await remediate('remove-public-members', NAME, {}, port, { ...opts(), maxAttempts: 3, backoffMs: 100 });
    expect(out).toMatchObject({ status: 'failed', attempts: 3, error: { code: 'conflict' } });
    expect(sleeps.map((ms, i) => ms >= 50 * 2 ** i && ms <= 100 * 2 ** i)).toEqual([true, true, true]);
  });

  it('turns PERMISSION_DENIED on SetIamPolicy into a failure naming the permission', async () => {
    standIn.fail('SetIamPolicy', { code: 7 });
    const out = await remediate('remove-public-members', NAME, {}, port, opts());
    expect(out).toMatchObject({
      status: 'failed',
      attempts: 1,
      verified: false,
      error: { code: 'permission-denied', permission: 'run.services.setIamPolicy' },
    });
    expect(standIn.policy(NAME)!.bindings[0]!.members).toContain('allUsers');
  });

  it('writes a conditional binding back whole, as a version 3 policy', async () => {
    const condition = {
      expression: 'request.time < timestamp("2030-01-01T00:00:00Z")',
      title: 'temp',
      description: 'd',
    };
    standIn.seedPolicy(NAME, {
      version: 3,
      bindings: [{ role: INVOKER, members: ['allUsers', 'user:c@example.com'], condition }],
    });
    await remediate('remove-public-members', NAME, {}, port, opts());
    expect(standIn.policy(NAME)).toMatchObject({
      version: 3,
      bindings: [{ role: INVOKER, members: ['user:c@example.com'], condition }],
    });
  });

  it('reports a service that does not exist as gone', async () => {
    standIn.reset();
    expect(await remediate('remove-public-members', NAME, {}, port, opts())).toMatchObject({
      status: 'gone',
      attempts: 0,
    });
  });
});

describe('toRunPortError', () => {
  it.each([
    [{ code: 4, details: 'deadline' }, 'unavailable'],
    [{ code: 8, details: 'quota' }, 'unavailable'],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'unavailable'],
    [{ code: 9, details: 'etag mismatch' }, 'conflict'],
    [{ code: 9, details: 'service is being deleted' }, 'unknown'],
    [{ code: 3, details: 'bad' }, 'invalid'],
    [new TypeError('x is not a function'), 'unknown'],
  ])('%o → %s', (err, code) => expect(toRunPortError(err).code).toBe(code));

  it('prefers the permission from ErrorInfo', () => {
    expect(
      toRunPortError({ code: 7, details: 'denied', errorInfoMetadata: { permission: 'run.services.update' } })
        .permission,
    ).toBe('run.services.update');
  });
});
