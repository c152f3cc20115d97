import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { PubSub, type Topic } from '@google-cloud/pubsub';
import type { ServicesClient } from '@google-cloud/run';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { handleAuditEvent } from '../../functions/audit-events/handler.js';
import { type CloudRunStandIn, startCloudRunStandIn } from '../../stand-ins/cloud-run/index.js';
import { updateServiceEntry } from '../../stand-ins/audit-entries.js';
import { type Harness, harness, newClient } from '../harness.js';

// The whole live path as deployed: the real Pub/Sub emulator pushes to the function served by the
// Functions Framework over HTTP, which reads and reverts through the real Cloud Run client.

const host = inject('pubsubHost');
const PROJECT = 'runguard-test';
const PROD = 'projects/shop-prod/locations/europe-west1/services';

describe.skipIf(!host)('auditEvents through the Pub/Sub emulator and the Functions Framework', () => {
  let standIn: CloudRunStandIn;
  let client: ServicesClient;
  let server: Server;
  let pubsub: PubSub;
  let topic: Topic;
  let h: Harness;

  beforeAll(async () => {
    standIn = await startCloudRunStandIn();
    client = await newClient(standIn);
    h = harness(standIn, client);
    ff.cloudEvent('auditEventsE2E', (event: ff.CloudEvent<unknown>) =>
      handleAuditEvent(event, h.deps).then(() => undefined),
    );
    server = getTestServer('auditEventsE2E');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: host, emulatorMode: true });
    [topic] = await pubsub.createTopic(`audit-${Date.now()}`);
    // The push path names the topic so the Functions Framework builds the CloudEvent source from it.
    await topic.createSubscription(`push-${Date.now()}`, {
      pushConfig: {
        pushEndpoint: `http://127.0.0.1:${port}/projects/${PROJECT}/topics/${topic.name.split('/').pop()}`,
      },
      ackDeadlineSeconds: 10,
    });
  });

  afterAll(async () => {
    await topic?.delete().catch(() => {});
    await pubsub?.close();
    await new Promise((resolve) => server?.close(resolve));
    await client?.close();
    await standIn?.close();
  });

  const publish = (entry: unknown) =>
    topic.publishMessage({ data: Buffer.from(typeof entry === 'string' ? entry : JSON.stringify(entry)) });
  const alertsFor = (name: string) => h.notifier.alerts.filter((a) => a.change.resource === name);

  it('reverts an insecure change pushed by Pub/Sub', async () => {
    const name = `${PROD}/e2e-revert`;
    standIn.seedService({ name, ingress: 'INGRESS_TRAFFIC_ALL' });
    standIn.seedPolicy(name, { bindings: [] });
    await publish(updateServiceEntry({ name, insertId: 'e2e-1', service: { ingress: 'INGRESS_TRAFFIC_ALL' } }));
    await expect
      .poll(() => standIn.service(name)!.ingress, { timeout: 10_000 })
      .toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    await expect.poll(() => alertsFor(name).map((a) => a.verdict.done), { timeout: 5_000 }).toEqual(['reverted']);
  });

  it('acts once when the same entry arrives in two messages', async () => {
    const name = `${PROD}/e2e-twice`;
    standIn.seedService({ name, ingress: 'INGRESS_TRAFFIC_ALL' });
    standIn.seedPolicy(name, { bindings: [] });
    const entry = updateServiceEntry({ name, insertId: 'e2e-2', service: { ingress: 'INGRESS_TRAFFIC_ALL' } });
    await Promise.all([publish(entry), publish(entry)]);
    await expect
      .poll(() => h.logs.filter((l) => l.event === 'duplicate' && l.insertId === 'e2e-2').length, { timeout: 10_000 })
      .toBe(1);
    expect(
      standIn.callsTo('UpdateService').filter((c) => (c.request.service as { name: string }).name === name),
    ).toHaveLength(1);
    expect(alertsFor(name)).toHaveLength(1);
  });

  it('acknowledges a poison message instead of looping on it', async () => {
    await publish('{"not": "an audit entry"');
    await expect.poll(() => h.logs.filter((l) => l.event === 'malformed').length, { timeout: 10_000 }).toBe(1);
    // The emulator redelivers a failed push after about a second; give it three.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(h.logs.filter((l) => l.event === 'malformed')).toHaveLength(1);
  });

  it('is redelivered after Cloud Run was UNAVAILABLE and reverts on the next attempt', async () => {
    const name = `${PROD}/e2e-unavailable`;
    standIn.seedService({ name, ingress: 'INGRESS_TRAFFIC_ALL' });
    standIn.seedPolicy(name, { bindings: [] });
    standIn.fail('UpdateService', { code: 14, times: 1 });
    await publish(updateServiceEntry({ name, insertId: 'e2e-3', service: { ingress: 'INGRESS_TRAFFIC_ALL' } }));
    await expect
      .poll(() => standIn.service(name)!.ingress, { timeout: 15_000 })
      .toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    expect(h.logs.some((l) => l.event === 'transient' && l.insertId === 'e2e-3')).toBe(true);
    await expect.poll(() => alertsFor(name).length, { timeout: 5_000 }).toBe(1);
  });
});
