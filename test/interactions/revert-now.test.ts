import { status } from '@grpc/grpc-js';
import { type Message, PubSub, type Subscription, type Topic } from '@google-cloud/pubsub';
import type { ServicesClient } from '@google-cloud/run';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { handleAuditEvent } from '../../functions/audit-events/handler.js';
import { pubsubRevertRequests } from '../../functions/clients/pubsub-publisher.js';
import { type CloudRunStandIn, startCloudRunStandIn } from '../../stand-ins/cloud-run/index.js';
import type { SlackStandIn } from '../../stand-ins/slack/index.js';
import { type Harness, harness, newClient } from '../harness.js';
import {
  CHANNEL,
  CONFIG,
  clickPayload,
  kit,
  type Kit,
  type Posted,
  postAlert,
  recordingRevertRequests,
  send,
  startSlack,
  TOKEN,
} from './helpers.js';

// "Revert now" leaves the internet-facing function: slackInteractions checks the clicker and the
// safety rules and publishes an attributed request to Pub/Sub (the real emulator); auditEvents
// carries it out against the Cloud Run stand-in with the live path's rules and reports in the thread.
const DEV = 'projects/shop-dev/locations/europe-west1/services/checkout';
const host = inject('pubsubHost');
const PROJECT = 'runguard-test';

describe.skipIf(!host)('Revert now', () => {
  let run: CloudRunStandIn;
  let client: ServicesClient;
  let slack: SlackStandIn;
  let pubsub: PubSub;
  let topic: Topic;
  let sub: Subscription;
  let msg: Posted;
  beforeAll(async () => {
    run = await startCloudRunStandIn();
    client = await newClient(run);
    slack = await startSlack();
    pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: host, emulatorMode: true });
    [topic] = await pubsub.createTopic(`revert-requests-${Date.now()}`);
    [sub] = await topic.createSubscription(`pull-${Date.now()}`, { ackDeadlineSeconds: 10 });
    sub.on('message', (m: Message) => {
      received.push(m);
      m.ack();
    });
  }, 30_000);
  afterAll(async () => {
    await sub?.close().catch(() => {});
    await sub?.delete().catch(() => {});
    await topic?.delete().catch(() => {});
    await pubsub?.close();
    await client?.close();
    await run?.close();
    await slack?.close();
  });
  beforeEach(async () => {
    run.reset();
    slack.reset();
    run.seedService({ name: DEV, ingress: 'INGRESS_TRAFFIC_ALL', labels: { team: 'shop' } });
    run.seedPolicy(DEV, { bindings: [] });
    msg = await postAlert(slack, { project: 'shop-dev' });
  });

  /** slackInteractions publishing to the emulator's topic, and auditEvents' live deps replying in Slack threads. */
  const setup = (configText = CONFIG): { k: Kit; h: Harness } => {
    const h = harness(run, client, configText);
    h.deps.threads = {
      async reply(channel, threadTs, text) {
        await fetch(`${slack.apiUrl}chat.postMessage`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify({ channel, thread_ts: threadTs, text }),
        });
      },
    };
    const k = kit(slack, {
      configText,
      state: h.deps.state,
      clock: h.clock,
      revertRequests: pubsubRevertRequests(topic.name, { apiEndpoint: host }),
    });
    return { k, h };
  };
  /**
   * What the push subscription would deliver to auditEvents: the messages received since the last call, as CloudEvents.
   */
  const received: Message[] = [];
  const deliveries = async (atLeast = 1) => {
    const until = Date.now() + 10_000;
    while (received.length < atLeast && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    return received.splice(0).map((m) => ({
      id: m.id,
      data: { message: { data: m.data.toString('base64'), attributes: m.attributes, messageId: m.id } },
    }));
  };
  const thread = () =>
    slack
      .messages(CHANNEL)
      .find((m) => m.ts === msg.ts)!
      .replies.map((r) => r.text);
  const writes = () => [...run.callsTo('UpdateService'), ...run.callsTo('SetIamPolicy')];

  it(
    'publishes an attributed request and makes no Cloud Run call in slackInteractions; ' +
      'auditEvents reverts it and says so in the thread',
    async () => {
      const { k, h } = setup();
      expect(JSON.stringify(msg.blocks)).toContain('runguard_revert_now');
      expect(Object.keys(k.deps)).not.toContain('getRun');
      expect(Object.keys(k.deps)).not.toContain('remediate');

      const reply = await send(k, clickPayload(msg, 'U0BOB', 'runguard_revert_now'));
      expect(reply.status).toBe(200);
      expect(run.calls).toHaveLength(0); // not one Cloud Run call from slackInteractions
      expect(run.service(DEV)!.ingress).toBe('INGRESS_TRAFFIC_ALL');
      expect(JSON.stringify(slack.messages(CHANNEL).find((m) => m.ts === msg.ts)!.blocks)).toMatch(
        /Revert requested\* by <@U0BOB>/,
      );

      const [delivery, ...more] = await deliveries();
      expect(more).toEqual([]);
      expect(delivery!.data.message.attributes).toEqual({ 'runguard-kind': 'revert-request' });
      expect(JSON.parse(Buffer.from(delivery!.data.message.data, 'base64').toString())).toMatchObject({
        findingKey: `run-ingress-all|${DEV}`,
        requestedBy: { slackUserId: 'U0BOB' },
        slackMessage: { channel: CHANNEL, ts: msg.ts },
      });

      expect(await handleAuditEvent(delivery!, h.deps)).toEqual({ status: 'handled', verdicts: [] });
      expect(run.service(DEV)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
      expect(run.service(DEV)!.labels).toEqual({ team: 'shop' });
      expect(run.callsTo('UpdateService')[0]!.request.updateMask).toEqual({ paths: ['ingress'] });
      expect(thread()).toEqual([expect.stringMatching(/Reverted\* at the request of <@U0BOB>/)]);
      expect(await h.deps.state.revertCount(`run-ingress-all|${DEV}`, h.clock.now, 3_600_000)).toBe(1);
      expect(h.logs).toContainEqual(
        expect.objectContaining({ event: 'revert-now', slackUserId: 'U0BOB', findingKey: `run-ingress-all|${DEV}` }),
      );

      // Pub/Sub delivers at least once: the same request again changes nothing and says nothing.
      expect(await handleAuditEvent(delivery!, h.deps)).toEqual({ status: 'duplicate', verdicts: [] });
      expect(writes()).toHaveLength(1);
      expect(thread()).toHaveLength(1);
    },
  );

  it(
    'refuses a non-approver, a rule without remediation, ' + 'dry run and an off project before publishing anything',
    async () => {
      const published = recordingRevertRequests();
      const k = kit(slack, { revertRequests: published });
      await send(k, clickPayload(msg, 'U0CAROL', 'runguard_revert_now'));
      await send(
        k,
        clickPayload(
          msg,
          'U0ALICE',
          'runguard_revert_now',
          JSON.stringify({ k: `run-default-service-account|${DEV}` }),
        ),
      );
      await send(
        kit(slack, { configText: `dryRun: true\n${CONFIG}`, revertRequests: published }),
        clickPayload(msg, 'U0ALICE', 'runguard_revert_now'),
      );
      await send(
        kit(slack, { configText: CONFIG.replace('mode: monitor', 'mode: off'), revertRequests: published }),
        clickPayload(msg, 'U0ALICE', 'runguard_revert_now'),
      );
      expect(published.published).toEqual([]);
      expect(slack.ephemeral.map((e) => e.text)).toEqual([
        expect.stringMatching(/Only runguard approvers can revert/),
        expect.stringMatching(/run-default-service-account has no automatic remediation/),
        expect.stringMatching(/dry-run/),
        expect.stringMatching(/off for project shop-dev/),
      ]);
      expect(run.calls).toHaveLength(0);
    },
  );

  it(
    'auditEvents applies the safety rules again: a standing exemption, a widening parameter, ' + 'a missing permission',
    async () => {
      // A configuration that asks for a widening safeIngress is refused by the catalog, in auditEvents.
      const widen = setup(`${CONFIG}rules:\n  run-ingress-all: { params: { safeIngress: INGRESS_TRAFFIC_ALL } }\n`);
      await send(widen.k, clickPayload(msg, 'U0ALICE', 'runguard_revert_now'));
      for (const d of await deliveries()) await handleAuditEvent(d, widen.h.deps);
      expect(writes()).toHaveLength(0);
      expect(thread().at(-1)).toMatch(/Could not revert\* .*\(invalid\): refused: safeIngress/);

      const denied = setup();
      run.fail('UpdateService', { code: status.PERMISSION_DENIED, times: 1 });
      await send(denied.k, clickPayload(msg, 'U0ALICE', 'runguard_revert_now'));
      for (const d of await deliveries()) await handleAuditEvent(d, denied.h.deps);
      expect(thread().at(-1)).toMatch(/runguard lacks the permission `run.services.update`/);

      // Granted after the click was passed on (a click while it stands is refused at once, below):
      // auditEvents looks again before it acts.
      const exempt = setup();
      await send(exempt.k, clickPayload(msg, 'U0BOB', 'runguard_revert_now'));
      await exempt.h.deps.state.recordExemption(
        {
          source: 'breakglass',
          id: `run-ingress-all|${DEV}|x`,
          findingKey: `run-ingress-all|${DEV}`,
          rule: 'run-ingress-all',
          resource: DEV,
          reason: 'partner test',
          expires: new Date(exempt.h.clock.now + 3_600_000).toISOString(),
          approvedBy: 'alice@example.com',
          slackUserId: 'U0ALICE',
          requester: '',
          createdAt: new Date(exempt.h.clock.now).toISOString(),
          slackMessage: null,
        },
        exempt.h.clock.now,
      );
      for (const d of await deliveries()) await handleAuditEvent(d, exempt.h.deps);
      expect(thread().at(-1)).toMatch(/Not reverted\* .*an approved exemption covers this finding/);
      expect(run.service(DEV)!.ingress).toBe('INGRESS_TRAFFIC_ALL');
    },
  );
});

describe('Revert now when Pub/Sub is slow', () => {
  let slack: SlackStandIn;
  beforeAll(async () => {
    slack = await startSlack();
  });
  afterAll(async () => {
    await slack?.close();
  });

  it('answers within Slack’s 3 seconds ' +
    'and never claims nothing was changed when the request may still arrive', async () => {
    const msg = await postAlert(slack, { project: 'shop-dev' });
    let published = false;
    const k = kit(slack, {
      revertRequests: {
        publish: () =>
          new Promise((resolve) =>
            setTimeout(() => {
              published = true;
              resolve('late-1');
            }, 3_500),
          ),
      },
    });
    const t0 = performance.now();
    const reply = await send(k, clickPayload(msg, 'U0ALICE', 'runguard_revert_now'));
    expect(reply.status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect(slack.ephemeral.at(-1)!.text).toMatch(
      /could not confirm in time .* If it was, the result appears in this thread/,
    );
    expect(slack.ephemeral.at(-1)!.text).not.toMatch(/Nothing was changed/);
    await expect.poll(() => published, { timeout: 5_000 }).toBe(true);
    await expect
      .poll(() => k.logs.some((l) => /published late/.test(String(l.message))), { timeout: 1_000 })
      .toBe(true);
  }, 15_000);
});

// Issue 13 §7: a click does not undo what a person recorded may stay. Refused at the click, before
// anything is published; auditEvents checks again when it carries a request out.
describe('Revert now respects exemptions', () => {
  let slack: SlackStandIn;
  beforeAll(async () => {
    slack = await startSlack();
  });
  afterAll(async () => {
    await slack?.close();
  });
  beforeEach(() => slack.reset());

  it('refuses while a breakglass exemption covers the finding, saying which, by whom and until when', async () => {
    const msg = await postAlert(slack, { project: 'shop-dev' });
    const published = recordingRevertRequests();
    const k = kit(slack, { revertRequests: published });
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
    expect(published.published).toHaveLength(0);
    const [note] = slack.ephemeral;
    expect(note!.text).toMatch(/Nothing was changed: an exemption covers this finding/);
    expect(note!.text).toMatch(/lead@example\.com \(breakglass\), until 2026-11-23T14:00:00\.000Z: load test/);
    expect(k.logs).toContainEqual(expect.objectContaining({ event: 'interaction-refused', action: 'revert-now' }));

    // Once it has expired, the click is passed on.
    k.clock.now = Date.parse('2026-11-23T15:00:00Z');
    await send(k, clickPayload(msg, 'U0BOB', 'runguard_revert_now'));
    expect(published.published).toHaveLength(1);
  });

  it('refuses while a configuration exemption covers it', async () => {
    const msg = await postAlert(slack, { project: 'shop-dev' });
    const published = recordingRevertRequests();
    const k = kit(slack, {
      revertRequests: published,
      configText:
        `${CONFIG}
exemptions:
  - { resource: "${DEV}", rule: run-ingress-all, reason: public API (SEC-9), ` +
        `expires: "2099-01-01", approvedBy: sec@example.com }
`,
    });
    await send(k, clickPayload(msg, 'U0BOB', 'runguard_revert_now'));
    expect(published.published).toHaveLength(0);
    expect(slack.ephemeral[0]!.text).toMatch(/sec@example\.com \(config\), until 2099-01-01: public API \(SEC-9\)/);
  });
});
