import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SlackStandIn, startSlackStandIn } from '../../stand-ins/slack/index.js';

// After a function returns, Cloud Functions may throttle its CPU: a self-watch message still on its
// way to Slack would then never leave. The registered `auditEvents` entry point, configured only
// through the environment, returns only once the message it started is in Slack.

const CHANNEL = '#runguard-alerts';

describe('auditEvents waits for its self-watch message before returning', () => {
  let slack: SlackStandIn;
  beforeAll(async () => {
    slack = await startSlackStandIn({ tokens: ['xoxb-settle'], rateLimit: false });
    const dir = mkdtempSync(join(tmpdir(), 'runguard-settle-'));
    writeFileSync(join(dir, 'runguard.yaml'), `slack:\n  defaultChannel: "${CHANNEL}"\n`);
    Object.assign(process.env, {
      SLACK_BOT_TOKEN: 'xoxb-settle',
      SLACK_API_URL: slack.apiUrl,
      RUNGUARD_CONFIG: join(dir, 'runguard.yaml'),
      RUNGUARD_STATE_STORE: 'memory',
    });
  });
  afterAll(async () => {
    await slack?.close();
  });

  it('an unreadable entry: the health message is in the channel when auditEvents resolves', async () => {
    const { auditEvents } = await import('../../functions/index.js');
    // Slow enough that a post left in flight would still be on its way when the function returns.
    slack.latency(400, 'chat.postMessage');
    const data = Buffer.from('not json').toString('base64');
    const result = await auditEvents({
      id: 'settle-1',
      specversion: '1.0',
      type: 'google.cloud.pubsub.topic.v1.messagePublished',
      source: '//pubsub.googleapis.com/projects/p/topics/t',
      data: { message: { data, messageId: 'settle-1' } },
    });
    expect(result).toBeDefined();
    const texts = slack.messages(CHANNEL).map((m) => m.text);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatch(/runguard health: an audit entry could not be read/);
  });
});
