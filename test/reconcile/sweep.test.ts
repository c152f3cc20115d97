import * as grpc from '@grpc/grpc-js';
import { beforeEach, describe, expect, it } from 'vitest';
import { sweep } from '../../functions/reconcile/sweep.js';
import type { SweepDeps, SweepProgress } from '../../functions/reconcile/types.js';
import { createRunInventory } from '../../functions/remediation/run-client.js';
import type { BreakglassExemption } from '../../functions/state/types.js';
import { StandInError } from '../../stand-ins/cloud-run/index.js';
import { useCloudRunStandIn } from '../../stand-ins/cloud-run/use.js';
import { harness, type Harness } from '../harness.js';

// The sweep against the Cloud Run stand-in through the real client: what is deployed is read,
// judged by the same rules, acted on per project mode, and alerted once.

const CONFIG = `
selfPrincipals: [runguard@ops-project.iam.gserviceaccount.com]
projects:
  - { match: "shop-prod", mode: enforce }
  - { match: "shop-dev", mode: monitor }
  - { match: "sandbox-*", mode: "off" }
reconcile: { concurrency: 8, projectBudget: 1m }
`;
const REGIONS = ['us-central1', 'europe-west1', 'asia-east1'];
const INVOKER = 'roles/run.invoker';
const svc = (project: string, region: string, name: string) =>
  `projects/${project}/locations/${region}/services/${name}`;

const { standIn, client } = useCloudRunStandIn();
beforeEach(() => {
  standIn.reset();
  standIn.setLocations(REGIONS);
});

function seed(name: string, service: Record<string, unknown> = {}, members: string[] = ['group:shoppers@example.com']) {
  standIn.seedService({ name, ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY', ...service });
  standIn.seedPolicy(name, { bindings: [{ role: INVOKER, members }] });
}

function sweepDeps(h: Harness, over: Partial<SweepDeps> = {}): SweepDeps {
  return { ...h.deps, inventory: createRunInventory(client), act: true, notify: true, ...over };
}

/** Every project's services denied, the way the real API answers a caller without run.services.list. */
function denyListing(project: string): () => void {
  return standIn.onBefore('ListServices', (req) => {
    if (String(req.parent).startsWith(`projects/${project}/`)) {
      throw new StandInError(
        grpc.status.PERMISSION_DENIED,
        `Permission 'run.services.list' denied on resource '${String(req.parent)}' (or it may not exist).`,
      );
    }
  });
}

describe('sweep: finding what no event reported', () => {
  it('reverts in enforce, alerts in monitor, skips off projects, and leaves clean services alone', async () => {
    seed(svc('shop-prod', 'europe-west1', 'checkout'), { ingress: 'INGRESS_TRAFFIC_ALL' });
    seed(svc('shop-prod', 'us-central1', 'api'), {}, ['allUsers', 'group:shoppers@example.com']);
    seed(svc('shop-prod', 'asia-east1', 'clean'));
    seed(svc('shop-dev', 'us-central1', 'preview'), { ingress: 'INGRESS_TRAFFIC_ALL' });
    seed(svc('sandbox-1', 'us-central1', 'wild'), { ingress: 'INGRESS_TRAFFIC_ALL' });
    const h = harness(standIn, client, CONFIG);

    const report = await sweep(['shop-prod', 'shop-dev', 'sandbox-1'], sweepDeps(h));

    expect(standIn.service(svc('shop-prod', 'europe-west1', 'checkout'))!.ingress).toBe(
      'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
    );
    expect(standIn.policy(svc('shop-prod', 'us-central1', 'api'))!.bindings).toEqual([
      { role: INVOKER, members: ['group:shoppers@example.com'] },
    ]);
    expect(standIn.service(svc('shop-dev', 'us-central1', 'preview'))!.ingress).toBe('INGRESS_TRAFFIC_ALL');
    expect(standIn.service(svc('sandbox-1', 'us-central1', 'wild'))!.ingress).toBe('INGRESS_TRAFFIC_ALL');
    expect(standIn.callsTo('ListServices').some((c) => String(c.request.parent).includes('sandbox-1'))).toBe(false);

    const seen = report.findings.map((f) => [f.resource, f.rule, f.done]);
    expect(seen).toEqual(
      expect.arrayContaining([
        [svc('shop-prod', 'europe-west1', 'checkout'), 'run-ingress-all', 'reverted'],
        [svc('shop-prod', 'us-central1', 'api'), 'run-public-invoker', 'reverted'],
        [svc('shop-dev', 'us-central1', 'preview'), 'run-ingress-all', 'alerted'],
      ]),
    );
    expect(report.findings.every((f) => f.resource !== svc('shop-prod', 'asia-east1', 'clean'))).toBe(true);
    expect(report.projects.map((p) => [p.project, p.locations, p.services, p.scanned, p.complete])).toEqual([
      ['shop-prod', 3, 3, 3, true],
      ['shop-dev', 3, 1, 1, true],
    ]);

    // The alert says there was no change event; the summary lists what is new.
    const alert = h.notifier.alerts.find((a) => a.change.resource === svc('shop-dev', 'us-central1', 'preview'))!;
    expect(alert.change.foundBy).toBe('sweep');
    expect(alert.change.actor).toBe('');
    expect(h.notifier.summaries).toHaveLength(1);
    expect(h.notifier.summaries[0]!.news.map((n) => n.resource).sort()).toEqual(
      report.findings.map((f) => f.resource).sort(),
    );
    // One decision line per finding, with the project, for the log metric.
    expect(
      h.logs
        .filter((l) => l.event === 'decision')
        .map((l) => (l.labels as { done: string }).done)
        .sort(),
    ).toEqual(['alerted', 'reverted', 'reverted']);
  });

  it('alerts an unchanged finding once; a change to it, or its return after it was gone, is news again', async () => {
    const preview = svc('shop-dev', 'us-central1', 'preview');
    seed(preview, { ingress: 'INGRESS_TRAFFIC_ALL' });
    const h = harness(standIn, client, CONFIG);
    const deps = sweepDeps(h);

    await sweep(['shop-dev'], deps);
    h.clock.now += 3_600_000;
    const second = await sweep(['shop-dev'], deps);
    expect(second.findings.map((f) => [f.rule, f.isNew])).toEqual([['run-ingress-all', false]]);
    expect(h.notifier.alerts).toHaveLength(1);
    expect(h.notifier.summaries).toHaveLength(1);

    // Someone adds allUsers as well: the public-invoker finding is new, the ingress one is not.
    standIn.seedPolicy(preview, { bindings: [{ role: INVOKER, members: ['allUsers'] }] });
    h.clock.now += 3_600_000;
    const third = await sweep(['shop-dev'], deps);
    expect(third.findings.map((f) => [f.rule, f.isNew]).sort()).toEqual([
      ['run-ingress-all', false],
      ['run-public-invoker', true],
    ]);
    expect(h.notifier.alerts.map((a) => a.verdict.decision.finding.rule)).toEqual([
      'run-ingress-all',
      'run-public-invoker',
    ]);

    // Fixed by hand, then opened again: the ingress finding is back, and alerted as new.
    standIn.seedService({ ...standIn.service(preview)!, ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' });
    h.clock.now += 3_600_000;
    await sweep(['shop-dev'], deps);
    standIn.seedService({ ...standIn.service(preview)!, ingress: 'INGRESS_TRAFFIC_ALL' });
    h.clock.now += 3_600_000;
    const fifth = await sweep(['shop-dev'], deps);
    expect(fifth.findings.find((f) => f.rule === 'run-ingress-all')!.isNew).toBe(true);
    expect(h.notifier.alerts.map((a) => a.verdict.decision.finding.rule)).toEqual([
      'run-ingress-all',
      'run-public-invoker',
      'run-ingress-all',
    ]);
  });

  it('reverts once a breakglass exemption has expired, and honours it while it stands', async () => {
    const checkout = svc('shop-prod', 'europe-west1', 'checkout');
    seed(checkout, { ingress: 'INGRESS_TRAFFIC_ALL' });
    const h = harness(standIn, client, CONFIG);
    const expires = h.clock.now + 3_600_000;
    const exemption: BreakglassExemption = {
      resource: checkout,
      rule: 'run-ingress-all',
      reason: 'launch demo',
      expires: new Date(expires).toISOString(),
      approvedBy: 'lead@example.com',
      source: 'breakglass',
      id: `run-ingress-all|${checkout}|1`,
      findingKey: `run-ingress-all|${checkout}`,
      requester: 'dev@example.com',
      createdAt: new Date(h.clock.now).toISOString(),
      slackUserId: 'U1',
      slackMessage: null,
    };
    await h.deps.state.recordExemption(exemption, h.clock.now);
    const deps = sweepDeps(h);

    const during = await sweep(['shop-prod'], deps);
    expect(during.findings.map((f) => [f.rule, f.done])).toEqual([['run-ingress-all', 'exempt']]);
    expect(standIn.service(checkout)!.ingress).toBe('INGRESS_TRAFFIC_ALL');
    expect(h.notifier.alerts).toHaveLength(0); // an exemption someone granted is not news to page about

    h.clock.now = expires + 1;
    const after = await sweep(['shop-prod'], deps);
    expect(after.findings.map((f) => [f.rule, f.done, f.isNew])).toEqual([['run-ingress-all', 'reverted', true]]);
    expect(standIn.service(checkout)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    expect(h.notifier.alerts.map((a) => a.verdict.done)).toEqual(['reverted']);
  });
});

describe('sweep: bounded, and honest about what it could not read', () => {
  it('goes on past a project it may not read, and names it once, not once per region', async () => {
    seed(svc('shop-dev', 'us-central1', 'preview'), { ingress: 'INGRESS_TRAFFIC_ALL' });
    seed(svc('locked', 'us-central1', 'secret'), { ingress: 'INGRESS_TRAFFIC_ALL' });
    denyListing('locked');
    const h = harness(standIn, client, CONFIG);

    const report = await sweep(['locked', 'shop-dev'], sweepDeps(h));
    expect(report.findings.map((f) => f.resource)).toEqual([svc('shop-dev', 'us-central1', 'preview')]);
    expect(report.unread).toEqual([
      {
        project: 'locked',
        what: '3 regions (asia-east1, europe-west1, us-central1)',
        reason: 'permission run.services.list denied',
      },
    ]);
    expect(report.projects.find((p) => p.project === 'locked')!.complete).toBe(false);
    expect(h.notifier.summaries[0]!.unread).toEqual(report.unread);
  });

  it('counts a service deleted between listing and reading as gone, not as an error or a pass', async () => {
    const doomed = svc('shop-dev', 'europe-west1', 'doomed');
    seed(doomed, { ingress: 'INGRESS_TRAFFIC_ALL' });
    seed(svc('shop-dev', 'europe-west1', 'kept'), { ingress: 'INGRESS_TRAFFIC_ALL' });
    // Deleted through the API after the listing, just before its policy is read.
    standIn.onBefore('GetIamPolicy', async (req) => {
      if (req.resource === doomed) await deleteService(doomed);
    });
    const h = harness(standIn, client, CONFIG);
    const report = await sweep(['shop-dev'], sweepDeps(h));
    expect(report.projects[0]).toMatchObject({ services: 2, gone: 1, findings: 1, complete: true });
    expect(report.findings.map((f) => f.resource)).toEqual([svc('shop-dev', 'europe-west1', 'kept')]);
    expect(report.unread).toEqual([]);
  });

  it('read-only: says what enforce would do and changes nothing', async () => {
    const checkout = svc('shop-prod', 'europe-west1', 'checkout');
    seed(checkout, { ingress: 'INGRESS_TRAFFIC_ALL' });
    const h = harness(standIn, client, CONFIG);
    const report = await sweep(['shop-prod'], sweepDeps(h, { act: false, notify: false }));
    expect(report.findings.map((f) => [f.rule, f.action, f.done])).toEqual([['run-ingress-all', 'revert', 'dry-run']]);
    expect(report.findings[0]!.summary).toMatch(/would set-ingress/);
    expect(standIn.callsTo('UpdateService')).toHaveLength(0);
    expect(standIn.service(checkout)!.ingress).toBe('INGRESS_TRAFFIC_ALL');
    expect(h.notifier.alerts).toHaveLength(0);
    expect(h.notifier.summaries).toHaveLength(0);
  });

  it('stops a project at its time budget and reports how much was left', async () => {
    for (let i = 0; i < 6; i++) seed(svc('shop-dev', 'us-central1', `s${i}`));
    standIn.latency(30);
    const h = harness(standIn, client, CONFIG.replace('projectBudget: 1m', 'projectBudget: 1s'));
    // The clock jumps past the budget once the listing is done.
    standIn.onBefore(
      'GetIamPolicy',
      () => {
        h.clock.now += 2_000;
      },
      { times: 1 },
    );
    const report = await sweep(
      ['shop-dev'],
      sweepDeps(h, { config: { ...h.deps.config, reconcile: { ...h.deps.config.reconcile, concurrency: 1 } } }),
    );
    const project = report.projects[0]!;
    expect(project.complete).toBe(false);
    expect(project.scanned).toBeLessThan(6);
    expect(report.unread).toEqual([
      {
        project: 'shop-dev',
        what: 'budget',
        reason: `stopped after 1000 ms with ${6 - project.scanned} of 6 services not judged`,
      },
    ]);
  });

  it('starts no project after the sweep budget, and names the ones left for the next sweep', async () => {
    for (const p of ['p-one1', 'p-two2', 'p-three', 'p-four4', 'p-five5']) seed(svc(p, 'us-central1', 'web'));
    const h = harness(standIn, client, CONFIG.replace('projectBudget: 1m', 'projectBudget: 1m, sweepBudget: 5m'));
    // One project at a time (concurrency 1); the first one's reading takes "ten minutes".
    standIn.onBefore(
      'GetIamPolicy',
      () => {
        h.clock.now += 600_000;
      },
      { times: 1 },
    );
    const report = await sweep(
      ['p-one1', 'p-two2', 'p-three', 'p-four4', 'p-five5'],
      sweepDeps(h, { config: { ...h.deps.config, reconcile: { ...h.deps.config.reconcile, concurrency: 1 } } }),
    );
    expect(report.projects.map((p) => p.project)).toEqual(['p-one1']);
    expect(report.unread).toEqual([
      {
        project: '4 projects',
        what: 'sweep budget',
        reason: 'not started within 300000 ms: p-five5, p-four4, p-three, p-two2',
      },
    ]);
  });

  it('uses the configured regions instead of listing them, and reports progress per project', async () => {
    seed(svc('shop-dev', 'europe-west1', 'a'));
    seed(svc('shop-dev', 'us-central1', 'b'));
    const h = harness(
      standIn,
      client,
      `${CONFIG}\n`.replace('reconcile: {', 'reconcile: { locations: [europe-west1],'),
    );
    const progress: SweepProgress[] = [];
    const report = await sweep(['shop-dev'], sweepDeps(h, { onProgress: (p) => progress.push(p) }));
    expect(standIn.callsTo('ListLocations')).toHaveLength(0);
    expect(standIn.callsTo('ListServices').map((c) => c.request.parent)).toEqual([
      'projects/shop-dev/locations/europe-west1',
    ]);
    expect(report.projects[0]).toMatchObject({ locations: 1, services: 1 });
    expect(progress.at(-1)).toEqual({ project: 'shop-dev', total: 1, scanned: 1, listed: true, done: true });
    expect(progress.some((p) => p.scanned === 0 && p.total === 1)).toBe(true);
  });
});

async function deleteService(name: string): Promise<void> {
  const [op] = await client.deleteService({ name });
  await op.promise();
}
