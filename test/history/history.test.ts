import { afterAll, describe, expect, inject, it } from 'vitest';
import { handleAuditEvent } from '../../functions/audit-events/handler.js';
import type { DecisionRecord } from '../../functions/history/types.js';
import { handleReconcile } from '../../functions/reconcile/run.js';
import { createRunInventory } from '../../functions/remediation/run-client.js';
import { createFirestoreStateStore, type FirestoreStateStore } from '../../functions/state/firestore.js';
import { connectFirestore } from '../../functions/state/firestore-support.js';
import { MemoryStateStore } from '../../functions/state/memory.js';
import type { StateStore } from '../../functions/state/types.js';
import { cloudEventFor, updateServiceEntry } from '../../stand-ins/audit-entries.js';
import { useCloudRunStandIn } from '../../stand-ins/cloud-run/use.js';
import { harness } from '../harness.js';

// History as the weekly report and `runguard recommend` read it: one record per verdict, written by
// the live path with its checkpoint and by the sweep, read back by time range, on both stores.

const host = inject('firestoreHost');
const NAME = 'projects/shop-prod/locations/europe-west1/services/history';
const DAY = 86_400_000;
const stores: FirestoreStateStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

type Made = { store: StateStore; prefix: string };
const kinds: Array<[string, (() => Made) | null]> = [
  ['memory', () => ({ store: new MemoryStateStore(), prefix: '' })],
  [
    'firestore',
    host
      ? () => {
          const prefix = `hist-${Date.now()}-${stores.length}`;
          const s = createFirestoreStateStore({ emulatorHost: host, prefix });
          stores.push(s);
          return { store: s, prefix };
        }
      : null,
  ],
];

const record = (id: string, at: number, over: Partial<DecisionRecord> = {}): DecisionRecord => ({
  id,
  at,
  changedAt: new Date(at - 2000).toISOString(),
  insertId: id.split('|')[0]!,
  method: 'google.cloud.run.v2.Services.UpdateService',
  rule: 'run-ingress-all',
  severity: 'HIGH',
  findingKey: `run-ingress-all|${NAME}`,
  resource: NAME,
  resourceType: 'run.googleapis.com/Service',
  project: 'shop-prod',
  location: 'europe-west1',
  actor: 'dev@example.com',
  principals: ['dev@example.com'],
  done: 'reverted',
  mode: 'enforce',
  foundBy: 'event',
  ...over,
});

describe.each(kinds)('history on the %s store', (_kind, make) => {
  const { standIn: run, client } = useCloudRunStandIn();

  it.skipIf(!make)('the live path writes one record per verdict with its checkpoint, read back by range', async () => {
    const { store } = make!();
    run.seedService({ name: NAME, ingress: 'INGRESS_TRAFFIC_ALL' });
    run.seedPolicy(NAME, { bindings: [] });
    const h = harness(run, client);
    h.deps.state = store;
    const calls: string[] = [];
    const checkpoint = store.checkpoint.bind(store);
    store.checkpoint = (...args) => {
      calls.push(`checkpoint:${args[3]?.decisions?.length ?? 0}`);
      return checkpoint(...args);
    };
    const entry = updateServiceEntry({ name: NAME, insertId: 'hist-1', service: { ingress: 'INGRESS_TRAFFIC_ALL' } });
    const r = await handleAuditEvent(cloudEventFor(entry, 'm-hist-1'), h.deps);
    expect(r.verdicts.map((v) => v.done)).toEqual(['reverted']);
    expect(calls).toEqual(['checkpoint:1']);

    const now = h.clock.now;
    const got = await store.decisions({ since: now - DAY, until: now + 1 });
    expect(got).toHaveLength(1);
    const [rec] = got;
    expect(rec).toMatchObject({
      id: `hist-1|${r.verdicts[0]!.decision.finding.key}`,
      at: now,
      insertId: 'hist-1',
      method: entry.protoPayload!.methodName,
      rule: 'run-ingress-all',
      resource: NAME,
      resourceType: 'run.googleapis.com/Service',
      project: 'shop-prod',
      location: 'europe-west1',
      done: 'reverted',
      mode: 'enforce',
      foundBy: 'event',
    });
    expect(rec!.changedAt).toBe(entry.timestamp);
    expect(rec!.actor).not.toBe('');
    expect(rec!.principals).toContain(rec!.actor);
    // Outside the range, or another project: nothing.
    expect(await store.decisions({ since: now + 1, until: now + DAY })).toEqual([]);
    expect(await store.decisions({ since: now - DAY, until: now })).toEqual([]);
    expect(await store.decisions({ since: now - DAY, until: now + 1, project: 'other-proj' })).toEqual([]);
  });

  it.skipIf(!make)('a redelivery writes the same id: one record, not two', async () => {
    const { store } = make!();
    const at = Date.parse('2026-11-20T08:00:00Z');
    const progress = { verdicts: [], notified: [] };
    const records = { reverts: [], fights: [], decisions: [record('dup-1|k', at)] };
    const claim = await store.claim(['entry:dup-1'], at, 60_000);
    expect(claim.status).toBe('claimed');
    const token = claim.status === 'claimed' ? claim.token : null;
    await store.checkpoint(['entry:dup-1'], token, { now: at, leaseMs: 60_000, progress }, records);
    // Fenced out (a stale token): the records are still written, to the same ids.
    await store.checkpoint(['entry:dup-1'], '1.0', { now: at, leaseMs: 60_000, progress }, records);
    const got = await store.decisions({ since: at - DAY, until: at + DAY });
    expect(got.map((r) => r.id)).toEqual(['dup-1|k']);
    expect(got[0]).toEqual(records.decisions[0]);
  });

  it.skipIf(!make)('orders by time and filters by project; lists only fights still on', async () => {
    const { store } = make!();
    const t = Date.parse('2026-11-16T00:00:00Z');
    await store.recordDecisions([
      record('c|k', t + 3 * DAY),
      record('a|k', t + DAY, { project: 'pay-prod', exemption: 'projects/pay-prod/*', done: 'exempt' }),
      record('b|k', t + 2 * DAY, { insertId: undefined, foundBy: 'sweep', method: 'sweep', actor: '', principals: [] }),
    ]);
    expect((await store.decisions({ since: t, until: t + 7 * DAY })).map((r) => r.id)).toEqual(['a|k', 'b|k', 'c|k']);
    const pay = await store.decisions({ since: t, until: t + 7 * DAY, project: 'pay-prod' });
    expect(pay.map((r) => [r.id, r.exemption])).toEqual([['a|k', 'projects/pay-prod/*']]);
    const sweep = (await store.decisions({ since: t, until: t + 7 * DAY })).find((r) => r.id === 'b|k')!;
    expect('insertId' in sweep).toBe(false);

    await store.setFight('k-on', {
      actor: 'deployer@p.iam.gserviceaccount.com',
      since: t,
      until: t + 5 * DAY,
      reverts: 3,
    });
    await store.setFight('k-over', { actor: 'x@example.com', since: t, until: t + DAY, reverts: 3 });
    expect(await store.listFights(t + 2 * DAY)).toEqual([
      {
        findingKey: 'k-on',
        fight: { actor: 'deployer@p.iam.gserviceaccount.com', since: t, until: t + 5 * DAY, reverts: 3 },
      },
    ]);
  });

  it.skipIf(!make)('the sweep records what it found new, once', async () => {
    const { store } = make!();
    const svc = 'projects/shop-prod/locations/us-central1/services/swept';
    run.seedService({ name: svc, ingress: 'INGRESS_TRAFFIC_ALL' });
    run.seedPolicy(svc, { bindings: [] });
    const h = harness(
      run,
      client,
      'projects:\n  - { match: "shop-prod", mode: monitor }\nreconcile: { locations: [us-central1] }\n',
    );
    h.deps.state = store;
    const deps = {
      ...h.deps,
      inventory: createRunInventory(client),
      scope: 'projects/shop-prod',
      getProjectLister: () => Promise.reject(new Error('unused')),
    };
    await handleReconcile(deps);
    h.clock.now += 3_600_000;
    await handleReconcile(deps); // unchanged: not news, not recorded again
    const got = await store.decisions({ since: h.clock.now - DAY, until: h.clock.now + DAY });
    const swept = got.filter((r) => r.resource === svc);
    expect(swept.length).toBeGreaterThan(0);
    expect(new Set(swept.map((r) => r.id.split('|')[0]))).toEqual(new Set([`sweep:${h.clock.now - 3_600_000}`]));
    expect(swept.every((r) => r.foundBy === 'sweep' && r.method === 'sweep' && r.done === 'alerted')).toBe(true);
  });
});

describe.skipIf(!host)('history in Firestore', () => {
  it('keeps each record 400 days by default (its expireAt, for the TTL policy)', async () => {
    const prefix = `hist-ttl-${Date.now()}`;
    const store = createFirestoreStateStore({ emulatorHost: host, prefix });
    stores.push(store);
    const at = Date.parse('2026-11-20T08:00:00Z');
    await store.recordDecisions([record('ttl|k', at)]);
    const db = await connectFirestore({ emulatorHost: host });
    try {
      const docs = (await db.collection(`${prefix}-decisions`).get()).docs;
      expect(docs).toHaveLength(1);
      expect((docs[0]!.get('expireAt') as { toMillis(): number }).toMillis()).toBe(at + 400 * DAY);
    } finally {
      await db.terminate();
    }
  });
});
