// IAM read-modify-write with etags, and injected faults, through the real ServicesClient.
import { beforeEach, describe, expect, it } from 'vitest';
import { ServicesClient } from '@google-cloud/run';
import type { MethodName } from './index.js';
import { useCloudRunStandIn } from './use.js';

process.env.METADATA_SERVER_DETECTION = 'none';

const PARENT = 'projects/p1/locations/europe-west1';
const NAME = `${PARENT}/services/hello`;
const INVOKER = 'roles/run.invoker';

const { standIn, client } = useCloudRunStandIn({ client: (s) => new ServicesClient(s.clientOptions) });
beforeEach(() => {
  standIn.reset();
  standIn.seedService({ name: NAME });
  standIn.seedPolicy(NAME, { bindings: [{ role: INVOKER, members: ['allUsers', 'user:alice@example.com'] }] });
});

/** The remediation shape: drop allUsers from the invoker role, keep everyone else, guarded by the etag. */
async function removeAllUsers(): Promise<void> {
  const [policy] = await client.getIamPolicy({ resource: NAME });
  const bindings = (policy.bindings ?? []).map((b) =>
    b.role === INVOKER ? { ...b, members: (b.members ?? []).filter((m) => m !== 'allUsers') } : b,
  );
  await client.setIamPolicy({ resource: NAME, policy: { ...policy, bindings } });
}

describe('Cloud Run stand-in: IAM policies', () => {
  it('getIamPolicy/setIamPolicy with the etag removes allUsers; the etag changes', async () => {
    const before = standIn.policy(NAME)!;
    const [got] = await client.getIamPolicy({ resource: NAME });
    expect(Buffer.isBuffer(got.etag)).toBe(true); // bytes field: a Buffer on the client side
    expect(Buffer.from(got.etag as Uint8Array).equals(before.etag)).toBe(true);
    await removeAllUsers();
    const after = standIn.policy(NAME)!;
    expect(after.bindings).toEqual([{ role: INVOKER, members: ['user:alice@example.com'] }]);
    expect(after.etag.equals(before.etag)).toBe(false);
  });

  it('setIamPolicy with a stale etag is ABORTED', async () => {
    const [policy] = await client.getIamPolicy({ resource: NAME });
    await client.setIamPolicy({ resource: NAME, policy: { ...policy, bindings: [] } });
    await expect(client.setIamPolicy({ resource: NAME, policy })).rejects.toMatchObject({
      code: 10,
      details:
        'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
    });
  });

  it(
    'a concurrent writer between GetIamPolicy and SetIamPolicy ' + 'makes the client retry the read-modify-write',
    async () => {
      standIn.onBefore(
        'SetIamPolicy',
        (_req, s) => {
          s.seedPolicy(NAME, {
            bindings: [...s.policy(NAME)!.bindings, { role: 'roles/run.developer', members: ['user:bob@example.com'] }],
          });
        },
        { times: 1 },
      );
      await expect(removeAllUsers()).rejects.toMatchObject({ code: 10 });
      await removeAllUsers(); // second attempt reads the other writer's policy and keeps its binding
      expect(standIn.policy(NAME)!.bindings).toEqual([
        { role: INVOKER, members: ['user:alice@example.com'] },
        { role: 'roles/run.developer', members: ['user:bob@example.com'] },
      ]);
      expect(standIn.calls.map((c) => c.method)).toEqual([
        'GetIamPolicy',
        'SetIamPolicy',
        'GetIamPolicy',
        'SetIamPolicy',
      ]);
    },
  );

  it('policies of missing services are NOT_FOUND; malformed members are INVALID_ARGUMENT', async () => {
    await expect(client.getIamPolicy({ resource: `${PARENT}/services/nope` })).rejects.toMatchObject({ code: 5 });
    await expect(
      client.setIamPolicy({
        resource: NAME,
        policy: { bindings: [{ role: INVOKER, members: ['alice@example.com'] }] },
      }),
    ).rejects.toMatchObject({ code: 3 });
    expect(() => standIn.seedPolicy(`${PARENT}/services/nope`, { bindings: [] })).toThrow();
  });
});

describe('Cloud Run stand-in: injected faults', () => {
  it('PERMISSION_DENIED names the permission and resource like real GCP', async () => {
    standIn.fail('SetIamPolicy', { code: 7 });
    await expect(removeAllUsers()).rejects.toMatchObject({
      code: 7,
      details: `Permission 'run.services.setIamPolicy' denied on resource '${NAME}' (or it may not exist).`,
    });
    await removeAllUsers(); // times defaults to 1
  });

  // What the client's own retry settings (services_client_config.json) do with one UNAVAILABLE.
  const cases: { method: MethodName; retried: boolean; call: () => Promise<unknown> }[] = [
    { method: 'GetService', retried: true, call: () => client.getService({ name: NAME }) },
    { method: 'ListServices', retried: true, call: () => client.listServices({ parent: PARENT }) },
    {
      method: 'UpdateService',
      retried: false,
      call: () =>
        client.updateService({
          service: { name: NAME, ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' },
          updateMask: { paths: ['ingress'] },
        }),
    },
    {
      method: 'CreateService',
      retried: false,
      call: () => client.createService({ parent: PARENT, serviceId: 'x', service: {} }),
    },
    { method: 'DeleteService', retried: false, call: () => client.deleteService({ name: NAME }) },
    { method: 'GetIamPolicy', retried: false, call: () => client.getIamPolicy({ resource: NAME }) },
    {
      method: 'SetIamPolicy',
      retried: false,
      call: () => client.setIamPolicy({ resource: NAME, policy: { bindings: [] } }),
    },
  ];
  it.each(cases)('UNAVAILABLE once on $method: retried by default = $retried', async ({ method, retried, call }) => {
    standIn.fail(method, { code: 14 });
    if (retried) {
      await call(); // after a randomised backoff of up to 1 s (retry_params initial_retry_delay 1000 ms)
      expect(standIn.callsTo(method)).toHaveLength(2);
    } else {
      await expect(call()).rejects.toMatchObject({ code: 14 });
      expect(standIn.callsTo(method)).toHaveLength(1);
      await call(); // the fault was used up
    }
  });

  it('UNAVAILABLE on GetOperation fails op.promise() (no retry), checkUpdateServiceProgress retries it', async () => {
    standIn.pendingPolls(1);
    standIn.fail('GetOperation', { code: 14 });
    const [op] = await client.updateService({
      service: { name: NAME, ingress: 'INGRESS_TRAFFIC_NONE' },
      updateMask: { paths: ['ingress'] },
    });
    // Polling reuses UpdateService's call settings (no retryable codes), not the Operations defaults.
    await expect(op.promise()).rejects.toMatchObject({ code: 14 });
    expect(standIn.service(NAME)?.ingress).toBe('INGRESS_TRAFFIC_NONE'); // the write itself went through
    standIn.fail('GetOperation', { code: 14 });
    const resumed = await client.checkUpdateServiceProgress(op.name!);
    expect(standIn.callsTo('GetOperation')).toHaveLength(3); // failed poll, failed check, retried check
    const [result] = await resumed.promise();
    expect(result.ingress).toBe(4);
  });

  it('faults with times queue up and Infinity never runs out', async () => {
    standIn.fail('GetIamPolicy', { code: 13, times: 2 });
    await expect(client.getIamPolicy({ resource: NAME })).rejects.toMatchObject({ code: 13 });
    await expect(client.getIamPolicy({ resource: NAME })).rejects.toMatchObject({ code: 13 });
    await client.getIamPolicy({ resource: NAME });
    standIn.fail('GetIamPolicy', { code: 8, message: 'Quota exceeded', times: Infinity });
    for (let i = 0; i < 3; i++) {
      await expect(client.getIamPolicy({ resource: NAME })).rejects.toMatchObject({
        code: 8,
        details: 'Quota exceeded',
      });
    }
  });
});
