import { beforeEach, describe, expect, it } from 'vitest';
import { handleAuditEvent } from '../../functions/audit-events/handler.js';
import { NotifyError } from '../../functions/core/errors.js';
import { useCloudRunStandIn } from '../../stand-ins/cloud-run/use.js';
import { cloudEventFor, setIamPolicyEntry, updateServiceEntry } from '../../stand-ins/audit-entries.js';
import { harness } from '../harness.js';

const PROD = 'projects/shop-prod/locations/europe-west1/services/checkout';
const DEV = 'projects/shop-dev/locations/europe-west1/services/checkout';
const INVOKER = 'roles/run.invoker';

const { standIn, client } = useCloudRunStandIn();

function seed(name: string, service: Record<string, unknown> = {}, members: string[] = ['group:shoppers@example.com']) {
  standIn.seedService({ name, ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY', labels: { team: 'shop' }, ...service });
  standIn.seedPolicy(name, { bindings: [{ role: INVOKER, members }] });
}
const writes = () => [...standIn.callsTo('UpdateService'), ...standIn.callsTo('SetIamPolicy')];
let n = 0;
const ingressAll = (name: string, actor?: string) =>
  cloudEventFor(
    updateServiceEntry({
      name,
      insertId: `ins-${++n}`,
      service: { ingress: 'INGRESS_TRAFFIC_ALL' },
      ...(actor ? { actor } : {}),
    }),
    `msg-${n}`,
  );

beforeEach(() => standIn.reset());

describe('auditEvents: reverting in enforce mode', () => {
  it('reverts ingress opened to all traffic, changing only ingress, and says what is true now', async () => {
    seed(PROD, { ingress: 'INGRESS_TRAFFIC_ALL' });
    const h = harness(standIn, client);
    const result = await handleAuditEvent(ingressAll(PROD), h.deps);
    expect(result.status).toBe('handled');
    expect(standIn.service(PROD)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    expect(standIn.service(PROD)!.labels).toEqual({ team: 'shop' });
    const [update] = standIn.callsTo('UpdateService');
    expect(update!.request.updateMask).toEqual({ paths: ['ingress'] });
    const alert = h.notifier.alerts.find((a) => a.verdict.decision.finding.rule === 'run-ingress-all')!;
    expect(alert.verdict.done).toBe('reverted');
    expect(alert.verdict.summary).toMatch(/INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER/);
    expect(alert.observation.source).toBe('live');
    const line = h.logs.find((l) => l.event === 'decision' && l.rule === 'run-ingress-all')!;
    expect(line).toMatchObject({
      severity: 'NOTICE',
      action: 'revert',
      done: 'reverted',
      insertId: `ins-${n}`,
      actor: 'dev@example.com',
    });
  });

  it('re-enables the invoker IAM check', async () => {
    seed(PROD, { invokerIamDisabled: true });
    const h = harness(standIn, client);
    const event = cloudEventFor(
      updateServiceEntry({ name: PROD, insertId: 'iam-off', service: { invokerIamDisabled: true } }),
      'm-iam-off',
    );
    await handleAuditEvent(event, h.deps);
    expect(standIn.service(PROD)!.invokerIamDisabled).toBeFalsy();
    expect(h.notifier.alerts.map((a) => [a.verdict.decision.finding.rule, a.verdict.done])).toContainEqual([
      'run-invoker-iam-disabled',
      'reverted',
    ]);
  });

  it('removes exactly allUsers and allAuthenticatedUsers from the policy, keeping every other member', async () => {
    seed(PROD, {}, ['allUsers', 'group:shoppers@example.com', 'allAuthenticatedUsers']);
    standIn.seedPolicy(PROD, {
      bindings: [
        { role: INVOKER, members: ['allUsers', 'group:shoppers@example.com'] },
        { role: 'roles/run.viewer', members: ['allAuthenticatedUsers', 'user:ana@example.com'] },
      ],
    });
    const h = harness(standIn, client);
    const entry = setIamPolicyEntry({
      name: PROD,
      insertId: 'pub-1',
      bindings: [{ role: INVOKER, members: ['allUsers', 'group:shoppers@example.com'] }],
    });
    await handleAuditEvent(cloudEventFor(entry, 'm-pub-1'), h.deps);
    expect(standIn.policy(PROD)!.bindings).toEqual([
      { role: INVOKER, members: ['group:shoppers@example.com'] },
      { role: 'roles/run.viewer', members: ['user:ana@example.com'] },
    ]);
    const alert = h.notifier.alerts.find((a) => a.verdict.decision.finding.rule === 'run-public-invoker')!;
    expect(alert.verdict.done).toBe('reverted');
  });
});

describe('auditEvents: not acting', () => {
  it('alerts without writing in a monitor project', async () => {
    seed(DEV, { ingress: 'INGRESS_TRAFFIC_ALL' });
    const h = harness(standIn, client);
    await handleAuditEvent(ingressAll(DEV), h.deps);
    expect(writes()).toEqual([]);
    expect(h.notifier.alerts.map((a) => a.verdict.done)).toEqual(['alerted']);
    expect(standIn.service(DEV)!.ingress).toBe('INGRESS_TRAFFIC_ALL');
  });

  it('writes nothing in dry-run and says what it would have done', async () => {
    seed(PROD, { ingress: 'INGRESS_TRAFFIC_ALL' });
    const h = harness(standIn, client, `dryRun: true\nprojects: [{ match: "shop-prod", mode: enforce }]\n`);
    await handleAuditEvent(ingressAll(PROD), h.deps);
    expect(writes()).toEqual([]);
    expect(h.notifier.alerts[0]!.verdict).toMatchObject({
      done: 'dry-run',
      summary: expect.stringMatching(/would set-ingress/),
    });
  });

  it("skips runguard's own change without reading or writing anything", async () => {
    seed(PROD, { ingress: 'INGRESS_TRAFFIC_ALL' });
    const h = harness(standIn, client);
    const result = await handleAuditEvent(ingressAll(PROD, 'runguard@ops-project.iam.gserviceaccount.com'), h.deps);
    expect(result.status).toBe('skipped');
    expect(standIn.calls).toEqual([]);
    expect(h.logs.find((l) => l.event === 'skip')!.skipCode).toBe('self');
  });

  it('acknowledges a poison message, logging its id and reason', async () => {
    const h = harness(standIn, client);
    const result = await handleAuditEvent(cloudEventFor('this is not a log entry', 'poison-1'), h.deps);
    expect(result.status).toBe('malformed');
    const line = h.logs.find((l) => l.event === 'malformed')!;
    expect(line).toMatchObject({ severity: 'ERROR', messageId: 'poison-1' });
    expect(line.message).toMatch(/poison-1.*not JSON/);
    expect(h.notifier.alerts).toEqual([]);
  });

  it('treats a service deleted before it could be read as nothing to do', async () => {
    const h = harness(standIn, client);
    const result = await handleAuditEvent(ingressAll(PROD), h.deps);
    expect(result.status).toBe('gone');
    expect(writes()).toEqual([]);
    expect(h.logs.find((l) => l.event === 'skip')!.message).toMatch(/no longer exists/);
  });

  it('never loads the Cloud Run client for a change that is not about Cloud Run', async () => {
    const { readFileSync } = await import('node:fs');
    const entry = readFileSync(
      new URL(
        '../fixtures/auditlogs/real/crm-project-setiampolicy-console-add-securityreviewer-2019.json',
        import.meta.url,
      ),
      'utf8',
    );
    const h = harness(standIn, client);
    await handleAuditEvent(cloudEventFor(entry, 'crm-1'), h.deps);
    expect(h.runLoads.count).toBe(0);
    expect(h.logs.some((l) => l.event === 'decision' || l.event === 'clean')).toBe(true);
  });
});

describe('auditEvents: at least once delivery and failures', () => {
  it('handles a redelivered message once: one write, one alert', async () => {
    seed(PROD, { ingress: 'INGRESS_TRAFFIC_ALL' });
    const h = harness(standIn, client);
    const event = ingressAll(PROD);
    expect((await handleAuditEvent(event, h.deps)).status).toBe('handled');
    standIn.seedService({ ...standIn.service(PROD)!, ingress: 'INGRESS_TRAFFIC_ALL' });
    expect((await handleAuditEvent(event, h.deps)).status).toBe('duplicate');
    expect(standIn.callsTo('UpdateService')).toHaveLength(1);
    expect(h.notifier.alerts).toHaveLength(1);
  });

  it('keeps the other writer’s member when the policy changes between read and write', async () => {
    seed(PROD, {}, ['allUsers', 'group:shoppers@example.com']);
    standIn.onBefore(
      'SetIamPolicy',
      () => {
        const current = standIn.policy(PROD)!;
        standIn.seedPolicy(PROD, {
          bindings: current.bindings.map((b) => ({ ...b, members: [...b.members, 'user:late@example.com'] })),
        });
      },
      { times: 1 },
    );
    const h = harness(standIn, client);
    await handleAuditEvent(
      cloudEventFor(
        setIamPolicyEntry({ name: PROD, insertId: 'race-1', bindings: [{ role: INVOKER, members: ['allUsers'] }] }),
        'm-race',
      ),
      h.deps,
    );
    expect(standIn.policy(PROD)!.bindings).toEqual([
      { role: INVOKER, members: ['group:shoppers@example.com', 'user:late@example.com'] },
    ]);
    expect(h.notifier.alerts[0]!.verdict.outcome!.attempts).toBe(2);
  });

  it('fails on Cloud Run UNAVAILABLE so Pub/Sub redelivers, then reverts once on the redelivery', async () => {
    seed(PROD, { ingress: 'INGRESS_TRAFFIC_ALL' });
    standIn.fail('UpdateService', { code: 14, times: 1 });
    const h = harness(standIn, client);
    const event = ingressAll(PROD);
    await expect(handleAuditEvent(event, h.deps)).rejects.toMatchObject({ code: 'unavailable' });
    expect(standIn.service(PROD)!.ingress).toBe('INGRESS_TRAFFIC_ALL');
    expect(h.logs.find((l) => l.event === 'transient')!.severity).toBe('WARNING');
    expect((await handleAuditEvent(event, h.deps)).status).toBe('handled');
    expect(standIn.service(PROD)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    expect(h.notifier.alerts).toHaveLength(1);
  });

  it('does not revert again when only the alert failed: the redelivery sends the alert it owes', async () => {
    seed(PROD, { ingress: 'INGRESS_TRAFFIC_ALL' });
    const h = harness(standIn, client);
    h.notifier.failNext.push(new NotifyError('slack 503', true));
    const event = ingressAll(PROD);
    await expect(handleAuditEvent(event, h.deps)).rejects.toThrow('slack 503');
    expect(standIn.callsTo('UpdateService')).toHaveLength(1);
    await handleAuditEvent(event, h.deps);
    expect(standIn.callsTo('UpdateService')).toHaveLength(1);
    expect(h.notifier.alerts.map((a) => a.verdict.done)).toEqual(['reverted']);
  });

  it('logs an alert that can never be delivered, loudly, without undoing the revert', async () => {
    seed(PROD, { ingress: 'INGRESS_TRAFFIC_ALL' });
    const h = harness(standIn, client);
    h.notifier.failNext.push(new NotifyError('channel_not_found', false));
    expect((await handleAuditEvent(ingressAll(PROD), h.deps)).status).toBe('handled');
    expect(standIn.service(PROD)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    expect(h.logs.find((l) => l.event === 'alert-undelivered')).toMatchObject({
      severity: 'ERROR',
      message: expect.stringMatching(/NOT DELIVERED.*channel_not_found/),
    });
  });

  it('turns a missing permission into an alert that names it', async () => {
    seed(PROD, {}, ['allUsers']);
    standIn.fail('SetIamPolicy', { code: 7, times: Infinity });
    const h = harness(standIn, client);
    await handleAuditEvent(
      cloudEventFor(
        setIamPolicyEntry({ name: PROD, insertId: 'perm-1', bindings: [{ role: INVOKER, members: ['allUsers'] }] }),
        'm-perm',
      ),
      h.deps,
    );
    const alert = h.notifier.alerts.find((a) => a.verdict.decision.finding.rule === 'run-public-invoker')!;
    expect(alert.verdict.done).toBe('failed');
    expect(alert.verdict.summary).toMatch(/lacks the permission run\.services\.setIamPolicy/);
  });

  it('falls back to the entry’s own state when the live service cannot be read, and says so', async () => {
    seed(DEV, { ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' });
    standIn.fail('GetService', { code: 7, times: Infinity });
    const h = harness(standIn, client);
    await handleAuditEvent(ingressAll(DEV), h.deps);
    const alert = h.notifier.alerts.find((a) => a.verdict.decision.finding.rule === 'run-ingress-all')!;
    expect(alert.observation).toMatchObject({ source: 'event', note: expect.stringMatching(/permission-denied/) });
  });
});

describe('auditEvents: fighting another automation', () => {
  it(
    'stops reverting after 3 reverts within the hour, says who it is fighting once, ' +
      'then keeps alerting without acting',
    async () => {
      seed(PROD, { ingress: 'INGRESS_TRAFFIC_ALL' });
      const h = harness(standIn, client);
      const terraform = 'terraform@shop-prod.iam.gserviceaccount.com';
      const done: string[] = [];
      for (let i = 0; i < 5; i++) {
        // the other automation re-applies
        standIn.seedService({ ...standIn.service(PROD)!, ingress: 'INGRESS_TRAFFIC_ALL' });
        h.clock.now += 60_000;
        const before = h.notifier.alerts.length;
        await handleAuditEvent(ingressAll(PROD, terraform), h.deps);
        done.push(
          ...h.notifier.alerts
            .slice(before)
            .filter((a) => a.verdict.decision.finding.rule === 'run-ingress-all')
            .map((a) => a.verdict.done),
        );
      }
      expect(done).toEqual(['reverted', 'reverted', 'reverted', 'fighting', 'fighting']);
      expect(standIn.callsTo('UpdateService')).toHaveLength(3);
      const fights = h.notifier.alerts.filter((a) => a.verdict.done === 'fighting').map((a) => a.verdict.summary);
      expect(fights[0]).toMatch(
        new RegExp(
          `^runguard is fighting ${terraform}: it put this setting back 4 times within 1h \\(reverted 3 times\\)`,
        ),
      );
      expect(fights[1]).toMatch(/^not reverted: runguard is fighting/);
      // Escalated: CRITICAL whatever the rule's severity (run-ingress-all is HIGH).
      for (const a of h.notifier.alerts.filter((x) => x.verdict.done === 'fighting'))
        expect(a.verdict.decision.finding.severity).toBe('CRITICAL');
    },
  );

  it('reverts again once the window has passed, even though the other automation kept going', async () => {
    seed(PROD, { ingress: 'INGRESS_TRAFFIC_ALL' });
    const h = harness(standIn, client);
    for (let i = 0; i < 4; i++) {
      standIn.seedService({ ...standIn.service(PROD)!, ingress: 'INGRESS_TRAFFIC_ALL' });
      h.clock.now += 60_000;
      await handleAuditEvent(ingressAll(PROD), h.deps);
    }
    const since = h.clock.now;
    // Re-applied every 10 minutes during the fight: nothing extends it.
    for (let i = 1; i <= 5; i++) {
      h.clock.now = since + i * 600_000;
      await handleAuditEvent(ingressAll(PROD), h.deps);
      expect(h.notifier.alerts.at(-1)!.verdict).toMatchObject({
        done: 'fighting',
        fight: { since, until: since + 3_600_000 },
      });
    }
    h.clock.now = since + 3_600_000;
    await handleAuditEvent(ingressAll(PROD), h.deps);
    expect(h.notifier.alerts.at(-1)!.verdict.done).toBe('reverted');
  });
});
