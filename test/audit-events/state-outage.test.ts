// The live path when its Firestore goes away and comes back: a dedicated emulator (not the run's
// shared one), stopped and restarted by PID in the middle of a delivery.
import type { ServicesClient } from '@google-cloud/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleAuditEvent } from '../../functions/audit-events/handler.js';
import { createFirestoreStateStore, type FirestoreStateStore } from '../../functions/state/firestore.js';
import { cloudEventFor, updateServiceEntry } from '../../stand-ins/audit-entries.js';
import { type CloudRunStandIn, startCloudRunStandIn } from '../../stand-ins/cloud-run/index.js';
import { type EmulatorHandle, sdkRoot, startFirestoreEmulator } from '../../stand-ins/emulators.js';
import { harness, newClient } from '../harness.js';

const hasSdk = (() => {
  try {
    return sdkRoot() !== '';
  } catch {
    return false;
  }
})();
const required = ['1', 'true'].includes(process.env.RUNGUARD_REQUIRE_EMULATORS ?? '');
const NAME = 'projects/shop-prod/locations/europe-west1/services/outage';
const SLOW = { timeout: 180_000 };

describe.skipIf(!hasSdk && !required)('auditEvents while Firestore stops and restarts', () => {
  let emulator: EmulatorHandle;
  let run: CloudRunStandIn;
  let client: ServicesClient;
  const stores: FirestoreStateStore[] = [];
  const store = (tag: string) => {
    const s = createFirestoreStateStore({
      emulatorHost: emulator.host,
      projectId: 'runguard-outage',
      prefix: `outage-${tag}`,
      deadlineMs: 15_000,
    });
    stores.push(s);
    return s;
  };
  beforeAll(async () => {
    [emulator, run] = await Promise.all([
      startFirestoreEmulator({ project: 'runguard-outage', log: false }),
      startCloudRunStandIn(),
    ]);
    client = await newClient(run);
  }, 120_000);
  afterAll(async () => {
    await emulator?.stop();
    // Not store.close(): a client whose server went away waits out its own retries first.
    await client?.close();
    await run?.close();
  });

  const restart = async () => {
    await emulator.stop();
    emulator = await startFirestoreEmulator({ project: 'runguard-outage', port: emulator.port, log: false });
  };
  const ingressAll = (insertId: string) =>
    cloudEventFor(
      updateServiceEntry({ name: NAME, insertId, service: { ingress: 'INGRESS_TRAFFIC_ALL' } }),
      `m-${insertId}`,
    );
  const reopen = () => {
    run.seedService({ ...(run.service(NAME) ?? { name: NAME }), ingress: 'INGRESS_TRAFFIC_ALL' });
    run.seedPolicy(NAME, { bindings: [] });
  };

  it(
    'a delivery whose claim was lost (the emulator restarted empty) and taken by another neither overwrites it nor alerts twice',
    SLOW,
    async () => {
      reopen();
      const [a, b] = [harness(run, client), harness(run, client)];
      a.deps.state = store('fence-a');
      b.deps.state = store('fence-a');
      // Delivery a is in the middle of its write when Firestore restarts (its claim is gone) and a
      // redelivery, b, handles the whole entry.
      let second: Awaited<ReturnType<typeof handleAuditEvent>> | undefined;
      const remediate = a.deps.remediate;
      a.deps.remediate = async (...args) => {
        await restart();
        second = await handleAuditEvent(ingressAll('fence-1'), b.deps);
        return remediate(...args);
      };
      const first = await handleAuditEvent(ingressAll('fence-1'), a.deps);
      expect(second?.status).toBe('handled');
      expect(second?.verdicts.map((v) => v.done)).toEqual(['reverted']);
      // a then found the service already safe, and was fenced out before alerting.
      expect(first.status).toBe('duplicate');
      expect(a.logs.find((l) => l.event === 'claim-lost')).toBeDefined();
      expect(a.notifier.alerts).toHaveLength(0);
      expect(b.notifier.alerts).toHaveLength(1);
      expect(run.service(NAME)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
      // b's completion stands: a third delivery is a duplicate.
      const c = harness(run, client);
      c.deps.state = store('fence-a');
      expect((await handleAuditEvent(ingressAll('fence-1'), c.deps)).status).toBe('duplicate');
    },
  );
});
