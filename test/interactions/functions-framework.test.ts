import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackStandIn } from '../../stand-ins/slack/index.js';
import {
  CONFIG,
  clickPayload,
  formBody,
  type Posted,
  postAlert,
  SECRET,
  signedRaw,
  startSlack,
  submitPayload,
  TOKEN,
} from './helpers.js';

// The registered `slackInteractions` entry point behind the Functions Framework's own Express
// server (getTestServer), configured only through the environment, on 127.0.0.1.

describe('slackInteractions served by the Functions Framework', () => {
  let slack: SlackStandIn;
  let server: Server;
  let url: string;
  let msg: Posted;
  beforeAll(async () => {
    slack = await startSlack();
    const dir = mkdtempSync(join(tmpdir(), 'runguard-interactions-'));
    writeFileSync(join(dir, 'runguard.yaml'), CONFIG);
    Object.assign(process.env, {
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_API_URL: slack.apiUrl,
      SLACK_TEAM_ID: 'T0RUNGUARD',
      SLACK_APP_ID: 'A0RUNGUARD',
      RUNGUARD_CONFIG: join(dir, 'runguard.yaml'),
    });
    await import('../../functions/index.js');
    const { getTestServer } = await import('@google-cloud/functions-framework/testing');
    server = getTestServer('slackInteractions');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    msg = await postAlert(slack, { project: 'shop-dev' });
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await slack?.close();
  });

  const post = (rawBody: Buffer, headers: Record<string, string>) =>
    fetch(url, { method: 'POST', headers, body: new Uint8Array(rawBody) });
  const signedNow = (payload: unknown) => signedRaw(formBody(payload), Date.now());

  it('answers a signed Acknowledge click with an empty 200, then opens the modal', async () => {
    const { rawBody, headers } = signedNow(clickPayload(msg, 'U0ALICE', 'runguard_acknowledge'));
    const res = await post(rawBody, headers);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    await expect.poll(() => slack.requests.filter((r) => r.method === 'views.open').length, { timeout: 5_000 }).toBe(1);
  });

  it('refuses a request whose signature does not match the bytes it came with', async () => {
    slack.reset();
    const { rawBody, headers } = signedNow(clickPayload(msg, 'U0ALICE', 'runguard_acknowledge'));
    const tampered = Buffer.concat([rawBody, Buffer.from('%20')]);
    const res = await post(tampered, headers);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'invalid_signature' });
    const missing = await post(rawBody, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(missing.status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(slack.requests).toHaveLength(0);
  });

  it('records a submitted acknowledgement and rewrites the alert', async () => {
    slack.reset();
    msg = await postAlert(slack, { project: 'shop-dev' });
    const click = signedNow(clickPayload(msg, 'U0BOB', 'runguard_acknowledge'));
    await post(click.rawBody, click.headers);
    await expect.poll(() => slack.views.size, { timeout: 5_000 }).toBe(1);
    const metadata = String([...slack.views.values()][0]!.view.private_metadata);
    const { rawBody, headers } = signedNow(submitPayload('U0BOB', metadata, 'load test with the partner', '1h'));
    const res = await post(rawBody, headers);
    expect(res.status).toBe(200);
    await expect
      .poll(() => JSON.stringify(slack.messages('C0RUNGUARD1').find((m) => m.ts === msg.ts)!.blocks), {
        timeout: 5_000,
      })
      .toContain('Acknowledged by <@U0BOB>');
  });

  it(
    'refuses an oversized body with 413 by its Content-Length, ' + 'and a request from another workspace with 403',
    async () => {
      const big = formBody({ type: 'block_actions', pad: 'x'.repeat(300 * 1024) });
      const { headers } = signedRaw(big, Date.now());
      const res = await post(big, headers);
      expect(res.status).toBe(413);
      const other = signedNow({ ...clickPayload(msg, 'U0ALICE', 'runguard_acknowledge'), team: { id: 'T0OTHER' } });
      expect((await post(other.rawBody, other.headers)).status).toBe(403);
    },
  );

  it('answers a view_submission with errors as JSON', async () => {
    const { rawBody, headers } = signedNow(
      submitPayload(
        'U0CAROL',
        JSON.stringify({
          v: 2,
          k: 'run-ingress-all|projects/shop-dev/locations/europe-west1/services/checkout',
          c: 'C0RUNGUARD1',
          t: msg.ts,
          p: null,
        }),
        'x',
        '1h',
      ),
    );
    const res = await post(rawBody, headers);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toMatchObject({
      response_action: 'errors',
      errors: { justification: expect.stringMatching(/Only runguard approvers/) },
    });
  });
});
