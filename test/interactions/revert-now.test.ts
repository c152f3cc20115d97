import { status } from '@grpc/grpc-js';
import { beforeEach, describe, expect, it } from 'vitest';
import { useCloudRunStandIn } from '../../stand-ins/cloud-run/use.js';
import { useSlackStandIn } from '../../stand-ins/slack/use.js';
import { harness } from '../harness.js';
import { handleSlackInteraction } from '../../functions/interactions/handler.js';
import { CHANNEL, CONFIG, clickPayload, kit, type Posted, postAlert, send, signed, SLACK } from './helpers.js';

// "Revert now" runs the live path's remediate() against the Cloud Run stand-in through the real client.
const DEV = 'projects/shop-dev/locations/europe-west1/services/checkout';

describe('Revert now', () => {
  const { standIn: run, client } = useCloudRunStandIn();
  const slack = useSlackStandIn(SLACK);
  let msg: Posted;
  beforeEach(async () => {
    run.reset();
    slack.reset();
    run.seedService({ name: DEV, ingress: 'INGRESS_TRAFFIC_ALL', labels: { team: 'shop' } });
    run.seedPolicy(DEV, { bindings: [] });
    msg = await postAlert(slack, { project: 'shop-dev' });
  });
  const setup = (configText = CONFIG) => {
    const live = harness(run, client).deps;
    return kit(slack, { configText, getRun: live.getRun, remediate: live.remediate });
  };
  const stored = () => slack.messages(CHANNEL).find((m) => m.ts === msg.ts)!;
  const writes = () => [...run.callsTo('UpdateService'), ...run.callsTo('SetIamPolicy')];

  it('reverts the service for an approver, changing only ingress, and rewrites the alert with the result', async () => {
    expect(JSON.stringify(msg.blocks)).toContain('runguard_revert_now');
    const k = setup();
    const reply = await send(k, clickPayload(msg, 'U0BOB', 'runguard_revert_now'));
    expect(reply.status).toBe(200);
    expect(run.service(DEV)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    expect(run.service(DEV)!.labels).toEqual({ team: 'shop' });
    expect(run.callsTo('UpdateService')[0]!.request.updateMask).toEqual({ paths: ['ingress'] });
    const text = JSON.stringify(stored().blocks);
    expect(text).toMatch(/Reverted\* at the request of <@U0BOB>/);
    expect(text).toContain('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    expect(text).not.toContain('runguard_revert_now');
    expect(await k.deps.state.revertCount(`run-ingress-all|${DEV}`, k.clock.now, 3_600_000)).toBe(1);
    expect(k.logs).toContainEqual(
      expect.objectContaining({ event: 'revert-now', slackUserId: 'U0BOB', findingKey: `run-ingress-all|${DEV}` }),
    );

    // A second click finds nothing to do and changes nothing.
    await send(k, clickPayload(msg, 'U0ALICE', 'runguard_revert_now'));
    expect(writes()).toHaveLength(1);
    expect(JSON.stringify(stored().blocks)).toMatch(/Nothing to revert/);
  });

  it('answers before the revert starts: the slow part runs after the acknowledgement', async () => {
    const k = setup();
    const reply = await handleSlackInteraction(
      signed(clickPayload(msg, 'U0ALICE', 'runguard_revert_now'), k.clock.now),
      k.deps,
    );
    expect(run.callsTo('GetService')).toHaveLength(0);
    await reply.after!();
    expect(run.service(DEV)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
  });

  it('refuses a non-approver without touching the service', async () => {
    const k = setup();
    await send(k, clickPayload(msg, 'U0CAROL', 'runguard_revert_now'));
    expect(run.callsTo('GetService')).toHaveLength(0);
    expect(run.service(DEV)!.ingress).toBe('INGRESS_TRAFFIC_ALL');
    expect(slack.ephemeral[0]).toMatchObject({
      user: 'U0CAROL',
      text: expect.stringMatching(/Only runguard approvers can revert/),
    });
    expect(stored().edited).toBeUndefined();
  });

  it('refuses a rule that has no remediation', async () => {
    const k = setup();
    await send(
      k,
      clickPayload(msg, 'U0ALICE', 'runguard_revert_now', JSON.stringify({ k: `run-default-service-account|${DEV}` })),
    );
    expect(run.callsTo('GetService')).toHaveLength(0);
    expect(slack.ephemeral[0]!.text).toMatch(/run-default-service-account has no automatic remediation/);
  });

  it('refuses in dry-run, and where runguard is off', async () => {
    await send(setup(`dryRun: true\n${CONFIG}`), clickPayload(msg, 'U0ALICE', 'runguard_revert_now'));
    await send(
      setup(CONFIG.replace('mode: monitor', 'mode: off')),
      clickPayload(msg, 'U0ALICE', 'runguard_revert_now'),
    );
    expect(run.callsTo('GetService')).toHaveLength(0);
    expect(slack.ephemeral.map((e) => e.text)).toEqual([
      expect.stringMatching(/dry-run/),
      expect.stringMatching(/off for project shop-dev/),
    ]);
  });

  it('uses the configuration’s params, and never one that would widen access', async () => {
    await send(
      setup(`${CONFIG}rules:\n  run-ingress-all: { params: { safeIngress: INGRESS_TRAFFIC_INTERNAL_ONLY } }\n`),
      clickPayload(msg, 'U0ALICE', 'runguard_revert_now'),
    );
    expect(run.service(DEV)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_ONLY');

    run.seedService({ name: DEV, ingress: 'INGRESS_TRAFFIC_ALL' });
    const before = writes().length;
    await send(
      setup(`${CONFIG}rules:\n  run-ingress-all: { params: { safeIngress: INGRESS_TRAFFIC_ALL } }\n`),
      clickPayload(msg, 'U0ALICE', 'runguard_revert_now'),
    );
    expect(writes()).toHaveLength(before);
    expect(JSON.stringify(stored().blocks)).toMatch(/Could not revert\* .*\(invalid\): refused: safeIngress/);
  });

  it('says which permission runguard lacks, and keeps the buttons so it can be tried again', async () => {
    const k = setup();
    run.fail('UpdateService', { code: status.PERMISSION_DENIED, times: 1 });
    await send(k, clickPayload(msg, 'U0ALICE', 'runguard_revert_now'));
    expect(run.service(DEV)!.ingress).toBe('INGRESS_TRAFFIC_ALL');
    const text = JSON.stringify(stored().blocks);
    expect(text).toMatch(
      /Could not revert\* at the request of <@U0ALICE>.*: runguard lacks the permission `run.services.update`/,
    );
    expect(text).toContain('runguard_revert_now');
    expect(k.logs).toContainEqual(expect.objectContaining({ event: 'revert-now', severity: 'ERROR' }));
  });
});

// Issue 13 §7: a click does not undo what a person recorded may stay.
describe('Revert now respects exemptions', () => {
  const { standIn: run, client } = useCloudRunStandIn();
  const slack = useSlackStandIn(SLACK);
  beforeEach(() => {
    run.reset();
    slack.reset();
    run.seedService({ name: DEV, ingress: 'INGRESS_TRAFFIC_ALL' });
    run.seedPolicy(DEV, { bindings: [] });
  });
  const setup = (configText = CONFIG) => {
    const live = harness(run, client).deps;
    return kit(slack, { configText, getRun: live.getRun, remediate: live.remediate });
  };

  it('refuses while a breakglass exemption covers the finding, saying which, by whom and until when', async () => {
    const msg = await postAlert(slack, { project: 'shop-dev' });
    const k = setup();
    const key = `run-ingress-all|${DEV}`;
    await k.deps.state.recordExemption(
      {
        source: 'breakglass',
        id: `${key}|x`,
        findingKey: key,
        rule: 'run-ingress-all',
        resource: DEV,
        reason: 'load test behind Cloud Armor',
        expires: '2026-11-23T14:00:00.000Z',
        approvedBy: 'lead@example.com',
        requester: 'dev@example.com',
        createdAt: '2026-11-23T09:00:00.000Z',
        slackUserId: 'U0LEAD',
        slackMessage: null,
      },
      k.clock.now,
    );
    await send(k, clickPayload(msg, 'U0BOB', 'runguard_revert_now'));
    expect(run.callsTo('UpdateService')).toHaveLength(0);
    expect(run.service(DEV)!.ingress).toBe('INGRESS_TRAFFIC_ALL');
    const [note] = slack.ephemeral;
    expect(note!.text).toMatch(/Nothing was changed: an exemption covers this finding/);
    expect(note!.text).toMatch(/lead@example\.com \(breakglass\), until 2026-11-23T14:00:00\.000Z: load test/);
    expect(k.logs).toContainEqual(expect.objectContaining({ event: 'interaction-refused', action: 'revert-now' }));

    // Once it has expired, the click reverts.
    k.clock.now = Date.parse('2026-11-23T15:00:00Z');
    await send(k, clickPayload(msg, 'U0BOB', 'runguard_revert_now'));
    expect(run.service(DEV)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
  });

  it('refuses while a configuration exemption covers it', async () => {
    const msg = await postAlert(slack, { project: 'shop-dev' });
    const k = setup(`${CONFIG}
exemptions:
  - { resource: "${DEV}", rule: run-ingress-all, reason: public API (SEC-9), expires: "2099-01-01", approvedBy: sec@example.com }
`);
    await send(k, clickPayload(msg, 'U0BOB', 'runguard_revert_now'));
    expect(run.callsTo('UpdateService')).toHaveLength(0);
    expect(slack.ephemeral[0]!.text).toMatch(/sec@example\.com \(config\), until 2099-01-01: public API \(SEC-9\)/);
  });
});
