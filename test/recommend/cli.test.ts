import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Io } from '../../functions/cli/io.js';
import { runRecommend } from '../../functions/cli/recommend.js';
import { MemoryStateStore } from '../../functions/state/memory.js';
import {
  builtDemoHistory,
  DEMO_ORG,
  demoBreakglass,
  SHOP_FOLDER,
  seedDemoHierarchy,
  seedDemoToday,
} from '../../scripts/recommend-demo.js';
import { useCloudRunStandIn } from '../../stand-ins/cloud-run/use.js';
import { type LoggingStandIn, startLoggingStandIn } from '../../stand-ins/logging/index.js';
import { type ResourceManagerStandIn, startResourceManagerStandIn } from '../../stand-ins/resource-manager/index.js';
import { runCli } from '../cli/run-cli.js';
import { orgPolicies, unknownArguments } from './org-policy-schema.js';

// `runguard recommend` on the demo's history (built audit entries) and the real console entry, against
// the Resource Manager and Cloud Run stand-ins seeded as the demo shop stands today.

const ROOT = new URL('../../', import.meta.url).pathname;
const REAL_INGRESS = join(ROOT, 'test/fixtures/auditlogs/real/run-v1-replaceservice-console-ingress-all.json');
const INVENTORY = 'projects/demo-shop/locations/europe-west1/services/inventory';
const LAB_API = 'projects/demo-lab/locations/us-central1/services/lab-api';

const { standIn: run } = useCloudRunStandIn({ client: null });
let rm: ResourceManagerStandIn;
let logging: LoggingStandIn;
beforeAll(async () => {
  rm = await startResourceManagerStandIn();
  logging = await startLoggingStandIn();
});
afterAll(async () => {
  await rm?.stop();
  await logging?.stop();
});

const dir = mkdtempSync(join(tmpdir(), 'runguard-recommend-'));
const NOW = Date.now();
const HISTORY = join(dir, 'built-demo-history.json');
// The demo's configuration, with the demo's regions named so each project is not asked for all of them.
const CONFIG = join(dir, 'demo.yaml');
writeFileSync(
  CONFIG,
  `${readFileSync(join(ROOT, 'examples/demo.yaml'), 'utf8')}\n` +
    'reconcile: { locations: [europe-west1, us-central1, asia-northeast1] }\n',
);
writeFileSync(HISTORY, JSON.stringify(builtDemoHistory(NOW)));

beforeEach(() => {
  run.reset();
  rm.reset();
  seedDemoToday(run);
  seedDemoHierarchy(rm);
});

const env = () => ({ RUNGUARD_RUN_ENDPOINT: `127.0.0.1:${run.port}`, RUNGUARD_RESOURCE_MANAGER_ENDPOINT: rm.endpoint });

function io(): Io & { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: () => out.join(''),
    err: () => err.join(''),
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
    readStdin: () => '',
    env: env(),
    now: () => NOW,
  };
}

describe('runguard recommend on the demo history', () => {
  it('proposes the ingress constraint on the shop folder and lists the exempt service it would break', async () => {
    const store = new MemoryStateStore();
    const breakglass = demoBreakglass(NOW);
    await store.recordExemption(breakglass, NOW);
    const t = io();
    const out = join(dir, 'out');
    expect(await runRecommend(['--config', CONFIG, '--json', '--out', out, HISTORY], t, { store })).toBe(0);
    expect(t.err()).toBe('');
    const r = JSON.parse(t.out());
    const ingress = r.proposals.find((p: { constraint: string }) => p.constraint === 'run.allowedIngress');
    expect(ingress).toMatchObject({ parent: SHOP_FOLDER, policyName: `${SHOP_FOLDER}/policies/run.allowedIngress` });
    // Terraform's four re-applies, dana's console change and sam's gcloud change.
    expect(ingress.evidence.findings).toBe(6);
    expect(ingress.evidence.actors.map((a: { actor: string }) => a.actor)).toEqual([
      'terraform@demo-shop.iam.gserviceaccount.com',
      'dana@example.com',
      'sam@example.com',
    ]);
    // checkout was reverted and is safe today; inventory (breakglass) and lab-api (monitored) are open.
    expect(ingress.breaks.map((b: { service: string; exemptBy?: string }) => [b.service, b.exemptBy])).toEqual([
      [LAB_API, undefined],
      [INVENTORY, breakglass.id],
    ]);
    expect(ingress.exceptions).toEqual([expect.objectContaining({ source: 'breakglass', ref: breakglass.id })]);

    // The files --out wrote: the YAML gcloud takes, and Terraform that names only what the resource has.
    expect(readdirSync(out).sort()).toContain('run.allowedIngress.folders-300.yaml');
    const yaml = parseYaml(readFileSync(join(out, 'run.allowedIngress.folders-300.yaml'), 'utf8'));
    expect(yaml.name).toBe('folders/300/policies/run.allowedIngress');
    const tf = await orgPolicies(readFileSync(join(out, 'org-policies.tf'), 'utf8'));
    expect(Object.values(tf).map((b) => b.parent)).toContain(SHOP_FOLDER);
    for (const body of Object.values(tf)) expect(unknownArguments(body)).toEqual([]);
  });

  it('public grants: domain restriction on demo-shop, its reviewed exemption, the customer ID to fill', async () => {
    const t = io();
    expect(await runRecommend(['--config', CONFIG, HISTORY], t, { store: new MemoryStateStore() })).toBe(0);
    const text = t.out();
    expect(text).toMatch(/^2\. constraints\/iam\.allowedPolicyMemberDomains on projects\/demo-shop$/m);
    expect(text).toMatch(/- demo-shop\/europe-west1\/public-site: its IAM policy grants allUsers@roles\/run\.invoker/);
    expect(text).toMatch(/- config projects\/demo-shop\/locations\/\*\/services\/public-site: run-public-invoker/);
    expect(text).toMatch(/FILL IN: C0_FILL_IN_YOUR_CUSTOMER_ID/);
    // One breakglass deployment by one person stays below the threshold, and the output says so.
    expect(text).toContain(
      'Not proposed: constraints/run.allowedBinaryAuthorizationPolicies: 1 finding(s) by 1 actor(s), ' +
        'below the threshold.',
    );
  });

  it('raised thresholds propose nothing, and say so', async () => {
    const t = io();
    const args = ['--config', CONFIG, '--min-findings', '7', '--min-actors', '4', HISTORY];
    expect(await runRecommend(args, t, { store: new MemoryStateStore() })).toBe(0);
    expect(t.out()).toContain('Nothing to propose.');
    expect(t.out()).toContain('Not proposed: constraints/run.allowedIngress: 6 finding(s) by 3 actor(s)');
  });
});

describe('runguard recommend as bin/runguard.js', () => {
  it('with the real console entry in another folder the ingress policy moves up to the organisation', async () => {
    const args = ['recommend', '--since', '2024-01-01T00:00:00Z', '--config', CONFIG, '--json', HISTORY, REAL_INGRESS];
    const { code, stdout, stderr } = await runCli(args, env());
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(stdout);
    const ingress = r.proposals.find((p: { constraint: string }) => p.constraint === 'run.allowedIngress');
    expect(ingress.parent).toBe(DEMO_ORG);
    expect(ingress.evidence.projects).toEqual(['demo-lab', 'demo-shop', 'test-project-1234']);
    expect(ingress.evidence.actors.map((a: { actor: string }) => a.actor)).toContain('masatonaka1989@gmail.com');
    // The real entry's service is still open, and now under the policy.
    expect(ingress.breaks.map((b: { service: string }) => b.service)).toContain(
      'projects/test-project-1234/locations/asia-northeast1/services/cloud-run-slack-bot',
    );
    expect(r.notes).toEqual([expect.stringMatching(/breakglass exemptions were not read/)]);
  });

  it('--json is stable: the same inputs give the same bytes', async () => {
    const args = ['recommend', '--config', CONFIG, '--json', HISTORY];
    const [a, b] = [await runCli(args, env()), await runCli(args, env())];
    expect(a.code).toBe(0);
    expect(a.stdout.replace(/"(since|until)": "[^"]+"/g, '')).toBe(b.stdout.replace(/"(since|until)": "[^"]+"/g, ''));
    expect(Object.keys(JSON.parse(a.stdout))).toEqual([
      'since',
      'until',
      'source',
      'records',
      'threshold',
      'proposals',
      'belowThreshold',
      'unplaced',
      'unread',
      'notes',
    ]);
  });

  it('when Resource Manager refuses, it says what it could not read, exits 2, places nothing on a guess', async () => {
    rm.fail('SearchProjects', { code: grpc.status.PERMISSION_DENIED });
    const { code, stdout, stderr } = await runCli(['recommend', '--config', CONFIG, HISTORY], env());
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /runguard recommend: could not read Resource Manager projects: .*resourcemanager\.projects\.get/,
    );
    expect(stdout).toMatch(/Not placed: demo-lab, demo-shop: their folder or organisation could not be read/);
    expect(stdout).not.toContain('folders/300');
  });

  it('where there is no history file, the Admin Activity log of --project is read and judged', async () => {
    logging.reset();
    // Only demo-shop's entries are in its log; the built demo history is the log's content.
    logging.addEntries(builtDemoHistory(NOW).filter((e) => e.logName?.startsWith('projects/demo-shop/')));
    const { code, stdout, stderr } = await runCli(
      ['recommend', '--config', CONFIG, '--json', '--project', 'demo-shop'],
      { ...env(), RUNGUARD_LOGGING_ENDPOINT: logging.endpoint },
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(stdout);
    expect(r.source).toBe('the Admin Activity log of demo-shop');
    const ingress = r.proposals.find((p: { constraint: string }) => p.constraint === 'run.allowedIngress');
    // Without demo-lab's change the findings sit in one project: the policy goes on that project.
    expect(ingress).toMatchObject({ parent: 'projects/demo-shop', evidence: { findings: 5, projects: ['demo-shop'] } });
  });

  it('refuses bad options and a missing history with exit 2', async () => {
    expect((await runCli(['recommend', '--since', 'yesterday', HISTORY], env())).code).toBe(2);
    expect((await runCli(['recommend', '--customer-id', 'acme', HISTORY], env())).code).toBe(2);
    const none = await runCli(['recommend'], env());
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/name audit-entry FILEs or --project P/);
  });
});
