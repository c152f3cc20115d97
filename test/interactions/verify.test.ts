import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifySlackRequest } from '../../functions/interactions/verify.js';
import { signSlackRequest, slackSignatureHeaders } from '../../stand-ins/slack/index.js';
import { SECRET } from './helpers.js';

// Slack's documented algorithm, checked against the stand-in's own signer and against a test
// vector built by hand: v0=hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)).

const NOW = Date.parse('2026-11-23T10:00:00Z');
const TS = Math.floor(NOW / 1000);
const body = Buffer.from('payload=%7B%22type%22%3A%22block_actions%22%7D');
const verify = (
  headers: Record<string, string | string[] | undefined>,
  rawBody: Buffer = body,
  now = NOW,
  signingSecret = SECRET,
) => verifySlackRequest({ signingSecret, rawBody, headers, now });
const headersAt = (ts: number, b: Buffer = body, secret = SECRET) => slackSignatureHeaders(secret, b, ts);

describe('verifySlackRequest', () => {
  it('accepts a request signed with the signing secret within the window', () => {
    expect(verify(headersAt(TS))).toEqual({ ok: true });
    expect(verify(headersAt(TS - 299))).toEqual({ ok: true });
    expect(verify(headersAt(TS + 299))).toEqual({ ok: true });
  });

  it('computes the documented base string v0:{timestamp}:{body}', () => {
    const sig = `v0=${createHmac('sha256', SECRET)
      .update(`v0:${TS}:${body.toString('utf8')}`)
      .digest('hex')}`;
    expect(sig).toBe(signSlackRequest(SECRET, TS, body));
    expect(verify({ 'x-slack-request-timestamp': String(TS), 'x-slack-signature': sig })).toEqual({ ok: true });
  });

  it('reads header names in any case, as a proxy may pass them', () => {
    const h = headersAt(TS);
    expect(
      verify({
        'X-Slack-Request-Timestamp': h['x-slack-request-timestamp'],
        'X-Slack-Signature': h['x-slack-signature'],
      }),
    ).toEqual({ ok: true });
  });

  it('refuses a request signed with another secret', () => {
    expect(verify(headersAt(TS, body, 'another-secret'))).toMatchObject({
      ok: false,
      status: 401,
      reason: 'signature does not match',
    });
  });

  it('refuses a body changed by one byte', () => {
    const h = headersAt(TS);
    const tampered = Buffer.from(body);
    tampered[tampered.length - 1]! ^= 0x01;
    expect(verify(h, tampered)).toMatchObject({ ok: false, status: 401 });
  });

  it('refuses a request 6 minutes old and one 6 minutes in the future, correctly signed', () => {
    expect(verify(headersAt(TS - 360))).toMatchObject({
      ok: false,
      status: 401,
      reason: expect.stringMatching(/360 s old/),
    });
    expect(verify(headersAt(TS + 360))).toMatchObject({
      ok: false,
      status: 401,
      reason: expect.stringMatching(/360 s in the future/),
    });
  });

  it('refuses missing, empty and repeated headers', () => {
    const h = headersAt(TS);
    expect(verify({ 'x-slack-signature': h['x-slack-signature'] })).toMatchObject({
      ok: false,
      status: 401,
      reason: expect.stringMatching(/Timestamp/),
    });
    expect(verify({ 'x-slack-request-timestamp': h['x-slack-request-timestamp'] })).toMatchObject({
      ok: false,
      status: 401,
      reason: expect.stringMatching(/Signature/),
    });
    expect(verify({})).toMatchObject({ ok: false, status: 401 });
    expect(verify({ ...h, 'x-slack-signature': '' })).toMatchObject({ ok: false, status: 401 });
    expect(verify({ ...h, 'x-slack-signature': [h['x-slack-signature']!, h['x-slack-signature']!] })).toMatchObject({
      ok: false,
      status: 401,
    });
    expect(verify({ ...h, 'X-SLACK-SIGNATURE': h['x-slack-signature'] })).toMatchObject({ ok: false, status: 401 });
  });

  it('refuses a timestamp that is not a plain number of seconds', () => {
    for (const ts of [`${TS}.5`, ` ${TS}`, `+${TS}`, '1e9', 'NaN', '-1', `${TS}0000000000`]) {
      const h = { 'x-slack-request-timestamp': ts, 'x-slack-signature': signSlackRequest(SECRET, ts, body) };
      expect(verify(h), ts).toMatchObject({ ok: false, status: 401 });
    }
  });

  it('refuses another signature version and a malformed signature', () => {
    const h = headersAt(TS);
    const hex = h['x-slack-signature']!.slice(3);
    expect(verify({ ...h, 'x-slack-signature': `v1=${hex}` })).toMatchObject({
      ok: false,
      status: 401,
      reason: expect.stringMatching(/version/),
    });
    expect(verify({ ...h, 'x-slack-signature': hex })).toMatchObject({ ok: false, status: 401 });
    expect(verify({ ...h, 'x-slack-signature': `v0=${hex.toUpperCase()}` })).toMatchObject({ ok: false, status: 401 });
    expect(verify({ ...h, 'x-slack-signature': `v0=${hex.slice(2)}` })).toMatchObject({ ok: false, status: 401 });
    expect(verify({ ...h, 'x-slack-signature': `v0=${hex}00` })).toMatchObject({ ok: false, status: 401 });
  });

  it('refuses a signature of the right length and form that is wrong', () => {
    const h = headersAt(TS);
    const wrong = `v0=${'0'.repeat(64)}`;
    expect(verify({ ...h, 'x-slack-signature': wrong })).toMatchObject({
      ok: false,
      status: 401,
      reason: 'signature does not match',
    });
  });

  it('never puts the secret or the expected signature in its reason', () => {
    const expected = signSlackRequest(SECRET, TS, body);
    const cases = [
      headersAt(TS, body, 'x'),
      headersAt(TS - 999),
      { ...headersAt(TS), 'x-slack-signature': 'v0=zz' },
      {},
    ];
    for (const h of cases) {
      const r = verify(h);
      expect(r.ok).toBe(false);
      const reason = r.ok ? '' : r.reason;
      expect(reason).not.toContain(SECRET);
      expect(reason).not.toContain(expected.slice(3));
    }
  });

  it('refuses everything when no signing secret is configured, even a request signed with the empty key', () => {
    const h = headersAt(TS, body, '');
    expect(verify(h, body, NOW, '')).toMatchObject({
      ok: false,
      status: 401,
      reason: expect.stringMatching(/no signing secret/),
    });
  });

  it('answers 400 when the raw body is missing or far larger than any interaction', () => {
    expect(verify(headersAt(TS), null as unknown as Buffer)).toMatchObject({ ok: false, status: 400 });
    const big = Buffer.alloc(300 * 1024, 0x61);
    expect(verify(headersAt(TS, big), big)).toMatchObject({ ok: false, status: 400 });
  });
});
