import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runExemptions } from '../../functions/cli/exemptions.js';
import type { Io } from '../../functions/cli/io.js';
import { createFirestoreStateStore, type FirestoreStateStore } from '../../functions/state/firestore.js';
import { MemoryStateStore } from '../../functions/state/memory.js';
import type { BreakglassExemption } from '../../functions/state/types.js';
import { runCli } from './run-cli.js';

// `runguard exemptions list`: what the auditor reads — requester, approvers, justification, chain,
// created, expiry — from the state store, expired ones included with --all.

const NOW = Date.parse('2026-11-23T12:00:00Z');
const firestoreHost = inject('firestoreHost');

function exemption(project: string, service: string, created: number, hours: number, two = false): BreakglassExemption {
  const resource = `projects/${project}/locations/europe-west1/services/${service}`;
  const createdAt = new Date(created).toISOString();
  const alice = { slackUserId: 'U0ALICE', email: 'alice@example.com' };
  const bob = { slackUserId: 'U0BOB', email: 'bob@example.com' };
  return {
    source: 'breakglass',
    id: `run-ingress-all|${resource}|${createdAt}`,
    findingKey: `run-ingress-all|${resource}`,
    rule: 'run-ingress-all',
    resource,
    reason: two ? 'nightly batch\nneeds the partner API' : 'partner demo',
    expires: new Date(created + hours * 3_600_000).toISOString(),
    approvedBy: two ? 'bob@example.com' : 'alice@example.com',
    slackUserId: two ? 'U0BOB' : 'U0ALICE',
    requester: two ? 'batch@p.iam.gserviceaccount.com' : 'dana@example.com',
    createdAt,
    slackMessage: { channel: 'C0RUNGUARD1', ts: '1795000000.000100' },
    principals: two ? ['batch@p.iam.gserviceaccount.com'] : ['deployer@p.iam.gserviceaccount.com', 'dana@example.com'],
    requestedBy: alice,
    approvers: two ? [alice, bob] : [alice],
  };
}

function io(): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
    readStdin: () => '',
    env: {},
    now: () => NOW,
  };
}

describe('runguard exemptions list', () => {
  it(
    'prints active exemptions with who asked, who approved, why, whose change, ' +
      'created and expiry; --all adds expired ones',
    async () => {
      const store = new MemoryStateStore();
      const expired = exemption('shop-prod', 'old', NOW - 48 * 3_600_000, 1);
      const active = exemption('shop-prod', 'batch', NOW - 3_600_000, 4, true);
      const elsewhere = exemption('shop-dev', 'checkout', NOW - 60_000, 1);
      for (const e of [expired, active, elsewhere]) await store.recordExemption(e, Date.parse(e.createdAt));

      const a = io();
      expect(await runExemptions(['list'], { json: false, projects: ['shop-prod'], which: 'active', store }, a)).toBe(
        0,
      );
      const text = a.out.join('');
      expect(text).toContain('ACTIVE  run-ingress-all on projects/shop-prod/locations/europe-west1/services/batch');
      expect(text).toContain('requested by   alice@example.com');
      expect(text).toContain('approved by    alice@example.com, bob@example.com');
      expect(text).toContain('justification  nightly batch needs the partner API');
      expect(text).toContain('change by      batch@p.iam.gserviceaccount.com');
      expect(text).toContain(`created        ${active.createdAt}`);
      expect(text).toContain(`expires        ${active.expires}`);
      expect(text).not.toContain('services/old');
      expect(text).not.toContain('shop-dev');

      const all = io();
      await runExemptions(['list'], { json: true, projects: [], which: 'all', store }, all);
      const rows = JSON.parse(all.out.join(''));
      expect(rows.map((r: { state: string; resource: string }) => `${r.state} ${r.resource.split('/').pop()}`)).toEqual(
        ['expired old', 'active batch', 'active checkout'],
      );
      expect(rows[0]).toMatchObject({
        requestedBy: 'alice@example.com',
        approvers: ['alice@example.com'],
        justification: 'partner demo',
        principals: ['deployer@p.iam.gserviceaccount.com', 'dana@example.com'],
      });
    },
  );

  it('refuses bad arguments and a missing store with exit 2', async () => {
    const store = new MemoryStateStore();
    expect(await runExemptions(['show'], { json: false, projects: [], which: 'active', store }, io())).toBe(2);
    expect(
      await runExemptions(['list'], { json: false, projects: ['Not A Project'], which: 'active', store }, io()),
    ).toBe(2);
    const noStore = io();
    expect(await runExemptions(['list'], { json: false, projects: [], which: 'active' }, noStore)).toBe(2);
    expect(noStore.err.join('')).toMatch(/RUNGUARD_STATE_STORE=firestore/);
    expect((await runCli(['exemptions', 'list', '--active', '--all'])).code).toBe(2);
  });

  describe.skipIf(!firestoreHost)('from Firestore, as bin/runguard.js', () => {
    let store: FirestoreStateStore | undefined;
    afterAll(async () => {
      await store?.close();
    });
    it('lists what the functions recorded', { timeout: 30_000 }, async () => {
      const project = `audit-${randomBytes(4).toString('hex')}`;
      // The CLI's store, as firestoreStateFromEnv builds it for the emulator (project runguard-local).
      store = createFirestoreStateStore({ emulatorHost: firestoreHost });
      const e = exemption(project, 'batch', Date.now() - 60_000, 4, true);
      await store.recordExemption(e, Date.now());
      const r = await runCli(['exemptions', 'list', '--project', project, '--json'], {
        RUNGUARD_STATE_STORE: 'firestore',
        FIRESTORE_EMULATOR_HOST: firestoreHost,
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject([
        { state: 'active', approvers: ['alice@example.com', 'bob@example.com'], principals: e.principals },
      ]);
    });
  });
});
