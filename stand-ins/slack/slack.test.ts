// Drives the Slack stand-in only through the real @slack/web-api WebClient, so the tests pin down
// what production code sees: form-encoded bodies, platform errors, thread and update semantics.
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, LogLevel, WebClient, WebClientEvent, type WebClientOptions } from '@slack/web-api';
import { signSlackRequest, startSlackStandIn } from './index.js';
import { useSlackStandIn } from './use.js';

const TOKEN = 'xoxb-test-token';
const ALERTS = 'C0RUNGUARD1';
const BLOCKS = [
  { type: 'header', text: { type: 'plain_text', text: 'Cloud Run service made public' } },
  { type: 'section', text: { type: 'mrkdwn', text: '*hello* in `p1` now allows `allUsers`' } },
];

const FAST_RETRY = { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 20 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const standIn = useSlackStandIn({
  startTs: 1732350000,
  channels: [
    { id: ALERTS, name: 'runguard-alerts' },
    { id: 'C0ARCHIVED1', name: 'old-alerts', archived: true },
    { id: 'C0NOTJOINED', name: 'elsewhere', member: false },
    '#security-oncall',
  ],
});
/** null: a client without a token. */
const client = (token: string | null = TOKEN, o: WebClientOptions = {}): WebClient =>
  new WebClient(token ?? undefined, {
    slackApiUrl: standIn.apiUrl,
    logLevel: LogLevel.ERROR,
    retryConfig: { retries: 0 },
    ...o,
  });

beforeEach(() => standIn.reset());

describe('Slack stand-in: messages through WebClient', () => {
  it('postMessage: form-encoded blocks/metadata arrive parsed; Slack-style answer with an increasing ts', async () => {
    const metadata = { event_type: 'runguard_alert', event_payload: { service: 'hello' } };
    const res = await client().chat.postMessage({
      channel: '#runguard-alerts',
      text: 'fallback',
      blocks: BLOCKS,
      metadata,
    });
    expect(res).toMatchObject({
      ok: true,
      channel: ALERTS,
      ts: '1732350000.000100',
      message: { text: 'fallback', blocks: BLOCKS, bot_id: 'B0RUNGUARD' },
    });
    const [req] = standIn.requests;
    expect(req).toMatchObject({
      method: 'chat.postMessage',
      contentType: 'application/x-www-form-urlencoded',
      tokenPresent: true,
      tokenValid: true,
      status: 200,
    });
    expect(req?.args).toEqual({ channel: '#runguard-alerts', text: 'fallback', blocks: BLOCKS, metadata });
    expect(req?.headers['user-agent']).toMatch(/^@slack:web-api\/8\./);

    const second = await client().chat.postMessage({ channel: ALERTS, text: 'two' });
    expect(second.ts).toBe('1732350000.000200');
    expect(standIn.messages(ALERTS).map((m) => [m.ts, m.text, m.blocks])).toEqual([
      ['1732350000.000100', 'fallback', BLOCKS],
      ['1732350000.000200', 'two', undefined],
    ]);
    expect(standIn.postsPerChannel).toEqual({ [ALERTS]: 2 });
  });

  it(
    'chat.update replaces the stored message (blocks kept unless given); ' + 'an unknown ts is message_not_found',
    async () => {
      const { ts } = await client().chat.postMessage({ channel: ALERTS, text: 'open', blocks: BLOCKS });
      const newBlocks = [{ type: 'section', text: { type: 'mrkdwn', text: ':white_check_mark: reverted' } }];
      const res = await client().chat.update({ channel: ALERTS, ts: ts!, text: 'reverted', blocks: newBlocks });
      expect(res).toMatchObject({ ok: true, channel: ALERTS, ts, text: 'reverted', message: { blocks: newBlocks } });
      await client().chat.update({ channel: ALERTS, ts: ts!, text: 'reverted again' });
      const [msg, ...rest] = standIn.messages(ALERTS);
      expect(rest).toEqual([]);
      expect(msg).toMatchObject({ ts, text: 'reverted again', blocks: newBlocks, edited: { user: 'U0RUNGUARD' } });
      expect(standIn.postsPerChannel[ALERTS]).toBe(1);

      await expect(client().chat.update({ channel: ALERTS, ts: '1732349999.000100', text: 'x' })).rejects.toMatchObject(
        {
          code: ErrorCode.PlatformError,
          data: { ok: false, error: 'message_not_found' },
        },
      );
    },
  );

  it('thread replies are grouped under their parent; a reply to an unknown thread is thread_not_found', async () => {
    const parent = await client().chat.postMessage({ channel: ALERTS, text: 'alert' });
    const other = await client().chat.postMessage({ channel: ALERTS, text: 'other alert' });
    const r1 = await client().chat.postMessage({ channel: ALERTS, thread_ts: parent.ts!, text: 'seen again' });
    const r2 = await client().chat.postMessage({ channel: ALERTS, thread_ts: r1.ts!, text: 'reply to a reply' });
    expect(r1.message?.thread_ts).toBe(parent.ts);
    expect(r2.message?.thread_ts).toBe(parent.ts);
    const msgs = standIn.messages(ALERTS);
    expect(msgs.map((m) => [m.text, m.reply_count, m.replies.map((r) => r.text)])).toEqual([
      ['alert', 2, ['seen again', 'reply to a reply']],
      ['other alert', 0, []],
    ]);
    expect(msgs[1]?.ts).toBe(other.ts);

    await expect(
      client().chat.postMessage({ channel: ALERTS, thread_ts: '1700000000.000100', text: 'orphan' }),
    ).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'thread_not_found' } });
  });

  it('auth: an unknown token is invalid_auth, none is not_authed; the token itself is never recorded', async () => {
    await expect(client('xoxb-wrong-token').chat.postMessage({ channel: ALERTS, text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.PlatformError,
      data: { ok: false, error: 'invalid_auth' },
    });
    await expect(client(null).auth.test()).rejects.toMatchObject({
      code: ErrorCode.PlatformError,
      data: { error: 'not_authed' },
    });
    await client().chat.postMessage({ channel: ALERTS, text: 'x' });

    expect(standIn.requests.map((r) => [r.tokenPresent, r.tokenValid, r.error])).toEqual([
      [true, false, 'invalid_auth'],
      [false, false, 'not_authed'],
      [true, true, undefined],
    ]);
    const recorded = JSON.stringify(standIn.requests);
    expect(recorded).not.toContain(TOKEN);
    expect(recorded).not.toContain('xoxb-wrong-token');
    expect(recorded.toLowerCase()).not.toContain('bearer');
    expect(standIn.messages(ALERTS)).toHaveLength(1);
  });

  it(
    'channels: unknown → channel_not_found, archived → is_archived, ' + 'not joined → not_in_channel; names resolve',
    async () => {
      const errorOf = (channel: string): Promise<unknown> =>
        client()
          .chat.postMessage({ channel, text: 'x' })
          .then(
            () => 'ok',
            (e: { code: string; data: { error: string } }) => `${e.code}:${e.data.error}`,
          );
      expect(await errorOf('C0DOESNOTEXIST')).toBe('slack_webapi_platform_error:channel_not_found');
      expect(await errorOf('#no-such-channel')).toBe('slack_webapi_platform_error:channel_not_found');
      expect(await errorOf('#old-alerts')).toBe('slack_webapi_platform_error:is_archived');
      expect(await errorOf('C0NOTJOINED')).toBe('slack_webapi_platform_error:not_in_channel');
      const res = await client().chat.postMessage({ channel: '#security-oncall', text: 'x' });
      expect(res.channel).toMatch(/^C[0-9A-F]{10}$/);
      expect(standIn.messages('#security-oncall')).toHaveLength(1);
      expect(standIn.messages(res.channel!)).toHaveLength(1);
    },
  );

  it('failWith answers ok:false for the next calls only; the client does not retry platform errors', async () => {
    standIn.failWith('chat.postMessage', { error: 'channel_not_found', times: 1 });
    await expect(
      client(TOKEN, { retryConfig: { retries: 3, minTimeout: 1, maxTimeout: 2 } }).chat.postMessage({
        channel: ALERTS,
        text: 'x',
      }),
    ).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'channel_not_found' } });
    expect(standIn.requests).toHaveLength(1);
    await expect(client().chat.postMessage({ channel: ALERTS, text: 'x' })).resolves.toMatchObject({ ok: true });
  });
});

describe('Slack stand-in: the other methods runguard uses', () => {
  it('postEphemeral, views.open/update, usergroups.users.list, users.info, auth.test', async () => {
    const c = client();
    expect(await c.chat.postEphemeral({ channel: ALERTS, user: 'U0ALICE', text: 'only you' })).toMatchObject({
      ok: true,
      message_ts: expect.stringMatching(/^\d{10}\.\d{6}$/),
    });
    expect(standIn.ephemeral).toMatchObject([{ channel: ALERTS, user: 'U0ALICE', text: 'only you' }]);
    await expect(c.chat.postEphemeral({ channel: ALERTS, user: 'U0NOBODY', text: 'x' })).rejects.toMatchObject({
      data: { error: 'user_not_found' },
    });

    const view = {
      type: 'modal' as const,
      callback_id: 'exempt',
      title: { type: 'plain_text' as const, text: 'Exempt' },
      blocks: [],
    };
    const opened = await c.views.open({ trigger_id: '123.456.abc', view });
    expect(opened.view).toMatchObject({
      id: expect.stringMatching(/^V/),
      callback_id: 'exempt',
      hash: expect.any(String),
    });
    expect(standIn.requests.at(-1)?.args.view).toEqual(view); // JSON-stringified in the form, parsed back
    const updated = await c.views.update({
      view_id: opened.view!.id!,
      hash: opened.view!.hash!,
      view: { ...view, callback_id: 'exempt2' },
    });
    expect(updated.view).toMatchObject({ id: opened.view!.id, callback_id: 'exempt2' });
    await expect(c.views.update({ view_id: opened.view!.id!, hash: opened.view!.hash!, view })).rejects.toMatchObject({
      data: { error: 'hash_conflict' },
    });
    await expect(c.views.update({ view_id: 'V404', view })).rejects.toMatchObject({ data: { error: 'not_found' } });
    expect(standIn.views.get(opened.view!.id!)?.updates).toBe(1);

    expect((await c.usergroups.users.list({ usergroup: 'S0ONCALL' })).users).toEqual(['U0ALICE']);
    await expect(c.usergroups.users.list({ usergroup: 'S404' })).rejects.toMatchObject({
      data: { error: 'no_such_subteam' },
    });
    expect((await c.users.info({ user: 'U0BOB' })).user).toMatchObject({
      id: 'U0BOB',
      name: 'bob',
      profile: { email: 'bob@example.com' },
    });
    await expect(c.users.info({ user: 'U404' })).rejects.toMatchObject({ data: { error: 'user_not_found' } });
    expect(await c.auth.test()).toMatchObject({
      ok: true,
      team_id: 'T0RUNGUARD',
      user_id: 'U0RUNGUARD',
      bot_id: 'B0RUNGUARD',
    });
  });

  it('signSlackRequest reproduces the worked example of "Verifying requests from Slack"', () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V' +
      '&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=' +
      '&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN' +
      '&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest('8f742231b10e8888abcd99yyyzzz85a5', 1531420618, body)).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
    expect(signSlackRequest('8f742231b10e8888abcd99yyyzzz85a5', '1531420618', Buffer.from(body))).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });
});

describe('Slack stand-in: rate limits and faults, as WebClient handles them', () => {
  it(
    'rejectRateLimitedCalls: a 429 throws slack_webapi_rate_limited_error with retryAfter; ' +
      'the bucket is per channel',
    async () => {
      standIn.rateLimit({ perSecond: 1, burst: 2 });
      const c = client(TOKEN, { rejectRateLimitedCalls: true });
      await c.chat.postMessage({ channel: ALERTS, text: '1' });
      await c.chat.postMessage({ channel: ALERTS, text: '2' });
      await expect(c.chat.postMessage({ channel: ALERTS, text: '3' })).rejects.toMatchObject({
        code: ErrorCode.RateLimitedError,
        retryAfter: 1,
      });
      expect(standIn.requests.at(-1)).toMatchObject({ status: 429, error: 'ratelimited' });
      expect(standIn.rateLimitedCount).toBe(1);
      await expect(c.chat.postMessage({ channel: '#security-oncall', text: 'other channel' })).resolves.toMatchObject({
        ok: true,
      });
      expect(standIn.postsPerChannel[ALERTS]).toBe(2);
    },
  );

  it('the bucket lets `burst` messages through at once, then about perSecond', async () => {
    standIn.rateLimit({ perSecond: 10, burst: 5 });
    const c = client(TOKEN, { rejectRateLimitedCalls: true });
    await c.auth.test(); // open the connection first: not rate limited
    const post = (): Promise<boolean> =>
      c.chat.postMessage({ channel: ALERTS, text: 'x' }).then(
        () => true,
        () => false,
      );
    expect((await Promise.all(Array.from({ length: 8 }, post))).filter(Boolean)).toHaveLength(5);
    const t0 = performance.now();
    let sent = 0;
    while (performance.now() - t0 < 1000) {
      if (await post()) sent += 1;
      await sleep(5);
    }
    expect(sent).toBeGreaterThanOrEqual(8);
    expect(sent).toBeLessThanOrEqual(11);
    expect(standIn.postsPerChannel[ALERTS]).toBe(5 + sent);
  });

  it(
    'with retries the client waits out Retry-After and succeeds, ' + 'and holds back every other call meanwhile',
    async () => {
      standIn.rateLimit({ perSecond: 1, burst: 1 });
      const c = client(TOKEN, { retryConfig: FAST_RETRY });
      const events: number[] = [];
      c.on(WebClientEvent.RATE_LIMITED, (sec: number) => events.push(sec));
      await c.chat.postMessage({ channel: ALERTS, text: 'first' });
      const t0 = performance.now();
      const limited = c.chat.postMessage({ channel: ALERTS, text: 'second' }).then(() => performance.now() - t0);
      await sleep(150);
      // A different channel with tokens to spare: queued behind the paused request queue all the same.
      const other = c.chat
        .postMessage({ channel: '#security-oncall', text: 'elsewhere' })
        .then(() => performance.now() - t0);
      const [tLimited, tOther] = await Promise.all([limited, other]);
      expect(events).toEqual([1]);
      expect(standIn.rateLimitedCount).toBe(1);
      expect(tLimited).toBeGreaterThanOrEqual(950);
      expect(tLimited).toBeLessThan(2000);
      expect(tOther).toBeGreaterThanOrEqual(900);
      expect(standIn.requests.map((r) => [r.args.text, r.status])).toEqual([
        ['first', 200],
        ['second', 429],
        ['elsewhere', 200],
        ['second', 200],
      ]);
      expect(standIn.messages(ALERTS).map((m) => m.text)).toEqual(['first', 'second']);
    },
  );

  it('HTTP 503 twice then success with a quick retryConfig; without retries a WebAPIHTTPError', async () => {
    standIn.fail('chat.postMessage', { status: 503, times: 2 });
    await expect(
      client(TOKEN, { retryConfig: FAST_RETRY }).chat.postMessage({ channel: ALERTS, text: 'x' }),
    ).resolves.toMatchObject({ ok: true });
    expect(standIn.requests.map((r) => [r.status, r.error])).toEqual([
      [503, 'http_503'],
      [503, 'http_503'],
      [200, undefined],
    ]);
    expect(standIn.messages(ALERTS)).toHaveLength(1);
    standIn.fail('*', { status: 500 });
    await expect(client().auth.test()).rejects.toMatchObject({ code: ErrorCode.HTTPError, statusCode: 500 });
  });

  it('latency delays answers; WebClient timeout turns a slow answer into a request error', async () => {
    standIn.latency(300);
    const t0 = performance.now();
    await client().auth.test();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    await expect(client(TOKEN, { timeout: 50 }).auth.test()).rejects.toMatchObject({ code: ErrorCode.RequestError });
  });
});

describe('Slack stand-in: chat.update limit and history', () => {
  it('limits chat.update across the whole workspace (Tier 3), apart from chat.postMessage', async () => {
    standIn.updateRateLimit({ perSecond: 1, burst: 2 });
    const c = client(TOKEN, { rejectRateLimitedCalls: true });
    const a = await c.chat.postMessage({ channel: ALERTS, text: 'a' });
    const b = await c.chat.postMessage({ channel: 'security-oncall', text: 'b' });
    await c.chat.update({ channel: ALERTS, ts: a.ts!, text: 'a1' });
    await c.chat.update({ channel: 'security-oncall', ts: b.ts!, text: 'b1' });
    const third = await c.chat.update({ channel: ALERTS, ts: a.ts!, text: 'a2' }).catch((e: { code?: string }) => e);
    expect(third).toMatchObject({ code: ErrorCode.RateLimitedError });
    // The posting bucket is another one: still open.
    await c.chat.postMessage({ channel: ALERTS, text: 'c' });
    expect(standIn.rateLimitedCount).toBe(1);
  });

  it('keeps every post and update with its time, also after the message changed again', async () => {
    const c = client();
    const before = Date.now();
    const a = await c.chat.postMessage({ channel: ALERTS, text: 'first', blocks: BLOCKS });
    await c.chat.postMessage({ channel: ALERTS, text: 'reply', thread_ts: a.ts! });
    await c.chat.update({ channel: ALERTS, ts: a.ts!, text: 'second' });
    await c.chat.postMessage({ channel: 'security-oncall', text: 'elsewhere' });
    const h = standIn.history('#runguard-alerts');
    expect(h.map((e) => [e.kind, e.text, e.thread_ts === a.ts])).toEqual([
      ['post', 'first', false],
      ['post', 'reply', true],
      ['update', 'second', false],
    ]);
    expect(h[0]!.blocks).toEqual(BLOCKS);
    expect(h.every((e) => e.at >= before && e.at <= Date.now())).toBe(true);
    expect(standIn.history()).toHaveLength(4);
    standIn.reset();
    expect(standIn.history()).toEqual([]);
  });
});

describe('Slack stand-in: realistic timing', () => {
  it(
    'answers every call latencyMs late, ' + 'and a trigger_id opens a view only within its lifetime from the click',
    async () => {
      const slow = await startSlackStandIn({ latencyMs: 300, triggerLifetimeMs: 700 });
      try {
        const c = new WebClient(TOKEN, {
          slackApiUrl: slow.apiUrl,
          logLevel: LogLevel.ERROR,
          retryConfig: { retries: 0 },
        });
        const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'x' }, blocks: [] };
        const fresh = slow.trigger();
        expect(fresh).toMatch(/^\d+\.\d+\.[0-9a-f]{16}$/);
        const t0 = performance.now();
        expect((await c.views.open({ trigger_id: fresh, view })).ok).toBe(true);
        expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
        const stale = slow.trigger();
        await sleep(450); // + 300 ms of latency: past 700 ms when Slack answers
        await expect(c.views.open({ trigger_id: stale, view })).rejects.toMatchObject({
          data: { error: 'expired_trigger_id' },
        });
        slow.reset(); // the latency is the started option: reset keeps it
        const t1 = performance.now();
        await c.auth.test();
        expect(performance.now() - t1).toBeGreaterThanOrEqual(290);
      } finally {
        await slow.close();
      }
    },
  );

  it('defaults to Slack’s 3 seconds', async () => {
    const s = await startSlackStandIn({});
    try {
      const c = new WebClient(TOKEN, { slackApiUrl: s.apiUrl, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 } });
      const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'x' }, blocks: [] };
      const trigger = s.trigger();
      await sleep(3_100);
      await expect(c.views.open({ trigger_id: trigger, view })).rejects.toMatchObject({
        data: { error: 'expired_trigger_id' },
      });
    } finally {
      await s.close();
    }
  }, 15_000);
});
