// A Firestore that stops answering: the first call waits out its deadline, the next ones fail at
// once, and once the breaker's time has passed one probe finds it back. A dedicated emulator,
// stopped and restarted by PID (not the run's shared one).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTransient, TransientError } from '../../functions/core/errors.js';
import { createFirestoreStateStore } from '../../functions/state/firestore.js';
import { isOutage, OutageBreaker } from '../../functions/state/outage-breaker.js';
import {
  type EmulatorHandle,
  emulatorsRequired,
  hasEmulatorSdk,
  startFirestoreEmulator,
} from '../../stand-ins/emulators.js';

describe('OutageBreaker', () => {
  const down = () => Promise.reject(new TransientError('firestore get: no answer within 10 ms'));
  const lostRace = () =>
    Promise.reject(Object.assign(new TransientError('firestore commit: aborted'), { cause: { code: 10 } }));

  it('opens on a call Firestore did not answer, and lets one probe through once its time has passed', async () => {
    let t = 1_000;
    const b = new OutageBreaker(30_000, () => t);
    let calls = 0;
    const counted =
      <T>(f: () => Promise<T>) =>
      () => {
        calls++;
        return f();
      };
    await expect(b.run('claim', counted(down))).rejects.toThrow(/no answer/);
    await expect(
      b.run(
        'claim',
        counted(() => Promise.resolve(1)),
      ),
    ).rejects.toThrow(/not tried/);
    expect(calls).toBe(1);
    t += 30_000;
    // Half open: while the probe is out, others still fail at once.
    let answer!: (v: number) => void;
    const probe = b.run(
      'claim',
      counted(() => new Promise<number>((r) => (answer = r))),
    );
    await expect(
      b.run(
        'claim',
        counted(() => Promise.resolve(2)),
      ),
    ).rejects.toThrow(/not tried/);
    answer(3);
    await expect(probe).resolves.toBe(3);
    await expect(
      b.run(
        'claim',
        counted(() => Promise.resolve(4)),
      ),
    ).resolves.toBe(4);
    expect(calls).toBe(3);
  });

  it('stays closed on a lost race or a bad request: Firestore answered', async () => {
    const b = new OutageBreaker(30_000, () => 0);
    await expect(b.run('commit', lostRace)).rejects.toThrow(/aborted/);
    await expect(b.run('get', () => Promise.reject(new Error('INVALID_ARGUMENT')))).rejects.toThrow();
    await expect(b.run('get', () => Promise.resolve('ok'))).resolves.toBe('ok');
    expect(isOutage(new TransientError('x'))).toBe(true);
    expect(isOutage(Object.assign(new TransientError('x'), { cause: { code: 14 } }))).toBe(true);
    expect(isOutage(Object.assign(new TransientError('x'), { cause: { code: 10 } }))).toBe(false);
  });
});

describe.skipIf(!hasEmulatorSdk() && !emulatorsRequired())('the Firestore store in an outage', () => {
  let emulator: EmulatorHandle;
  beforeAll(async () => {
    emulator = await startFirestoreEmulator({ project: 'runguard-breaker', log: false });
  }, 120_000);
  afterAll(async () => {
    await emulator?.stop();
  });

  it('does not make every call wait out its deadline while Firestore is down, and finds it back', async () => {
    let t = Date.now();
    const store = createFirestoreStateStore({
      emulatorHost: emulator.host,
      projectId: 'runguard-breaker',
      prefix: 'breaker',
      // Room for the client's first connection on a busy machine; the outage is what is measured.
      deadlineMs: 3_000,
      outageMs: 60_000,
      now: () => t,
    });
    // Connected first (on a loaded machine the first connection can outlast a deadline: then try again later).
    let connected = false;
    for (let i = 0; i < 5 && !connected; i++, t += 60_000)
      connected = await store.lastSweep('p-1').then(
        (v) => v === null,
        () => false,
      );
    expect(connected).toBe(true);
    await emulator.stop();

    const first = await store.lastSweep('p-1').catch((e: unknown) => e);
    expect(isTransient(first)).toBe(true);
    expect((first as Error).message).not.toMatch(/not tried/);
    // The next calls, of any kind, are not sent: they fail at once, transient, saying why.
    for (const call of [() => store.lastSweep('p-1'), () => store.getThread('c|r', t), () => store.listExemptions()]) {
      const e = await call().catch((err: unknown) => err);
      expect(isTransient(e)).toBe(true);
      expect((e as Error).message).toMatch(/not tried — Firestore has not answered since/);
    }

    emulator = await startFirestoreEmulator({ project: 'runguard-breaker', port: emulator.port, log: false });
    // Still open: nothing is tried before its time.
    await expect(store.lastSweep('p-1')).rejects.toThrow(/not tried/);
    // Past it, one call is tried; the client's channel may take a few tries to reconnect to the new server.
    let written = false;
    for (let i = 0; i < 10 && !written; i++) {
      t += 60_000;
      written = await store.setLastSweep('p-1', 42).then(
        () => true,
        (e: Error) => (expect(e.message).not.toMatch(/not tried/), false),
      );
    }
    expect(written).toBe(true);
    expect(await store.lastSweep('p-1')).toBe(42);
  }, 120_000);
});
