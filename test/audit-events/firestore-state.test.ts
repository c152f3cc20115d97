import { afterAll, describe, expect, inject, it } from 'vitest';
import { handleAuditEvent } from '../../functions/audit-events/handler.js';
import { createFirestoreStateStore, type FirestoreStateStore } from '../../functions/state/firestore.js';
import { useCloudRunStandIn } from '../../stand-ins/cloud-run/use.js';
import { cloudEventFor, updateServiceEntry } from '../../stand-ins/audit-entries.js';
import { harness } from '../harness.js';

// The live path on the state it has in production: claims and breakglass exemptions in Firestore
// (the real emulator), so that every instance sees them.
const host = inject('firestoreHost');
const NAME = 'projects/shop-prod/locations/europe-west1/services/firestore-backed';

describe.skipIf(!host)('auditEvents with Firestore state', () => {
  const { standIn: run, client } = useCloudRunStandIn();
  const stores: FirestoreStateStore[] = [];
  const store = () => {
    const s = createFirestoreStateStore({ emulatorHost: host, prefix: `live-${Date.now()}-${stores.length}` });
    stores.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of stores) await s.close();
  });

  const ingressAll = (insertId: string) =>
    cloudEventFor(
      updateServiceEntry({ name: NAME, insertId, service: { ingress: 'INGRESS_TRAFFIC_ALL' } }),
      `m-${insertId}`,
    );
  const reopen = () => run.seedService({ ...(run.service(NAME) ?? { name: NAME }), ingress: 'INGRESS_TRAFFIC_ALL' });

  it('handles a message delivered to two instances once', async () => {
    reopen();
    run.seedPolicy(NAME, { bindings: [] });
    const shared = store();
    const [a, b] = [harness(run, client), harness(run, client)];
    a.deps.state = shared;
    b.deps.state = shared;
    const before = run.callsTo('UpdateService').length;
    const results = await Promise.allSettled([
      handleAuditEvent(ingressAll('fs-dup'), a.deps),
      handleAuditEvent(ingressAll('fs-dup'), b.deps),
    ]);
    // One instance handles it; the other either sees it done or is told to come back later (busy).
    expect(results.filter((r) => r.status === 'fulfilled' && r.value.status === 'handled')).toHaveLength(1);
    expect(run.callsTo('UpdateService').length - before).toBe(1);
    expect(a.notifier.alerts.length + b.notifier.alerts.length).toBe(1);
  });

  it('honours a breakglass exemption recorded by another instance, and reverts once it has expired', async () => {
    const shared = store();
    const h = harness(run, client);
    h.deps.state = shared;
    const now = h.clock.now;
    const created = new Date(now).toISOString();
    await shared.recordExemption(
      {
        id: `run-ingress-all|${NAME}|${created}`,
        findingKey: `run-ingress-all|${NAME}`,
        rule: 'run-ingress-all',
        resource: NAME,
        reason: 'load test behind the public URL, INC-42',
        expires: new Date(now + 3_600_000).toISOString(),
        approvedBy: 'alice@example.com',
        source: 'breakglass',
        requester: 'dev@example.com',
        createdAt: created,
        slackUserId: 'U0ALICE',
        slackMessage: null,
      },
      now,
    );
    reopen();
    await handleAuditEvent(ingressAll('fs-exempt-1'), h.deps);
    expect(run.service(NAME)!.ingress).toBe('INGRESS_TRAFFIC_ALL');
    expect(h.notifier.alerts.at(-1)!.verdict).toMatchObject({
      done: 'exempt',
      decision: { exemption: { approvedBy: 'alice@example.com' } },
    });

    h.clock.now += 2 * 3_600_000;
    await handleAuditEvent(ingressAll('fs-exempt-2'), h.deps);
    expect(run.service(NAME)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    const last = h.notifier.alerts.at(-1)!.verdict;
    expect(last.done).toBe('reverted');
    expect(last.decision.reason).toMatch(/exemption expired/);
  });
});
