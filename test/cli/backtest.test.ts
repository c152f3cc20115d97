import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../../functions/core/types.js';
import { setIamPolicyEntry, updateServiceEntry } from '../../stand-ins/audit-entries.js';
import { type LoggingStandIn, startLoggingStandIn } from '../../stand-ins/logging/index.js';

// `runguard backtest` as users run it (bin/runguard.js → dist/), against the Cloud Logging stand-in.

const dir = mkdtempSync(join(tmpdir(), 'runguard-backtest-'));
const CONFIG = join(dir, 'runguard.yaml');
const LANDING_EXEMPTION =
  '{ resource: "projects/shop-prod/locations/*/services/landing", rule: run-ingress-all, ' +
  'reason: "public landing page, SEC-9", expires: 2027-01-01 }';
writeFileSync(
  CONFIG,
  `
selfPrincipals: [runguard@ops.iam.gserviceaccount.com]
projects: [{ match: "shop-prod", mode: monitor }]
exemptions:
  - ${LANDING_EXEMPTION}
`,
);
const svc = (name: string) => `projects/shop-prod/locations/europe-west1/services/${name}`;

function at(entry: LogEntry, iso: string): LogEntry {
  return { ...entry, timestamp: iso, receiveTimestamp: iso };
}

let logging: LoggingStandIn;
beforeAll(async () => {
  logging = await startLoggingStandIn();
});
afterAll(async () => {
  await logging?.stop();
});
beforeEach(() => {
  logging.reset();
  logging.addEntries([
    at(
      updateServiceEntry({
        name: svc('checkout'),
        insertId: 'a1',
        actor: 'dana@example.com',
        service: { ingress: 'INGRESS_TRAFFIC_ALL' },
      }),
      '2026-11-20T09:00:00Z',
    ),
    at(
      updateServiceEntry({
        name: svc('checkout'),
        insertId: 'a2',
        actor: 'dana@example.com',
        service: { ingress: 'INGRESS_TRAFFIC_ALL' },
      }),
      '2026-11-21T09:00:00Z',
    ),
    at(
      updateServiceEntry({
        name: svc('cart'),
        insertId: 'a3',
        actor: 'lee@example.com',
        service: { ingress: 'INGRESS_TRAFFIC_ALL' },
      }),
      '2026-11-22T09:00:00Z',
    ),
    at(
      updateServiceEntry({
        name: svc('landing'),
        insertId: 'a4',
        actor: 'lee@example.com',
        service: { ingress: 'INGRESS_TRAFFIC_ALL' },
      }),
      '2026-11-22T10:00:00Z',
    ),
    at(
      setIamPolicyEntry({
        name: svc('cart'),
        insertId: 'b1',
        actor: 'lee@example.com',
        bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }],
      }),
      '2026-11-22T11:00:00Z',
    ),
    at(
      updateServiceEntry({
        name: svc('cart'),
        insertId: 'c1',
        actor: 'runguard@ops.iam.gserviceaccount.com',
        service: { ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' },
      }),
      '2026-11-22T11:30:00Z',
    ),
    // Outside the window, and another project: neither is counted.
    at(
      updateServiceEntry({
        name: svc('old'),
        insertId: 'z1',
        actor: 'dana@example.com',
        service: { ingress: 'INGRESS_TRAFFIC_ALL' },
      }),
      '2026-11-01T09:00:00Z',
    ),
    at(
      updateServiceEntry({
        name: 'projects/other-proj/locations/europe-west1/services/x',
        insertId: 'z2',
        service: { ingress: 'INGRESS_TRAFFIC_ALL' },
      }),
      '2026-11-22T09:00:00Z',
    ),
  ]);
});

function runguard(args: string[]) {
  return runCli(args, { RUNGUARD_LOGGING_ENDPOINT: logging.endpoint });
}

describe('runguard backtest', () => {
  it('reads the window with the sink filter and says per rule what runguard would have done', async () => {
    const { code, stdout, stderr } = await runguard([
      'backtest',
      '--project',
      'shop-prod',
      '--since',
      '2026-11-16T12:00:00Z',
      '--config',
      CONFIG,
      '--json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({
      project: 'shop-prod',
      since: '2026-11-16T12:00:00.000Z',
      entries: 6,
      unreadable: 0,
      unconvertible: 0,
      skipped: { self: 1 },
    });
    const ingress = out.rules.find((r: { rule: string }) => r.rule === 'run-ingress-all');
    expect(ingress).toMatchObject({
      actions: { alert: 3, revert: 0, 'dry-run': 0, exempt: 1 },
      wouldRevertIfEnforced: 3,
      resources: 3,
    });
    expect(ingress.topActors).toEqual([
      { actor: 'dana@example.com', count: 2 },
      { actor: 'lee@example.com', count: 2 },
    ]);
    expect(ingress.topResources[0]).toEqual({ resource: svc('checkout'), count: 2 });
    const invoker = out.rules.find((r: { rule: string }) => r.rule === 'run-public-invoker');
    expect(invoker).toMatchObject({ actions: { alert: 1 }, topActors: [{ actor: 'lee@example.com', count: 1 }] });

    const [call] = logging.calls;
    expect(call!.resourceNames).toEqual(['projects/shop-prod']);
    expect(String(call!.filter)).toMatch(/^logName:"cloudaudit\.googleapis\.com%2Factivity" AND \(/);
    expect(String(call!.filter)).toMatch(/AND timestamp>="2026-11-16T12:00:00\.000Z"$/);
  });

  it('prints a table a person can read', async () => {
    const { code, stdout } = await runguard([
      'backtest',
      '--project',
      'shop-prod',
      '--since',
      '2026-11-16T12:00:00Z',
      '--config',
      CONFIG,
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/6 change entries: 5 with findings, 1 skipped by design \(self 1\), 0 unreadable/);
    expect(stdout).toMatch(/run-ingress-all\s+HIGH\s+3\s+0\s+0\s+1\s+3\s+3/);
    expect(stdout).toContain('top actors:    dana@example.com (2), lee@example.com (2)');
  });

  it('exit 2 with the reason when Cloud Logging refuses', async () => {
    logging.fail({
      code: grpc.status.PERMISSION_DENIED,
      message: "Permission 'logging.logEntries.list' denied on resource (or it may not exist).",
      times: Infinity,
    });
    const { code, stderr } = await runguard([
      'backtest',
      '--project',
      'shop-prod',
      '--since',
      '7d',
      '--config',
      CONFIG,
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/logging\.logEntries\.list/);
  });

  it('refuses a --since it cannot read', async () => {
    const { code, stderr } = await runguard(['backtest', '--project', 'shop-prod', '--since', 'last week']);
    expect(code).toBe(2);
    expect(stderr).toContain('--since must be a duration such as 7d');
  });
});
