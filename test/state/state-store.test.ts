// The StateStore contract, run against the in-memory reference and against Firestore (emulator).
import { randomBytes } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FirestoreStateStore } from '../../functions/state/firestore.js';
import { connectFirestore } from '../../functions/state/firestore-support.js';
import { MemoryStateStore } from '../../functions/state/memory.js';
import type { Fight } from '../../functions/core/verdict.js';
import type { BreakglassExemption, Progress, StateStore, ThreadRef } from '../../functions/state/types.js';

/** host:port of the Firestore emulator of this run, or '' (then Firestore tests skip). */
const firestoreHost = inject('firestoreHost');

const PROJECT = 'runguard-test';

function connectEmulator(): Promise<Firestore> {
  return connectFirestore({ emulatorHost: firestoreHost, projectId: PROJECT });
}

/** A collection prefix no other test uses, so tests share one emulator without seeing each other. */
const uniquePrefix = (tag: string): string => `t-${tag}-${randomBytes(5).toString('hex')}`;

const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);

function tokenOf(claim: Awaited<ReturnType<StateStore['claim']>>): string {
  if (claim.status !== 'claimed') throw new Error(`not claimed: ${claim.status}`);
  return claim.token;
}
const MIN = 60_000;

/** Keys shaped like the real ones: log names with `/`, findings joined with `|`. */
const insertKey = (n: number | string): string =>
  `projects/shop-prod/logs/cloudaudit.googleapis.com%2Factivity|insert-${n}`;
const findingKey = (resource: string, rule = 'run.public-invoker'): string => `${rule}|${resource}`;
const SERVICE = 'projects/shop-prod/locations/europe-west1/services/api';

function breakglass(
  resource: string,
  createdAt: number,
  expires: number,
  approver = 'alice@example.com',
  rule = 'run.public-invoker',
): BreakglassExemption {
  const created = new Date(createdAt).toISOString();
  const key = findingKey(resource, rule);
  return {
    resource,
    rule,
    reason: 'incident 42: partner demo',
    expires: new Date(expires).toISOString(),
    approvedBy: approver,
    source: 'breakglass',
    id: `${key}|${created}`,
    findingKey: key,
    requester: 'dev@example.com',
    createdAt: created,
    slackUserId: `U-${approver}`,
    slackMessage: { channel: 'C-alerts', ts: '1767225600.000100' },
  };
}

/** Progress with the awkward shapes a Verdict holds (nested arrays, nulls, optional fields left out). */
const progress = (): Progress => ({
  verdicts: [
    {
      decision: { action: 'revert', matrix: [[1, 2], [3]] },
      done: 'reverted',
      summary: 'reverted',
      outcome: null,
      fight: null,
    },
  ] as unknown as Progress['verdicts'],
  notified: ['C-alerts|run.public-invoker'],
});

let db: Firestore | undefined;
beforeAll(async () => {
  if (firestoreHost) db = await connectEmulator();
});
afterAll(async () => {
  await db?.terminate();
});

const stores: [string, (() => StateStore) | null][] = [
  ['memory', () => new MemoryStateStore()],
  ['firestore', firestoreHost ? () => new FirestoreStateStore(db!, uniquePrefix('contract')) : null],
];

describe.each(stores)('StateStore contract: %s', (_name, make) => {
  const store = (): StateStore => make!();
  describe.skipIf(make === null)('', () => {
    it('claims an entry once; after complete every delivery is a duplicate', async () => {
      const s = store();
      const claim = await s.claim([insertKey(1)], T0, MIN);
      expect(claim).toMatchObject({ status: 'claimed', progress: null });
      expect(await s.complete([insertKey(1)], tokenOf(claim), T0 + 1000)).not.toBeNull();
      expect(await s.claim([insertKey(1)], T0 + 2000, MIN)).toEqual({ status: 'duplicate' });
      expect(await s.claim([insertKey(1)], T0 + 365 * 24 * 60 * MIN, MIN)).toEqual({ status: 'duplicate' });
    });

    it('is busy while another delivery holds a live lease, and takes over once it expired', async () => {
      const s = store();
      await s.claim([insertKey(2)], T0, MIN);
      expect(await s.claim([insertKey(2)], T0 + MIN - 1, MIN)).toEqual({ status: 'busy' });
      expect(await s.claim([insertKey(2)], T0 + MIN, MIN)).toMatchObject({ status: 'claimed', progress: null });
      expect(await s.claim([insertKey(2)], T0 + MIN + 1, MIN)).toEqual({ status: 'busy' });
    });

    it('release keeps the progress for the next delivery, also after a later lease expired', async () => {
      const s = store();
      const claim = await s.claim([insertKey(3), 'op-3'], T0, MIN);
      expect(await s.release([insertKey(3), 'op-3'], tokenOf(claim), progress())).not.toBeNull();
      expect(await s.claim([insertKey(3)], T0 + 1, MIN)).toMatchObject({ status: 'claimed', progress: progress() });
      expect(await s.claim(['op-3'], T0 + 2 * MIN, MIN)).toMatchObject({ status: 'claimed', progress: progress() });
    });

    it('an entry with two keys is a duplicate when either key was done', async () => {
      const s = store();
      await s.complete(['op-4'], tokenOf(await s.claim(['op-4'], T0, MIN)), T0);
      expect(await s.claim([insertKey(4), 'op-4'], T0 + 1, MIN)).toEqual({ status: 'duplicate' });
      expect(await s.claim(['op-4', insertKey(4)], T0 + 1, MIN)).toEqual({ status: 'duplicate' });
      // Claiming under both keys marks both: the other key alone is busy, then done.
      const five = await s.claim([insertKey(5), 'op-5'], T0, MIN);
      expect(five).toMatchObject({ status: 'claimed', progress: null });
      expect(await s.claim(['op-5'], T0 + 1, MIN)).toEqual({ status: 'busy' });
      await s.complete([insertKey(5), 'op-5'], tokenOf(five), T0 + 2);
      expect(await s.claim(['op-5'], T0 + 3, MIN)).toEqual({ status: 'duplicate' });
    });

    it('fencing: a delivery taken over after its lease can neither complete, release nor checkpoint', async () => {
      const s = store();
      const keys = [insertKey(7), 'op-7'];
      const first = tokenOf(await s.claim(keys, T0, MIN));
      const second = await s.claim(keys, T0 + MIN + 1, MIN); // the first is presumed dead and taken over
      expect(second).toMatchObject({ status: 'claimed', progress: null });
      // The stale first delivery wakes up: none of its writes land.
      const at = { now: T0 + MIN + 2, leaseMs: MIN, progress: progress() };
      expect(await s.checkpoint(keys, first, at)).toBeNull();
      expect(await s.complete(keys, first, T0 + MIN + 2)).toBeNull();
      expect(await s.release(keys, first, progress())).toBeNull();
      // The second still holds it, unchanged (no progress was written into it), and finishes.
      expect(await s.claim(keys, T0 + MIN + 3, MIN)).toEqual({ status: 'busy' });
      const next = await s.checkpoint(keys, tokenOf(second), at);
      expect(next).not.toBeNull();
      expect(await s.complete(keys, tokenOf(second), T0 + MIN + 4)).toBeNull(); // superseded by its own checkpoint
      expect(await s.complete(keys, next, T0 + MIN + 4)).not.toBeNull();
      expect(await s.claim(keys, T0 + MIN + 5, MIN)).toEqual({ status: 'duplicate' });
    });

    it('a checkpoint counts reverts and sets fights in the same write, even when fenced out', async () => {
      const s = store();
      const keys = [insertKey(8)];
      const k = findingKey(`${SERVICE}-ledger`);
      const fight: Fight = {
        actor: 'terraform@ci.iam.gserviceaccount.com',
        since: T0,
        until: T0 + 60 * MIN,
        reverts: 3,
      };
      const token = tokenOf(await s.claim(keys, T0, MIN));
      const at = { now: T0, leaseMs: MIN, progress: progress() };
      const records = { reverts: [{ findingKey: k, at: T0, windowMs: 60 * MIN }], fights: [{ findingKey: k, fight }] };
      expect(await s.checkpoint(keys, token, at, records)).not.toBeNull();
      expect(
        await s.checkpoint(keys, token, at, {
          reverts: [{ findingKey: k, at: T0 + 1, windowMs: 60 * MIN }],
          fights: [],
        }),
      ).toBeNull();
      expect(await s.findingStates([k, findingKey(`${SERVICE}-other`)], T0 + 2, 60 * MIN)).toEqual(
        new Map([
          [k, { fight, reverts: [T0, T0 + 1] }],
          [findingKey(`${SERVICE}-other`), { fight: null, reverts: [] }],
        ]),
      );
      expect(await s.revertCount(k, T0 + 2, 60 * MIN)).toBe(2);
    });

    it('50 concurrent claims of the same entry: exactly one wins, the rest are busy', async () => {
      const s = store();
      const results = await Promise.all(Array.from({ length: 50 }, () => s.claim([insertKey(6), 'op-6'], T0, MIN)));
      expect(results.filter((r) => r.status === 'claimed')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'busy')).toHaveLength(49);
    });

    it('counts reverts within the window; old ones fall out', async () => {
      const s = store();
      const k = findingKey(SERVICE);
      const window = 10 * MIN;
      expect(await s.revertCount(k, T0, window)).toBe(0);
      expect(await s.recordRevert(k, T0, window)).toBe(1);
      expect(await s.recordRevert(k, T0 + 4 * MIN, window)).toBe(2);
      expect(await s.revertCount(k, T0 + 9 * MIN, window)).toBe(2);
      expect(await s.recordRevert(k, T0 + 11 * MIN, window)).toBe(2);
      expect(await s.revertCount(k, T0 + 15 * MIN, window)).toBe(1);
      expect(await s.revertCount(findingKey(SERVICE, 'iam.all-users'), T0 + 15 * MIN, window)).toBe(0);
    });

    it('20 concurrent recordRevert count 20, each seeing its own place', async () => {
      const s = store();
      const k = findingKey(`${SERVICE}-hot`);
      const counts = await Promise.all(Array.from({ length: 20 }, (_, i) => s.recordRevert(k, T0 + i, 10 * MIN)));
      expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await s.revertCount(k, T0 + 20, 10 * MIN)).toBe(20);
    });

    it('a fight lasts until `until`', async () => {
      const s = store();
      const k = findingKey(SERVICE);
      const fight: Fight = {
        actor: 'terraform@ci.iam.gserviceaccount.com',
        since: T0,
        until: T0 + 30 * MIN,
        reverts: 3,
      };
      expect(await s.getFight(k, T0)).toBeNull();
      await s.setFight(k, fight);
      expect(await s.getFight(k, T0 + 30 * MIN - 1)).toEqual(fight);
      expect(await s.getFight(k, T0 + 30 * MIN)).toBeNull();
      await s.setFight(k, { ...fight, until: T0 + 60 * MIN, reverts: 4 });
      expect(await s.getFight(k, T0 + 45 * MIN)).toEqual({ ...fight, until: T0 + 60 * MIN, reverts: 4 });
    });

    it('a thread lasts until `until`', async () => {
      const s = store();
      const key = `C-alerts|${SERVICE}`;
      const ref: ThreadRef = { channel: 'C-alerts', ts: '1767225600.000100', alerts: 2, until: T0 + 7 * 24 * 60 * MIN };
      expect(await s.getThread(key, T0)).toBeNull();
      await s.setThread(key, ref);
      expect(await s.getThread(key, T0 + 1)).toEqual(ref);
      expect(await s.getThread(`C-other|${SERVICE}`, T0 + 1)).toBeNull();
      expect(await s.getThread(key, ref.until)).toBeNull();
    });

    it('recordExemption: one active exemption per finding; a new one once it expired', async () => {
      const s = store();
      const first = breakglass(SERVICE, T0, T0 + 60 * MIN, 'alice@example.com');
      expect(await s.recordExemption(first, T0)).toEqual({ created: true, exemption: first });
      const second = breakglass(SERVICE, T0 + MIN, T0 + 120 * MIN, 'bob@example.com');
      expect(await s.recordExemption(second, T0 + MIN)).toEqual({ created: false, exemption: first });
      const otherRule = breakglass(SERVICE, T0 + MIN, T0 + 120 * MIN, 'bob@example.com', 'run.no-auth-ingress');
      expect(await s.recordExemption(otherRule, T0 + MIN)).toEqual({ created: true, exemption: otherRule });
      const later = breakglass(SERVICE, T0 + 60 * MIN, T0 + 90 * MIN, 'bob@example.com');
      expect(await s.recordExemption(later, T0 + 60 * MIN)).toEqual({ created: true, exemption: later });
    });

    it('10 approvers acknowledging at once leave exactly one exemption', async () => {
      const s = store();
      const resource = `${SERVICE}-race`;
      const all = Array.from({ length: 10 }, (_, i) =>
        breakglass(resource, T0 + i, T0 + 60 * MIN, `approver${i}@example.com`),
      );
      const results = await Promise.all(all.map((e) => s.recordExemption(e, T0 + 10)));
      const created = results.filter((r) => r.created);
      expect(created).toHaveLength(1);
      for (const r of results) expect(r.exemption).toEqual(created[0]!.exemption);
      expect(await s.exemptionsFor(resource)).toEqual([created[0]!.exemption]);
    });

    it('exemptionsFor lists active and expired exemptions of that resource only', async () => {
      const s = store();
      const resource = `${SERVICE}-list`;
      const expired = breakglass(resource, T0, T0 + MIN);
      const active = breakglass(resource, T0 + 2 * MIN, T0 + 60 * MIN);
      const elsewhere = breakglass(`${resource}-2`, T0, T0 + 60 * MIN);
      for (const e of [expired, active, elsewhere])
        expect((await s.recordExemption(e, Date.parse(e.createdAt))).created).toBe(true);
      expect(await s.exemptionsFor(resource)).toEqual([expired, active]);
      expect(await s.exemptionsFor(`${SERVICE}-none`)).toEqual([]);
    });

    it('listExemptions: every exemption, of one project or all, with who asked, who agreed and the chain', async () => {
      const s = store();
      const mine = `projects/list-${Math.random().toString(36).slice(2, 8)}`;
      const a = {
        ...breakglass(`${mine}/locations/l/services/a`, T0, T0 + MIN),
        principals: ['batch@p.iam.gserviceaccount.com'],
        requestedBy: { slackUserId: 'U0ALICE', email: 'alice@example.com' },
        approvers: [
          { slackUserId: 'U0ALICE', email: 'alice@example.com' },
          { slackUserId: 'U0BOB', email: null },
        ],
      };
      const b = breakglass(`${mine}/locations/l/services/b`, T0 + MIN, T0 + 60 * MIN);
      const other = breakglass(`${mine}x/locations/l/services/a`, T0, T0 + 60 * MIN);
      for (const e of [b, a, other]) await s.recordExemption(e, Date.parse(e.createdAt));
      expect(await s.listExemptions({ project: mine.slice('projects/'.length) })).toEqual([a, b]);
      expect((await s.listExemptions()).filter((e) => e.resource.startsWith(mine))).toEqual([a, other, b]);
    });

    it('keeps a breakglass request and confirms it once', async () => {
      const s = store();
      const request = {
        id: `${findingKey(SERVICE)}|${new Date(T0).toISOString()}|U0ALICE`,
        findingKey: findingKey(SERVICE),
        rule: 'run.public-invoker',
        resource: SERVICE,
        principals: ['batch@p.iam.gserviceaccount.com'],
        requestedBy: { slackUserId: 'U0ALICE', email: 'alice@example.com' },
        reason: 'nightly batch',
        durationLabel: '4h',
        durationMs: 4 * 60 * MIN,
        createdAt: new Date(T0).toISOString(),
        expires: new Date(T0 + 60 * MIN).toISOString(),
        slackMessage: { channel: 'C-alerts', ts: '1767225600.000100' },
      };
      expect(await s.exemptionRequest(request.id)).toBeNull();
      await s.recordExemptionRequest(request);
      expect(await s.exemptionRequest(request.id)).toEqual(request);
      const results = await Promise.all([
        s.confirmExemptionRequest(request.id, 'e1'),
        s.confirmExemptionRequest(request.id, 'e2'),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await s.exemptionRequest(request.id))?.confirmedAs).toMatch(/^e[12]$/);
    });

    it('remembers sweep marks by finding key, and the last complete sweep per project', async () => {
      const s = store();
      const a = findingKey(`${SERVICE}-sweep`, 'run-ingress-all');
      const b = findingKey(`${SERVICE}-sweep`, 'run-public-invoker');
      expect(await s.sweepMarks([a, b])).toEqual(new Map());
      expect(await s.lastSweep('shop-prod')).toBeNull();
      await s.setSweepMarks(
        new Map([[a, { fingerprint: 'alert\nHIGH\ningress opened', firstSeen: T0, lastSeen: T0 }]]),
      );
      await s.setSweepMarks(
        new Map([[a, { fingerprint: 'alert\nHIGH\ningress opened', firstSeen: T0, lastSeen: T0 + 60 * MIN }]]),
      );
      await s.setLastSweep('shop-prod', T0 + 60 * MIN);
      expect(await s.sweepMarks([a, b])).toEqual(
        new Map([[a, { fingerprint: 'alert\nHIGH\ningress opened', firstSeen: T0, lastSeen: T0 + 60 * MIN }]]),
      );
      expect(await s.lastSweep('shop-prod')).toBe(T0 + 60 * MIN);
      expect(await s.lastSweep('shop-dev')).toBeNull();
    });

    it('writes more sweep marks than one Firestore batch holds', async () => {
      const s = store();
      const marks = new Map(
        Array.from(
          { length: 620 },
          (_, i) =>
            [findingKey(`${SERVICE}-many-${i}`), { fingerprint: `f${i}`, firstSeen: T0, lastSeen: T0 + i }] as const,
        ),
      );
      await s.setSweepMarks(marks);
      const back = await s.sweepMarks([...marks.keys()]);
      expect(back.size).toBe(620);
      expect(back.get(findingKey(`${SERVICE}-many-619`))).toEqual({
        fingerprint: 'f619',
        firstSeen: T0,
        lastSeen: T0 + 619,
      });
    });
  });
});
