import { beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config/load.js';
import type { LogLine } from '../../functions/core/log.js';
import { NotifyError } from '../../functions/core/errors.js';
import { createSlackApi } from '../../functions/slack/client.js';
import { slackNotifier } from '../../functions/slack/notifier.js';
import { MemoryStateStore } from '../../functions/state/memory.js';
import { useSlackStandIn } from '../../stand-ins/slack/use.js';
import { alertFor } from './alerts.js';

const TOKEN = 'xoxb-notifier-test';
const FAST = { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 20, randomize: false };
const { config } = parseConfig(
  'slack:\n  defaultChannel: "#runguard-alerts"\n  routes:\n    - { severity: [CRITICAL], channel: "#security" }\n',
  'x',
);
const routing = config!.slack!;

const slack = useSlackStandIn({ tokens: [TOKEN], rateLimit: false });
beforeEach(() => slack.reset());

async function notifier(token = TOKEN, logs: LogLine[] = []) {
  const api = await createSlackApi(token, slack.apiUrl, FAST);
  return slackNotifier(
    api,
    routing,
    new MemoryStateStore(),
    (l) => logs.push(l),
    () => Date.parse('2026-11-23T10:00:00Z'),
  );
}
const headerOf = (blocks: unknown[] | undefined) => JSON.stringify(blocks?.[0] ?? {});

describe('Slack notifier', () => {
  it('posts the first alert about a resource as a new message with its blocks', async () => {
    const n = await notifier();
    await n.notify(alertFor({}));
    const [message, ...others] = slack.messages('#runguard-alerts');
    expect(others).toEqual([]);
    expect(message!.text).toMatch(/HIGH/);
    expect(message!.text).toMatch(/ingress opened to all traffic/);
    expect(message!.blocks!.length).toBeGreaterThan(2);
    expect(String(slack.requests[0]!.args.unfurl_links)).toBe('false'); // form-encoded on the wire
  });

  it('threads later alerts about the same resource and updates the first message to the latest state', async () => {
    const n = await notifier();
    await n.notify(alertFor({ insertId: 'a' }));
    await n.notify(alertFor({ insertId: 'b', done: 'fighting' }));
    await n.notify(alertFor({ insertId: 'c', service: 'other' }));
    const [first, second] = slack.messages('#runguard-alerts');
    expect(first!.reply_count).toBe(1);
    expect(JSON.stringify(first!.replies[0]!.blocks)).toMatch(/fighting/i);
    // The channel shows what is true now without opening the thread.
    expect(JSON.stringify(first!.blocks)).toMatch(/fighting/i);
    expect(JSON.stringify(first!.blocks)).toMatch(/2 alerts|1 more/);
    expect(second!.reply_count).toBe(0);
  });

  it('routes by severity', async () => {
    const n = await notifier();
    await n.notify(alertFor({ severity: 'CRITICAL', rule: 'run-public-invoker' }));
    expect(slack.messages('#security')).toHaveLength(1);
    expect(slack.messages('#runguard-alerts')).toHaveLength(0);
  });

  it('retries Slack 5xx and delivers', async () => {
    slack.fail('chat.postMessage', { status: 503, times: 2 });
    const n = await notifier();
    await n.notify(alertFor({}));
    expect(slack.messages('#runguard-alerts')).toHaveLength(1);
    expect(slack.requests.filter((r) => r.method === 'chat.postMessage').map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it.each([
    ['channel_not_found', false],
    ['invalid_auth', false],
    ['not_in_channel', false],
    ['internal_error', true],
  ])('classifies ok:false %s as transient=%s', async (error, transient) => {
    slack.failWith('chat.postMessage', { error, times: 1 });
    const n = await notifier();
    const failure = await n.notify(alertFor({})).then(
      () => null,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(NotifyError);
    expect(failure).toMatchObject({ transient, message: expect.stringContaining(error) });
  });

  it('says Slack is unreachable as a transient failure', async () => {
    const api = await createSlackApi(TOKEN, 'http://127.0.0.1:9/api/', FAST);
    const n = slackNotifier(
      api,
      routing,
      new MemoryStateStore(),
      () => {},
      () => 0,
    );
    await expect(n.notify(alertFor({}))).rejects.toMatchObject({ transient: true });
  });

  it('keeps the reply when the first message can no longer be updated, and says so in the log', async () => {
    const logs: LogLine[] = [];
    const n = await notifier(TOKEN, logs);
    await n.notify(alertFor({ insertId: 'a' }));
    slack.failWith('chat.update', { error: 'message_not_found', times: 1 });
    await n.notify(alertFor({ insertId: 'b' }));
    expect(slack.messages('#runguard-alerts')[0]!.reply_count).toBe(1);
    expect(logs.find((l) => l.event === 'slack-update-failed')).toBeDefined();
  });

  it('opens one thread when alerts about the same resource arrive at the same time', async () => {
    const n = await notifier();
    await Promise.all(['a', 'b', 'c'].map((insertId) => n.notify(alertFor({ insertId }))));
    const messages = slack.messages('#runguard-alerts');
    expect(messages).toHaveLength(1);
    expect(messages[0]!.reply_count).toBe(2);
  });

  it('waits out Slack rate limits instead of losing alerts', async () => {
    slack.rateLimit({ perSecond: 5, burst: 2 });
    const n = await notifier();
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => n.notify(alertFor({ service: `svc-${i}`, insertId: `r${i}` }))),
    );
    expect(slack.messages('#runguard-alerts')).toHaveLength(6);
    expect(slack.rateLimitedCount).toBeGreaterThan(0);
    expect(headerOf(slack.messages('#runguard-alerts')[0]!.blocks)).toMatch(/HIGH/);
  });
});
