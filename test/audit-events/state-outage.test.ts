// The live path when its Firestore goes away and comes back: a dedicated emulator (not the run's
// shared one), stopped and restarted by PID in the middle of a delivery.
import type { ServicesClient } from '@google-cloud/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleAuditEvent } from '../../functions/audit-events/handler.js';
import { BREAKGLASS_CACHE_MS, BreakglassCache } from '../../functions/enforcement/breakglass-cache.js';
import type { BreakglassExemption } from '../../functions/state/types.js';
import { createFirestoreStateStore, type FirestoreStateStore } from '../../functions/state/firestore.js';
import { cloudEventFor, updateServiceEntry } from '../../stand-ins/audit-entries.js';
import { type CloudRunStandIn, startCloudRunStandIn } from '../../stand-ins/cloud-run/index.js';
import {
  type EmulatorHandle,
  emulatorsRequired,
  hasEmulatorSdk,
  startFirestoreEmulator,
} from '../../stand-ins/emulators.js';
import { CONFIG, harness, newClient } from '../harness.js';

const NAME = 'projects/shop-prod/locations/europe-west1/services/outage';
const SLOW = { timeout: 180_000 };

describe.skipIf(!hasEmulatorSdk() && !emulatorsRequired())('auditEvents while Firestore stops and restarts', () => {
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
  const ingressAll = (insertId: string, name = NAME) =>
    cloudEventFor(updateServiceEntry({ name, insertId, service: { ingress: 'INGRESS_TRAFFIC_ALL' } }), `m-${insertId}`);
  const reopen = (name = NAME) => {
    run.seedService({ ...(run.service(name) ?? { name }), ingress: 'INGRESS_TRAFFIC_ALL' });
    run.seedPolicy(name, { bindings: [] });
  };

  it(
    'a delivery whose claim was lost (the emulator restarted empty) and taken by another ' +
      'neither overwrites it nor alerts twice',
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
  it(
    'with Firestore stopped mid-run, the live path still reverts and alerts, ' +
      'says what it could not read, ' +
      'and applies config and recently read breakglass exemptions',
    SLOW,
    async () => {
      const svc = (s: string) => `projects/shop-prod/locations/europe-west1/services/${s}`;
      const [mid, exempt, plain, reviewed] = [svc('mid'), svc('exempt'), svc('plain'), svc('reviewed')];
      const config = `${CONFIG}exemptions:
  - { resource: "${reviewed}", rule: run-ingress-all, reason: reviewed in SEC-1, expires: 2099-01-01 }
`;
      const h = harness(run, client, config);
      h.deps.state = createFirestoreStateStore({
        emulatorHost: emulator.host,
        projectId: 'runguard-outage',
        prefix: 'outage-down',
        deadlineMs: 1_500,
      });
      h.deps.breakglass = new BreakglassCache();
      const now = h.clock.now;
      const created = new Date(now).toISOString();
      const exemption: BreakglassExemption = {
        id: `run-ingress-all|${exempt}|${created}`,
        findingKey: `run-ingress-all|${exempt}`,
        rule: 'run-ingress-all',
        resource: exempt,
        reason: 'load test, INC-7',
        expires: new Date(now + 4 * 3_600_000).toISOString(),
        approvedBy: 'alice@example.com',
        source: 'breakglass',
        requester: 'dev@example.com',
        createdAt: created,
        slackUserId: 'U0ALICE',
        slackMessage: null,
      };
      await h.deps.state.recordExemption(exemption, now);
      for (const name of [mid, exempt, plain, reviewed]) reopen(name);
      // Read while the store is up: the exemption holds, and this instance remembers it.
      const first = await handleAuditEvent(ingressAll('down-0', exempt), h.deps);
      expect(first.verdicts.map((v) => v.done)).toEqual(['exempt']);

      // Firestore stops in the middle of a delivery, after its claim: the revert and the alert still happen.
      const remediate = h.deps.remediate;
      h.deps.remediate = async (...args) => {
        await emulator.stop();
        return remediate(...args);
      };
      const during = await handleAuditEvent(ingressAll('down-1', mid), h.deps);
      h.deps.remediate = remediate;
      expect(during.status).toBe('handled');
      expect(run.service(mid)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
      const alertOf = (name: string) => h.notifier.alerts.filter((a) => a.change.resource === name).at(-1)!.verdict;
      expect(alertOf(mid)).toMatchObject({
        done: 'reverted',
        summary: expect.stringMatching(/duplicate alert is possible/),
      });

      // Firestore is down from the start of these deliveries.
      h.clock.now += 60_000;
      const results = [];
      for (const [i, name] of [plain, reviewed, exempt].entries())
        results.push(await handleAuditEvent(ingressAll(`down-${2 + i}`, name), h.deps));
      expect(results.map((r) => r.status)).toEqual(['handled', 'handled', 'handled']);
      expect(run.service(plain)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
      expect(alertOf(plain).done).toBe('reverted');
      expect(alertOf(plain).summary).toMatch(/breakglass exemptions could not be read/);
      expect(alertOf(plain).summary).toMatch(/duplicate alert is possible/);
      // The configuration's exemptions always apply.
      expect(run.service(reviewed)!.ingress).toBe('INGRESS_TRAFFIC_ALL');
      expect(alertOf(reviewed).done).toBe('exempt');
      // A breakglass exemption this instance read a minute ago still holds, and the alert says where it came from.
      expect(run.service(exempt)!.ingress).toBe('INGRESS_TRAFFIC_ALL');
      expect(alertOf(exempt)).toMatchObject({
        done: 'exempt',
        summary: expect.stringMatching(/as this instance read them 60 s ago/),
      });
      expect(h.logs.filter((l) => l.event === 'state-unavailable').length).toBeGreaterThanOrEqual(4);

      // Past the cache's length the exemption is no longer known: runguard reverts (the safe side) and says why.
      h.clock.now += BREAKGLASS_CACHE_MS;
      await handleAuditEvent(ingressAll('down-5', exempt), h.deps);
      expect(run.service(exempt)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
      expect(alertOf(exempt)).toMatchObject({
        done: 'reverted',
        summary: expect.stringMatching(/breakglass exemptions could not be read/),
      });
    },
  );
});
