import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { StandInError } from '../../stand-ins/cloud-run/index.js';
import { useCloudRunStandIn } from '../../stand-ins/cloud-run/use.js';

// `runguard scan` as users run it (bin/runguard.js → dist/), against the Cloud Run stand-in.

const INVOKER = 'roles/run.invoker';
const svc = (project: string, region: string, name: string) =>
  `projects/${project}/locations/${region}/services/${name}`;

const dir = mkdtempSync(join(tmpdir(), 'runguard-scan-'));
const CONFIG = join(dir, 'runguard.yaml');
writeFileSync(
  CONFIG,
  `
projects:
  - { match: "shop-prod", mode: enforce }
  - { match: "shop-dev", mode: monitor }
reconcile: { locations: [us-central1, europe-west1], concurrency: 4 }
`,
);

const { standIn } = useCloudRunStandIn({ client: null });
beforeEach(() => standIn.reset());

function seed(name: string, service: Record<string, unknown> = {}, members: string[] = ['group:shoppers@example.com']) {
  standIn.seedService({ name, ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY', ...service });
  standIn.seedPolicy(name, { bindings: [{ role: INVOKER, members }] });
}

function runguard(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { RUNGUARD_RUN_ENDPOINT: `127.0.0.1:${standIn.port}`, ...env });
}

describe('runguard scan', () => {
  it('reads, judges and changes nothing; exit 1 with a table when findings remain', async () => {
    seed(svc('shop-prod', 'europe-west1', 'checkout'), { ingress: 'INGRESS_TRAFFIC_ALL' });
    seed(svc('shop-dev', 'us-central1', 'preview'), {}, ['allUsers']);
    seed(svc('shop-dev', 'us-central1', 'clean'));
    const { code, stdout, stderr } = await runguard([
      'scan',
      '--project',
      'shop-prod',
      '--project',
      'shop-dev',
      '--config',
      CONFIG,
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(stdout).toMatch(/^runguard scan: 3 services in 2 project\(s\)/);
    expect(stdout).toMatch(
      new RegExp(
        String.raw`HIGH\s+run-ingress-all\s+shop-prod\/europe-west1\/checkout\s+` +
          String.raw`enforce\s+would revert\s+ingress opened to all traffic`,
      ),
    );
    expect(stdout).toMatch(
      /CRITICAL\s+run-public-invoker\s+shop-dev\/us-central1\/preview\s+monitor\s+alert\s+allUsers can invoke/,
    );
    expect(stdout).toContain('2 finding(s) remain (1 in enforce projects: run with --fix to revert them).');
    expect(standIn.callsTo('UpdateService')).toHaveLength(0);
    expect(standIn.callsTo('SetIamPolicy')).toHaveLength(0);
  });

  it('--json gives the report; exit 0 when nothing is insecure', async () => {
    seed(svc('shop-dev', 'us-central1', 'clean'));
    const { code, stdout } = await runguard(['scan', '--project', 'shop-dev', '--config', CONFIG, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ remaining: 0, findings: [], unread: [] });
    expect(report.projects).toEqual([
      expect.objectContaining({ project: 'shop-dev', locations: 2, services: 1, scanned: 1, complete: true }),
    ]);
  });

  it('exit 2 and names what it could not read, still reporting the rest', async () => {
    seed(svc('shop-dev', 'us-central1', 'preview'), { ingress: 'INGRESS_TRAFFIC_ALL' });
    standIn.onBefore('ListServices', (req) => {
      if (String(req.parent).startsWith('projects/locked/'))
        throw new StandInError(
          grpc.status.PERMISSION_DENIED,
          `Permission 'run.services.list' denied on resource '${String(req.parent)}' (or it may not exist).`,
        );
    });
    const { code, stdout } = await runguard([
      'scan',
      '--project',
      'locked',
      '--project',
      'shop-dev',
      '--config',
      CONFIG,
    ]);
    expect(code).toBe(2);
    expect(stdout).toContain(
      'Could not read (not checked):\n' +
        '  locked  2 regions (europe-west1, us-central1): permission run.services.list denied\n',
    );
    expect(stdout).toMatch(/run-ingress-all\s+shop-dev\/us-central1\/preview/);
  });

  it('--fix says what it will do, does it in enforce projects only, and then nothing remains there', async () => {
    const checkout = svc('shop-prod', 'europe-west1', 'checkout');
    seed(checkout, { ingress: 'INGRESS_TRAFFIC_ALL' }, ['allUsers', 'group:shoppers@example.com']);
    const refused = await runguard(['scan', '--project', 'shop-prod', '--config', CONFIG, '--fix']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/set RUNGUARD_STATE_STORE=firestore/);
    expect(standIn.callsTo('UpdateService')).toHaveLength(0);

    const { code, stdout, stderr } = await runguard(['scan', '--project', 'shop-prod', '--config', CONFIG, '--fix'], {
      RUNGUARD_STATE_STORE: 'memory',
    });
    expect(stderr).toMatch(/breakglass exemptions granted from Slack are NOT seen/);
    expect(stdout).toMatch(
      new RegExp(
        String.raw`^Fixing 2 finding\(s\) in enforce projects:\n` +
          String.raw` {2}run-public-invoker on .*checkout: would remove-public-members\n` +
          String.raw` {2}run-ingress-all on .*checkout: would set-ingress\n`,
      ),
    );
    expect(stdout).toContain('Nothing insecure remains.');
    expect(code).toBe(0);
    expect(standIn.service(checkout)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    expect(standIn.policy(checkout)!.bindings).toEqual([{ role: INVOKER, members: ['group:shoppers@example.com'] }]);
  });

  it('refuses without a project', async () => {
    const { code, stderr } = await runguard(['scan', '--config', CONFIG]);
    expect(code).toBe(2);
    expect(stderr).toContain('name at least one --project');
  });
});
