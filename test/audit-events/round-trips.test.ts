// Issue 12 §3: a revert writes against what observe() read (no second read), the second finding on
// a service starts from what the first write left, a conflict still reads again, and the state store
// is asked in as few sequential steps as possible. Counts of calls only; the times are in the bench.
import type { ServicesClient } from '@google-cloud/run';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handleAuditEvent } from '../../functions/audit-events/handler.js';
import { MemoryStateStore } from '../../functions/state/memory.js';
import type { StateStore } from '../../functions/state/types.js';
import { cloudEventFor, setIamPolicyEntry, updateServiceEntry } from '../../stand-ins/audit-entries.js';
import { type CloudRunStandIn, startCloudRunStandIn } from '../../stand-ins/cloud-run/index.js';
import { harness, newClient } from '../harness.js';

const NAME = 'projects/shop-prod/locations/europe-west1/services/trips';
let run: CloudRunStandIn;
let client: ServicesClient;
beforeAll(async () => {
  run = await startCloudRunStandIn();
  client = await newClient(run);
});
afterAll(async () => {
  await client?.close();
  await run?.close();
});
beforeEach(() => run.reset());

const methods = () => run.calls.map((c) => c.method);
let n = 0;
const update = (service: Record<string, unknown>) =>
  cloudEventFor(updateServiceEntry({ name: NAME, insertId: `rt-${++n}`, service }), `m-${n}`);

/** Records which store methods were called, in order, and how many were in flight at once at most. */
function counting(inner: StateStore): { store: StateStore; calls: string[] } {
  const calls: string[] = [];
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return value.apply(target, args);
      };
    },
  });
  return { store, calls };
}

describe('round trips per revert', () => {
  it('ingress: read once (service ∥ policy), write with the observed etag, re-read to verify', async () => {
    run.seedService({ name: NAME, ingress: 'INGRESS_TRAFFIC_ALL' });
    run.seedPolicy(NAME, { bindings: [] });
    const h = harness(run, client);
    const r = await handleAuditEvent(update({ ingress: 'INGRESS_TRAFFIC_ALL' }), h.deps);
    expect(r.verdicts.map((v) => v.done)).toEqual(['reverted']);
    expect(methods().sort()).toEqual(['GetIamPolicy', 'GetService', 'GetService', 'UpdateService'].sort());
    expect(methods().slice(2)).toEqual(['UpdateService', 'GetService']);
  });

  it('public invoker: the policy observed is the one written against', async () => {
    const bindings = [{ role: 'roles/run.invoker', members: ['allUsers', 'group:eng@example.com'] }];
    run.seedService({ name: NAME, ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' });
    run.seedPolicy(NAME, { bindings });
    const h = harness(run, client);
    const event = cloudEventFor(setIamPolicyEntry({ name: NAME, insertId: `rt-${++n}`, bindings }), `m-${n}`);
    const r = await handleAuditEvent(event, h.deps);
    expect(r.verdicts.map((v) => v.done)).toEqual(['reverted']);
    expect(methods().slice(2)).toEqual(['SetIamPolicy', 'GetIamPolicy']);
    expect(run.policy(NAME)!.bindings).toEqual([{ role: 'roles/run.invoker', members: ['group:eng@example.com'] }]);
  });

  it('two findings on one service: the second write starts from the state the first one left', async () => {
    run.seedService({ name: NAME, ingress: 'INGRESS_TRAFFIC_ALL', invokerIamDisabled: true });
    run.seedPolicy(NAME, { bindings: [] });
    const h = harness(run, client);
    const r = await handleAuditEvent(update({ ingress: 'INGRESS_TRAFFIC_ALL', invokerIamDisabled: true }), h.deps);
    expect(r.verdicts.map((v) => v.done).sort()).toEqual(['reverted', 'reverted']);
    expect(methods().slice(2)).toEqual(['UpdateService', 'GetService', 'UpdateService', 'GetService']);
    const [first, second] = run.callsTo('UpdateService');
    const reread = run.calls[3]!; // the first write's verification
    expect(reread.method).toBe('GetService');
    expect((second!.request.service as { etag: string }).etag).not.toBe(
      (first!.request.service as { etag: string }).etag,
    );
    expect(run.service(NAME)).toMatchObject({ ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER' });
    expect(run.service(NAME)!.invokerIamDisabled).toBeFalsy();
  });

  it(
    'a change between the observation and the write: conflict, read again, ' + 'retry against the fresh state',
    async () => {
      run.seedService({ name: NAME, ingress: 'INGRESS_TRAFFIC_ALL', labels: { team: 'a' } });
      run.seedPolicy(NAME, { bindings: [] });
      run.onBefore(
        'UpdateService',
        (_req, s) => {
          s.seedService({ ...s.service(NAME)!, labels: { team: 'b' } }); // someone else writes: a new etag
        },
        { times: 1 },
      );
      const h = harness(run, client);
      const r = await handleAuditEvent(update({ ingress: 'INGRESS_TRAFFIC_ALL' }), h.deps);
      expect(r.verdicts.map((v) => [v.done, v.outcome?.attempts])).toEqual([['reverted', 2]]);
      expect(methods().slice(2)).toEqual(['UpdateService', 'GetService', 'UpdateService', 'GetService']);
      expect(run.service(NAME)).toMatchObject({
        ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
        labels: { team: 'b' },
      });
    },
  );

  it(
    'the state store: claim, exemptions and fight state asked together, ' +
      'then one checkpoint (with the revert counted) and one completion',
    async () => {
      run.seedService({ name: NAME, ingress: 'INGRESS_TRAFFIC_ALL' });
      run.seedPolicy(NAME, { bindings: [] });
      const h = harness(run, client);
      const { store, calls } = counting(new MemoryStateStore());
      h.deps.state = store;
      await handleAuditEvent(update({ ingress: 'INGRESS_TRAFFIC_ALL' }), h.deps);
      // Asked together, before anything is decided: the claim, the exemptions, the fight state and the
      // marks of the findings the entry names (what was already alerted, for attribution).
      expect(calls.slice(0, 5).sort()).toEqual(['claim', 'exemptionsFor', 'findingStates', 'lastSweep', 'sweepMarks']);
      // The marks are written beside the completion.
      const after = calls.slice(5).filter((c) => !['getThread', 'setThread'].includes(c));
      expect(after[0]).toBe('checkpoint');
      expect(after.slice(1).sort()).toEqual(['complete', 'setSweepMarks']);
      const key = `run-ingress-all|${NAME}|ingress=INGRESS_TRAFFIC_ALL`;
      expect(await store.revertCount(key, h.clock.now, 3_600_000)).toBe(1);
    },
  );

  it('an UpdateService operation that takes time is polled until done, then verified', async () => {
    run.seedService({ name: NAME, ingress: 'INGRESS_TRAFFIC_ALL' });
    run.seedPolicy(NAME, { bindings: [] });
    run.operationDuration(300);
    const h = harness(run, client);
    const r = await handleAuditEvent(update({ ingress: 'INGRESS_TRAFFIC_ALL' }), h.deps);
    expect(r.verdicts.map((v) => v.done)).toEqual(['reverted']);
    expect(run.callsTo('GetOperation').length).toBeGreaterThan(0);
    expect(methods().at(-1)).toBe('GetService');
  });
});
