// Issue 13 item 2, the scenario of finding 2 run to its end on a simulated clock: another automation
// (Terraform) keeps putting ingress ALL back on a service in an enforce project, with an audit event
// each time, while the sweep runs every 30 minutes for 6 hours, against the Cloud Run stand-in.
import type { ServicesClient } from '@google-cloud/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleAuditEvent } from '../../functions/audit-events/handler.js';
import type { Alert } from '../../functions/core/notify.js';
import { sweep } from '../../functions/reconcile/sweep.js';
import { createRunInventory } from '../../functions/remediation/run-client.js';
import { cloudEventFor, updateServiceEntry } from '../../stand-ins/audit-entries.js';
import { type CloudRunStandIn, startCloudRunStandIn } from '../../stand-ins/cloud-run/index.js';
import { harness, newClient } from '../harness.js';

const CONFIG = `
projects:
  - { match: "shop-prod", mode: enforce }
fightDetection: { maxReverts: 3, window: 1h }
reconcile: { locations: [europe-west1] }
slack: { defaultChannel: "#alerts", routes: [{ severity: [CRITICAL], channel: "#security-oncall" }] }
`;
const NAME = 'projects/shop-prod/locations/europe-west1/services/storefront';
const TERRAFORM = 'terraform@shop-ci.iam.gserviceaccount.com';
const MIN = 60_000;
const WINDOW = 60 * MIN;
const SWEEP_EVERY = 30 * MIN;

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

describe('a fight is bounded', () => {
  it('Terraform re-applying every 10 minutes for 6 hours, swept every 30: ' +
    'never insecure longer than a window plus a sweep interval, ' +
    'escalated while it lasts', {
    timeout: 120_000,
  }, async () => {
    run.seedService({ name: NAME, ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' });
    run.seedPolicy(NAME, { bindings: [] });
    const h = harness(run, client, CONFIG);
    const t0 = h.clock.now;
    const deps = { ...h.deps, inventory: createRunInventory(client), act: true, notify: true };
    const sweepAlerts: Alert[] = [];
    const fightsSeenBySweep: Array<{ at: number; before: unknown; after: unknown }> = [];
    const state = h.deps.state;
    const key = `run-ingress-all|${NAME}|ingress=INGRESS_TRAFFIC_ALL`;
    const writes: number[] = []; // on the simulated clock
    run.onBefore('UpdateService', () => {
      writes.push(h.clock.now);
    });
    let insecureSince: number | null = null;
    let longest = 0;
    let n = 0;
    const watch = () => {
      const open = run.service(NAME)!.ingress === 'INGRESS_TRAFFIC_ALL';
      if (open && insecureSince === null) insecureSince = h.clock.now;
      if (!open && insecureSince !== null) {
        longest = Math.max(longest, h.clock.now - insecureSince);
        insecureSince = null;
      }
    };
    for (let m = 0; m <= 360; m++) {
      h.clock.now = t0 + m * MIN;
      // Terraform: four quick applies at the start, then one every 10 minutes, each with its audit event.
      if (m < 4 || m % 10 === 0) {
        run.seedService({ ...run.service(NAME)!, ingress: 'INGRESS_TRAFFIC_ALL' });
        watch();
        const entry = updateServiceEntry({
          name: NAME,
          insertId: `tf-${++n}`,
          actor: TERRAFORM,
          service: { ingress: 'INGRESS_TRAFFIC_ALL' },
        });
        await handleAuditEvent(cloudEventFor(entry, `m-${n}`), h.deps);
        watch();
      }
      if (m > 0 && (m * MIN) % SWEEP_EVERY === 0) {
        const before = await state.getFight(key, h.clock.now);
        const alerts = h.notifier.alerts.length;
        await sweep(['shop-prod'], deps);
        sweepAlerts.push(...h.notifier.alerts.slice(alerts));
        fightsSeenBySweep.push({ at: h.clock.now, before, after: await state.getFight(key, h.clock.now) });
        watch();
      }
    }
    h.clock.now = t0 + 361 * MIN;
    watch();
    if (insecureSince !== null) longest = Math.max(longest, h.clock.now - insecureSince);

    // The bound: a window plus one sweep interval.
    expect(longest).toBeLessThanOrEqual(WINDOW + SWEEP_EVERY);
    // runguard keeps reverting across the 6 hours, not only at the start.
    expect(writes.length).toBeGreaterThan(6);
    // The sweep never starts or extends a fight.
    for (const s of fightsSeenBySweep) expect(s.after).toEqual(s.before);
    // A fight escalates: CRITICAL (so it is routed like other critical alerts), saying who and how many times.
    const fighting = h.notifier.alerts.filter((a) => a.verdict.done === 'fighting');
    expect(fighting.length).toBeGreaterThan(0);
    for (const a of fighting) {
      expect(a.verdict.decision.finding.severity).toBe('CRITICAL');
      expect(a.verdict.summary).toContain(TERRAFORM);
      expect(a.verdict.summary).toMatch(/\d+ times/);
    }
    // Alerted at least once per window while it lasts: a fight lasts one window, and each one is
    // alerted. The live path writes the same marks as the sweep, so a fight a change already alerted
    // is not repeated by the sweep within that window; one nobody alerted yet is the sweep's news.
    const fights = new Map(fighting.map((a) => [a.verdict.fight!.since, a.verdict.fight!]));
    expect(fights.size).toBeGreaterThan(1);
    for (const f of fights.values()) {
      const alerted = [...h.notifier.alerts, ...sweepAlerts].filter(
        (a) => a.verdict.done === 'fighting' && a.verdict.fight?.since === f.since,
      );
      expect(alerted.length).toBeGreaterThanOrEqual(1);
    }
    // Each fight lasts one window, and the next sweep or event after it reverts again.
    for (const f of fights.values()) {
      expect(f.until - f.since).toBe(WINDOW);
      expect(writes.some((w) => w >= f.until && w <= f.until + SWEEP_EVERY)).toBe(true);
    }
  });

  it(
    'finding 2 as reported: a fight, then only the sweep every 30 minutes for 6 hours ' +
      '— it reverts once the window has passed, ' +
      'and alerts the fight',
    async () => {
      const name = `${NAME}-2`;
      run.seedService({ name, ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' });
      run.seedPolicy(name, { bindings: [] });
      const h = harness(run, client, CONFIG);
      const t0 = h.clock.now;
      const deps = { ...h.deps, inventory: createRunInventory(client), act: true, notify: true };
      for (let i = 0; i < 4; i++) {
        h.clock.now = t0 + i * MIN;
        run.seedService({ ...run.service(name)!, ingress: 'INGRESS_TRAFFIC_ALL' });
        const entry = updateServiceEntry({
          name,
          insertId: `f2-${i}`,
          actor: TERRAFORM,
          service: { ingress: 'INGRESS_TRAFFIC_ALL' },
        });
        await handleAuditEvent(cloudEventFor(entry, `f2-${i}`), h.deps);
      }
      expect(run.service(name)!.ingress).toBe('INGRESS_TRAFFIC_ALL'); // the fight has started
      const done: string[] = [];
      for (let k = 1; k <= 12; k++) {
        h.clock.now = t0 + 3 * MIN + k * SWEEP_EVERY;
        const before = h.notifier.alerts.length;
        const report = await sweep(['shop-prod'], deps);
        done.push(...report.findings.filter((f) => f.resource === name).map((f) => f.done));
        if (k === 1) expect(h.notifier.alerts.slice(before).map((a) => a.verdict.done)).toEqual(['fighting']);
      }
      // 33 min: fighting (alerted); 63 min: the window has passed, reverted; then nothing is left to find.
      expect(done.slice(0, 2)).toEqual(['fighting', 'reverted']);
      expect(run.service(name)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    },
  );
});
