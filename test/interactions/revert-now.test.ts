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
