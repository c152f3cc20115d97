import { beforeAll, describe, expect, it } from 'vitest';
import { createInteractionDeps } from '../../functions/interactions/deps.js';
import { handleSlackInteraction } from '../../functions/interactions/handler.js';
import type { LogLine } from '../../functions/core/log.js';
import { signSlackRequest } from '../../stand-ins/slack/index.js';
import { useSlackStandIn } from '../../stand-ins/slack/use.js';
import { clickPayload, kit, type Posted, postAlert, SECRET, signed, SLACK, submitPayload } from './helpers.js';

// Thousands of near-misses of valid requests — each one byte, one bit or one header away — and
// not one gets past the signature check, and not one reaches Slack or the store.

type Req = { rawBody: Buffer; headers: Record<string, string | undefined> };

/** A small seeded generator (mulberry32), so a failure names a case that can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function flipBit(s: string, rnd: () => number): string {
  const b = Buffer.from(s, 'latin1');
  const i = Math.floor(rnd() * b.length);
  b[i]! ^= 1 << Math.floor(rnd() * 7);
  return b.toString('latin1');
}

const MUTATIONS: Array<[string, (r: Req, rnd: () => number, now: number) => Req]> = [
  [
    'bit flip in the body',
    (r, rnd) => {
      const b = Buffer.from(r.rawBody);
      b[Math.floor(rnd() * b.length)]! ^= 1 << Math.floor(rnd() * 8);
      return { ...r, rawBody: b };
    },
  ],
  [
    'bit flip in the signature',
    (r, rnd) => ({
      ...r,
      headers: { ...r.headers, 'x-slack-signature': flipBit(r.headers['x-slack-signature']!, rnd) },
    }),
  ],
  [
    'bit flip in the timestamp',
    (r, rnd) => ({
      ...r,
      headers: { ...r.headers, 'x-slack-request-timestamp': flipBit(r.headers['x-slack-request-timestamp']!, rnd) },
    }),
  ],
  ['truncated body', (r, rnd) => ({ ...r, rawBody: r.rawBody.subarray(0, Math.floor(rnd() * r.rawBody.length)) })],
  [
    'extended body',
    (r, rnd) => ({ ...r, rawBody: Buffer.concat([r.rawBody, Buffer.from(rnd() < 0.5 ? '&x=1' : '%20')]) }),
  ],
  [
    'truncated signature',
    (r, rnd) => ({
      ...r,
      headers: { ...r.headers, 'x-slack-signature': r.headers['x-slack-signature']!.slice(0, Math.floor(rnd() * 67)) },
    }),
  ],
  ['signature dropped', (r) => ({ ...r, headers: { ...r.headers, 'x-slack-signature': undefined } })],
  ['timestamp dropped', (r) => ({ ...r, headers: { ...r.headers, 'x-slack-request-timestamp': undefined } })],
  ['both headers dropped', (r) => ({ ...r, headers: { 'content-type': r.headers['content-type'] } })],
  [
    'signed with another secret',
    (r, rnd) => ({
      ...r,
      headers: {
        ...r.headers,
        'x-slack-signature': signSlackRequest(`other-${rnd()}`, r.headers['x-slack-request-timestamp']!, r.rawBody),
      },
    }),
  ],
  [
    'correctly signed but stale or early',
    (r, rnd, now) => {
      const ts = String(Math.floor(now / 1000) + (rnd() < 0.5 ? -1 : 1) * (301 + Math.floor(rnd() * 100_000)));
      return {
        ...r,
        headers: {
          ...r.headers,
          'x-slack-request-timestamp': ts,
          'x-slack-signature': signSlackRequest(SECRET, ts, r.rawBody),
        },
      };
    },
  ],
  [
    'signature moved to another version',
    (r) => ({ ...r, headers: { ...r.headers, 'x-slack-signature': `v1=${r.headers['x-slack-signature']!.slice(3)}` } }),
  ],
  [
    'signature of a neighbouring timestamp',
    (r, rnd) => {
      const ts = String(Number(r.headers['x-slack-request-timestamp']) + 1 + Math.floor(rnd() * 5));
      return { ...r, headers: { ...r.headers, 'x-slack-signature': signSlackRequest(SECRET, ts, r.rawBody) } };
    },
  ],
];

describe('forged and damaged requests', () => {
  const slack = useSlackStandIn(SLACK);
  let msg: Posted;
  beforeAll(async () => {
    msg = await postAlert(slack, { project: 'shop-dev' });
  });

  it('refuses 3,900 mutations of valid requests with 401 or 400, touching neither Slack nor the store', async () => {
    const k = kit(slack);
    const bases = [
      clickPayload(msg, 'U0ALICE', 'runguard_acknowledge'),
      clickPayload(msg, 'U0ALICE', 'runguard_revert_now'),
      submitPayload(
        'U0ALICE',
        JSON.stringify({
          v: 1,
          k: 'run-ingress-all|projects/shop-dev/locations/europe-west1/services/checkout',
          c: msg.channel,
          t: msg.ts,
          r: 'dana@example.com',
        }),
        'deploy freeze',
        '4h',
      ),
    ].map((p) => signed(p, k.clock.now));
    slack.reset();
    const rnd = random(20261123);
    const seen = new Map<string, number>();
    let n = 0;
    for (let round = 0; round < 100; round++) {
      for (const base of bases) {
        for (const [name, mutate] of MUTATIONS) {
          const req = mutate({ rawBody: base.rawBody, headers: { ...base.headers } }, rnd, k.clock.now);
          const reply = await handleSlackInteraction(req, k.deps);
          n++;
          expect([400, 401], `${name} (case ${n})`).toContain(reply.status);
          expect(reply.after, name).toBeUndefined();
          seen.set(name, (seen.get(name) ?? 0) + 1);
        }
      }
    }
    expect(n).toBeGreaterThanOrEqual(3000);
    expect(slack.requests).toHaveLength(0);
    expect(k.state.calls).toEqual([]);
    expect(k.logs.every((l) => l.event === 'slack-request-refused')).toBe(true);
    expect(JSON.stringify(k.logs)).not.toContain(SECRET);
    // The unmutated requests do pass, so the refusals above are the mutations' doing.
    for (const base of bases) expect((await handleSlackInteraction(base, k.deps)).status).toBe(200);
  });

  it('refuses a valid request replayed within the window: a signature is good once', async () => {
    const k = kit(slack);
    const req = signed(clickPayload(msg, 'U0CAROL', 'runguard_acknowledge'), k.clock.now);
    expect((await handleSlackInteraction(req, k.deps)).status).toBe(200);
    k.clock.now += 60_000;
    const again = await handleSlackInteraction(req, k.deps);
    expect(again).toMatchObject({ status: 401 });
    expect(again.after).toBeUndefined();
    expect(k.logs).toContainEqual(
      expect.objectContaining({ event: 'slack-request-refused', reason: expect.stringMatching(/replayed/) }),
    );
  });

  it('refuses every request, with a CRITICAL line at start, when SLACK_SIGNING_SECRET is not set', async () => {
    const logs: LogLine[] = [];
    const deps = await createInteractionDeps(
      { SLACK_BOT_TOKEN: 'xoxb-interactions', SLACK_API_URL: slack.apiUrl },
      { log: (l) => logs.push(l) },
    );
    expect(logs).toContainEqual(
      expect.objectContaining({ severity: 'CRITICAL', event: 'slack-signing-secret-missing' }),
    );
    slack.reset();
    const now = Date.now();
    for (const secret of [SECRET, '']) {
      const reply = await handleSlackInteraction(
        signed(clickPayload(msg, 'U0ALICE', 'runguard_acknowledge'), now, secret),
        deps,
      );
      expect(reply).toMatchObject({ status: 401 });
      expect(reply.after).toBeUndefined();
    }
    expect(slack.requests).toHaveLength(0);
  });
});
