import type { ServicesClient } from '@google-cloud/run';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handleAuditEvent } from '../../functions/audit-events/handler.js';
import { renderAlert } from '../../functions/slack/render.js';
import { type CloudRunStandIn, startCloudRunStandIn } from '../../stand-ins/cloud-run/index.js';
import { cloudEventFor, updateServiceEntry } from '../../stand-ins/audit-entries.js';
import { harness, newClient } from '../harness.js';

// Issue 13 §5: the live state says what is true now; the change says what it introduced. A finding
// already open before a change is labelled so, not blamed on its actor, not counted toward a fight,
// and (alert only) not alerted again on every unrelated deploy.

const PROD = 'projects/shop-prod/locations/europe-west1/services/api';
const DEV = 'projects/shop-dev/locations/europe-west1/services/api';
const ALICE = 'alice@example.com';

let standIn: CloudRunStandIn;
let client: ServicesClient;
beforeAll(async () => {
  standIn = await startCloudRunStandIn();
  client = await newClient(standIn);
});
afterAll(async () => {
  await client?.close();
  await standIn?.close();
});
beforeEach(() => standIn.reset());

let n = 0;
/** alice deploys a new image: the update mask names the template only. */
const templateDeploy = (name: string) =>
  cloudEventFor(
    updateServiceEntry({
      name,
      insertId: `attr-${++n}`,
      actor: ALICE,
      service: { template: { containers: [{ image: `europe-docker.pkg.dev/shop/api:v${n}` }] } },
    }),
    `m-${n}`,
  );
const openIngress = (name: string, actor = 'bob@example.com') =>
  cloudEventFor(
    updateServiceEntry({ name, insertId: `attr-${++n}`, actor, service: { ingress: 'INGRESS_TRAFFIC_ALL' } }),
    `m-${n}`,
  );
const seedOpen = (name: string) => {
  standIn.seedService({ name, ingress: 'INGRESS_TRAFFIC_ALL' });
  standIn.seedPolicy(name, { bindings: [] });
};

describe('attribution: what this change introduced, and what was already open', () => {
  it('labels a standing finding, does not blame the deployer, still reverts it, and counts no fight', async () => {
    seedOpen(PROD);
    const h = harness(standIn, client);
    const result = await handleAuditEvent(templateDeploy(PROD), h.deps);
    const [v] = result.verdicts;
    expect(v!.decision.finding.rule).toBe('run-ingress-all');
    expect(v!.decision.introduced).toBe(false);
    expect(v!.done).toBe('reverted'); // the promise: the setting does not stay
    expect(standIn.service(PROD)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    expect(await h.deps.state.revertCount(v!.decision.finding.key, h.clock.now, 3_600_000)).toBe(0);

    const rendered = JSON.stringify(renderAlert(h.notifier.alerts[0]!).blocks);
    expect(rendered).toMatch(/already open before this change/);
    const line = h.logs.find((l) => l.event === 'decision')!;
    expect(line).toMatchObject({ introduced: false, actor: ALICE });
    expect(String(line.message)).toMatch(/already open before this change/);
  });

  it('a standing finding never tips the deployer into a fight', async () => {
    const h = harness(standIn, client);
    for (let i = 0; i < 5; i++) {
      seedOpen(PROD); // something else keeps it open; alice only deploys images
      const result = await handleAuditEvent(templateDeploy(PROD), h.deps);
      expect(result.verdicts[0]!.done).toBe('reverted');
      expect(result.verdicts[0]!.fight).toBeNull();
    }
  });

  it('the change that opens ingress is the one blamed', async () => {
    seedOpen(PROD);
    const h = harness(standIn, client);
    const result = await handleAuditEvent(openIngress(PROD, 'bob@example.com'), h.deps);
    expect(result.verdicts[0]!.decision.introduced).toBe(true);
    const rendered = JSON.stringify(renderAlert(h.notifier.alerts[0]!).blocks);
    expect(rendered).not.toMatch(/already open/);
    expect(rendered).toMatch(/bob@example\.com/);
  });

  it('in monitor mode, unrelated deploys do not re-alert an unchanged standing finding', async () => {
    seedOpen(DEV);
    const h = harness(standIn, client);
    await handleAuditEvent(openIngress(DEV), h.deps);
    expect(h.notifier.alerts).toHaveLength(1);
    for (let i = 0; i < 3; i++) await handleAuditEvent(templateDeploy(DEV), h.deps);
    expect(h.notifier.alerts).toHaveLength(1);
    const lines = h.logs.filter((l) => l.event === 'decision');
    expect(lines).toHaveLength(4); // every decision is still recorded
    expect(lines.slice(1).every((l) => l.introduced === false && l.alerted === false)).toBe(true);
    // Opened again by someone (a new change to it) is news.
    await handleAuditEvent(openIngress(DEV, 'carol@example.com'), h.deps);
    expect(h.notifier.alerts).toHaveLength(2);
  });

  it('in monitor mode, a standing finding never alerted before is alerted once, labelled', async () => {
    seedOpen(DEV);
    const h = harness(standIn, client);
    await handleAuditEvent(templateDeploy(DEV), h.deps);
    await handleAuditEvent(templateDeploy(DEV), h.deps);
    expect(h.notifier.alerts).toHaveLength(1);
    expect(h.notifier.alerts[0]!.verdict.decision.introduced).toBe(false);
  });
});
