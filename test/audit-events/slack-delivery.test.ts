import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config/load.js';
import { handleAuditEvent } from '../../functions/audit-events/handler.js';
import { createSlackApi } from '../../functions/slack/client.js';
import { slackNotifier } from '../../functions/slack/notifier.js';
import { useCloudRunStandIn } from '../../stand-ins/cloud-run/use.js';
import { useSlackStandIn } from '../../stand-ins/slack/use.js';
import { cloudEventFor, updateServiceEntry } from '../../stand-ins/audit-entries.js';
import { harness } from '../harness.js';

// The live path with the real Slack notifier: when Slack is down the alert is not lost, and the
// redelivery that brings it does not revert a second time.
const NAME = 'projects/shop-prod/locations/europe-west1/services/slack-down';

describe('auditEvents with Slack down', () => {
  const { standIn: run, client } = useCloudRunStandIn();
  const slack = useSlackStandIn({ tokens: ['xoxb-live'], rateLimit: false });

  it('fails the delivery so Pub/Sub redelivers, then posts the alert once without reverting again', async () => {
    run.seedService({ name: NAME, ingress: 'INGRESS_TRAFFIC_ALL' });
    run.seedPolicy(NAME, { bindings: [] });
    const h = harness(run, client);
    const { config } = parseConfig('slack:\n  defaultChannel: "#runguard-alerts"\n', 'x');
    const api = await createSlackApi('xoxb-live', slack.apiUrl, {
      retries: 2,
      factor: 1,
      minTimeout: 5,
      maxTimeout: 10,
      randomize: false,
    });
    h.deps.notifier = slackNotifier(api, config!.slack!, h.deps.state, h.deps.log, h.deps.now);
    slack.fail('chat.postMessage', { status: 503, times: 3 });
    const event = cloudEventFor(
      updateServiceEntry({ name: NAME, insertId: 'slack-down-1', service: { ingress: 'INGRESS_TRAFFIC_ALL' } }),
      'm-slack-down',
    );

    await expect(handleAuditEvent(event, h.deps)).rejects.toMatchObject({ transient: true });
    expect(run.service(NAME)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    expect(slack.messages('#runguard-alerts')).toHaveLength(0);

    expect((await handleAuditEvent(event, h.deps)).status).toBe('handled');
    expect(run.callsTo('UpdateService')).toHaveLength(1);
    const [message] = slack.messages('#runguard-alerts');
    expect(message!.text).toMatch(/ingress opened to all traffic/);
    expect(JSON.stringify(message!.blocks)).toMatch(/Reverted/);
  });
});
