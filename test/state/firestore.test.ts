// What only the Firestore store has: its documents (TTL field, ids, exemption fields), its
// connection (lazy, emulator without credentials or metadata probes), its errors and its latency.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import net from 'node:net';
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TransientError } from '../../functions/core/errors.js';
import { createFirestoreStateStore, FirestoreStateStore } from '../../functions/state/firestore.js';
import { connectFirestore, toStoreError } from '../../functions/state/firestore-support.js';
import type { BreakglassExemption } from '../../functions/state/types.js';
import { freePort } from '../../stand-ins/free-port.js';

const host = inject('firestoreHost');
const prefix = (): string => `t-fs-${randomBytes(5).toString('hex')}`;
const KEY = 'projects/shop-prod/logs/cloudaudit.googleapis.com%2Factivity|insert-1';
const RESOURCE = 'projects/shop-prod/locations/europe-west1/services/api';

function breakglass(n: number, resource = RESOURCE, now = Date.now()): BreakglassExemption {
  const createdAt = new Date(now + n).toISOString();
  const findingKey = `run.public-invoker|${resource}`;
  return {
    resource,
    rule: 'run.public-invoker',
    reason: 'demo',
    expires: new Date(now + 3_600_000).toISOString(),
    approvedBy: 'alice@example.com',
    source: 'breakglass',
    id: `${findingKey}|${createdAt}`,
    findingKey,
    requester: 'dev@example.com',
    createdAt,
    slackUserId: 'U1',
    slackMessage: null,
  };
}

function percentiles(samples: number[]): { p50: number; p99: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number): number => Math.round(s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]! * 10) / 10;
  return { p50: at(0.5), p99: at(0.99) };
}

describe('Firestore state store without a server', () => {
  it(
    'loads the client library on first use; ' + 'an unreachable emulator gives a TransientError within the deadline',
    async () => {
      const cache = createRequire(import.meta.url).cache;
      const loaded = (): boolean =>
        Object.keys(cache).some((k) => k.includes('@google-cloud/firestore/build/src/index.js'));
      expect(loaded()).toBe(false);
      const store = createFirestoreStateStore({
        emulatorHost: `127.0.0.1:${await freePort()}`,
        projectId: 'p',
        deadlineMs: 1000,
      });
      expect(loaded()).toBe(false);
      for (const call of [() => store.claim([KEY], Date.now(), 60_000), () => store.exemptionsFor(RESOURCE)]) {
        const started = performance.now();
        const err = await call().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TransientError);
        expect(performance.now() - started).toBeLessThan(2500);
      }
      expect(loaded()).toBe(true);
      // No store.close(): it waits for the client's own retries (tens of seconds against a closed port).
    },
  );

  it('maps UNAVAILABLE, DEADLINE_EXCEEDED and ABORTED to TransientError and keeps other errors', () => {
    for (const code of [14, 4, 10]) {
      const e = Object.assign(new Error(`${code} boom`), { code });
      const mapped = toStoreError('claim', e);
      expect(mapped).toBeInstanceOf(TransientError);
      expect((mapped as Error).cause).toBe(e);
    }
    const denied = Object.assign(new Error('7 PERMISSION_DENIED'), { code: 7 });
    expect(toStoreError('claim', denied)).toBe(denied);
    const plain = new TypeError('bad');
    expect(toStoreError('claim', plain)).toBe(plain);
  });
});

// Before any other client connects: gRPC shares connections between clients with the same target.
describe.skipIf(!host)('Firestore state store connecting to the emulator', () => {
  it('reaches the emulator without credentials and connects to nothing but 127.0.0.1', async () => {
    const targets: string[] = [];
    const connect = net.Socket.prototype.connect;
    const detection = process.env.METADATA_SERVER_DETECTION;
    delete process.env.METADATA_SERVER_DETECTION; // prove the settings alone keep the metadata server out
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      // net.connect() hands over its arguments normalized: [options, callback].
      const first = Array.isArray(args[0]) ? args[0][0] : args[0];
      const o = (
        typeof first === 'object' && first !== null ? first : { port: first, host: args[1] }
      ) as net.TcpNetConnectOpts & { path?: string };
      if (o.path) return connect.apply(this, args as never);
      targets.push(`${o.host ?? 'localhost'}:${o.port}`);
      if (o.host === '127.0.0.1') return connect.apply(this, args as never);
      process.nextTick(() => this.destroy(new Error(`blocked connection to ${o.host}:${o.port}`)));
      return this;
    } as typeof connect;
    try {
      const store = createFirestoreStateStore({ emulatorHost: host, prefix: prefix() });
      expect(await store.claim([KEY], Date.now(), 1000)).toMatchObject({ status: 'claimed', progress: null });
      expect((await store.recordExemption(breakglass(0), Date.now())).created).toBe(true);
      await store.close();
    } finally {
      net.Socket.prototype.connect = connect;
      if (detection !== undefined) process.env.METADATA_SERVER_DETECTION = detection;
    }
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((t) => !t.startsWith('127.0.0.1:'))).toEqual([]);
  });
});

describe.skipIf(!host)('Firestore state store on the emulator', () => {
  let db: Firestore;
  beforeAll(async () => {
    db = await connectFirestore({ emulatorHost: host, projectId: 'runguard-test' });
  });
  afterAll(async () => {
    await db?.terminate();
  });

  it('claim documents carry a readable key and an expireAt Timestamp in the future', async () => {
    const p = prefix();
    const store = new FirestoreStateStore(db, { prefix: p, retentionMs: 7 * 86_400_000 });
    const now = Date.now();
    const claim = await store.claim([KEY, 'operations/op-1'], now, 60_000);
    const docs = async () => (await db.collection(`${p}-claims`).get()).docs.map((d) => d.data());
    for (const d of await docs()) {
      expect(d.state).toBe('processing');
      expect(d.expireAt.constructor.name).toBe('Timestamp');
      expect(d.expireAt.toMillis()).toBe(now + 60_000 + 7 * 86_400_000);
    }
    await store.complete([KEY, 'operations/op-1'], claim.status === 'claimed' ? claim.token : null, now);
    const done = await docs();
    expect(done.map((d) => d.key).sort()).toEqual([KEY, 'operations/op-1'].sort());
    for (const d of done) expect(d.expireAt.toMillis()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
  });

  it('document ids are safe for any key', async () => {
    const p = prefix();
    const store = new FirestoreStateStore(db, p);
    const keys = ['/', '..', '.', '__name__', 'a//b', 'x|y/z', 'ü✓ key with spaces', 'k'.repeat(3000)];
    for (const key of keys)
      expect(await store.claim([key], 0, 1000)).toMatchObject({ status: 'claimed', progress: null });
    const snap = await db.collection(`${p}-claims`).get();
    expect(snap.docs.map((d) => d.id).every((id) => /^[0-9a-f]{64}$/.test(id))).toBe(true);
    expect(snap.docs.map((d) => d.get('key')).sort()).toEqual([...keys].sort());
    for (const key of keys) expect(await store.claim([key], 1, 1000)).toEqual({ status: 'busy' });
  });

  it('exemption documents hold exactly the exemption fields plus an expiresAt Timestamp', async () => {
    const p = prefix();
    const store = new FirestoreStateStore(db, p);
    const e = { ...breakglass(0), slackMessage: { channel: 'C1', ts: '1.2' } };
    await store.recordExemption(e, Date.now());
    const [doc] = (await db.collection(`${p}-exemptions`).where('resource', '==', RESOURCE).get()).docs;
    const { expiresAt, ...fields } = doc!.data();
    expect(fields).toEqual(e);
    expect(expiresAt.toMillis()).toBe(Date.parse(e.expires));
  });

  it('latency after warm-up: claim, recordExemption (new, standing), exemptionsFor', { timeout: 60_000 }, async () => {
    const store = new FirestoreStateStore(db, prefix());
    const time = async (n: number, op: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number }> => {
      for (let i = 0; i < 20; i++) await op(-1 - i); // warm-up
      const samples: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await op(i);
        samples.push(performance.now() - t);
      }
      return percentiles(samples);
    };
    const now = Date.now();
    const figures = {
      claim: await time(200, (i) => store.claim([`${KEY}-${i}`, `operations/op-${i}`], now, 60_000)),
      recordExemption: await time(200, (i) => store.recordExemption(breakglass(0, `${RESOURCE}-${i}`, now), now)),
      recordExemptionStanding: await time(200, (i) =>
        store.recordExemption(breakglass(1, `${RESOURCE}-${i}`, now), now),
      ),
      exemptionsFor: await time(200, (i) => store.exemptionsFor(`${RESOURCE}-${i}`)),
    };
    console.log(`[firestore latency, emulator, ms] ${JSON.stringify(figures)}`);
    for (const f of Object.values(figures)) expect(f.p50).toBeLessThan(250);
  });
});
