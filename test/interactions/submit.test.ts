import { beforeEach, describe, expect, it } from 'vitest';
import { handleSlackInteraction } from '../../functions/interactions/handler.js';
import type { BreakglassExemption } from '../../functions/state/types.js';
import { useSlackStandIn } from '../../stand-ins/slack/use.js';
import {
  CHANNEL,
  clickPayload,
  kit,
  type Kit,
  openModal,
  type Posted,
  postAlert,
  send,
  signed,
  SLACK,
  submitPayload,
} from './helpers.js';

const PROD = 'projects/shop-prod/locations/europe-west1/services/checkout';
const DEV = 'projects/shop-dev/locations/europe-west1/services/checkout';

describe('the breakglass modal’s submission', () => {
  const slack = useSlackStandIn(SLACK);
  let msg: Posted;
  let k: Kit;
  beforeEach(async () => {
    slack.reset();
    msg = await postAlert(slack);
    k = kit(slack);
  });
  const exemptions = (resource = PROD) => k.deps.state.exemptionsFor(resource);
  const stored = () => slack.messages(CHANNEL).find((m) => m.ts === msg.ts)!;

  it(
    'records the exemption — approver, requester, justification, created, expires — ' +
      'and rewrites the alert in place',
    async () => {
      const metadata = await openModal(k, slack, msg, 'U0ALICE');
      const reply = await send(
        k,
        submitPayload('U0ALICE', metadata, '  Black Friday: the partner API must reach checkout directly  ', '4h'),
      );
      expect(reply.status).toBe(200);
      expect(reply.body).toBeUndefined(); // closes the modal

      const [e] = await exemptions();
      expect(e).toEqual<BreakglassExemption>({
        source: 'breakglass',
        id: `run-ingress-all|${PROD}|2026-11-23T10:00:00.000Z`,
        findingKey: `run-ingress-all|${PROD}`,
        rule: 'run-ingress-all',
        resource: PROD,
        reason: 'Black Friday: the partner API must reach checkout directly',
        approvedBy: 'alice@example.com',
        slackUserId: 'U0ALICE',
        requester: 'dana@example.com',
        createdAt: '2026-11-23T10:00:00.000Z',
        expires: '2026-11-23T14:00:00.000Z',
        slackMessage: { channel: CHANNEL, ts: msg.ts },
        principals: ['dana@example.com'],
        requestedBy: { slackUserId: 'U0ALICE', email: 'alice@example.com' },
        approvers: [{ slackUserId: 'U0ALICE', email: 'alice@example.com' }],
      });

      const after = stored();
      const text = JSON.stringify(after.blocks);
      expect(text).toContain('🛡️ Acknowledged by <@U0ALICE> until <!date^1795442400^');
      expect(text).toContain('Black Friday: the partner API must reach checkout directly');
      expect(text).not.toContain('runguard_acknowledge');
      expect(text).not.toContain('Acknowledge (breakglass)');
      expect(after.blocks!.length).toBe(msg.blocks.length); // the buttons made way for the note
      expect(JSON.stringify(after.blocks!.slice(0, -2))).toBe(JSON.stringify(msg.blocks.slice(0, -2)));
      expect(slack.requests.filter((r) => r.method === 'chat.update')).toHaveLength(1);
      const line = k.logs.find((l) => l.event === 'breakglass')!;
      expect(line).toMatchObject({
        severity: 'NOTICE',
        approvedBy: 'alice@example.com',
        slackUserId: 'U0ALICE',
        requester: 'dana@example.com',
        findingKey: `run-ingress-all|${PROD}`,
        reason: 'Black Friday: the partner API must reach checkout directly',
        until: '2026-11-23T14:00:00.000Z',
      });
    },
  );

  it('escapes the justification for mrkdwn: no mention, link or channel ping can be smuggled in', async () => {
    const metadata = await openModal(k, slack, msg, 'U0ALICE');
    await send(k, submitPayload('U0ALICE', metadata, 'ping <!channel> & <https://evil.example|click> <@U0BOB>', '1h'));
    const text = JSON.stringify(stored().blocks);
    expect(text).toContain('ping &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt; &lt;@U0BOB&gt;');
    expect(text).not.toContain('<!channel>');
  });

  it('refuses a submission from a non-approver, even with a valid private_metadata', async () => {
    const metadata = await openModal(k, slack, msg, 'U0ALICE');
    const reply = await send(k, submitPayload('U0CAROL', metadata, 'I want it', '1h'));
    expect(reply).toMatchObject({
      status: 200,
      body: { response_action: 'errors', errors: { justification: expect.stringMatching(/Only runguard approvers/) } },
    });
    expect(await exemptions()).toEqual([]);
    expect(slack.requests.filter((r) => r.method === 'chat.update')).toHaveLength(0);
    expect(k.logs).toContainEqual(
      expect.objectContaining({ event: 'interaction-refused', action: 'breakglass', slackUserId: 'U0CAROL' }),
    );
  });

  it('asks for a justification and for one of the configured durations', async () => {
    const metadata = await openModal(k, slack, msg, 'U0ALICE');
    for (const [justification, duration, errors] of [
      ['   ', '4h', { justification: expect.any(String) }],
      [null, '4h', { justification: expect.any(String) }],
      ['why', '48h', { duration: expect.stringMatching(/Choose one of 1h, 4h, 24h/) }],
      ['why', null, { duration: expect.any(String) }],
      ['x'.repeat(3001), '1h', { justification: 'At most 3000 characters.' }],
    ] as const) {
      const reply = await send(k, submitPayload('U0ALICE', metadata, justification, duration));
      expect(reply.body).toEqual({ response_action: 'errors', errors });
    }
    expect(await exemptions()).toEqual([]);
  });

  it(
    'under the two-person rule refuses the approver who made the change ' +
      'in an enforce project, whatever the case of the address',
    async () => {
      // Refused at the click already (no form opens) …
      await send(k, clickPayload(msg, 'U0DANA', 'runguard_acknowledge'));
      expect(slack.ephemeral.at(-1)!.text).toMatch(/You made this change \(as dana@example.com\)/);
      // … and at the submission, whatever form is replayed.
      const metadata = await openModal(k, slack, msg, 'U0ALICE');
      const reply = await send(k, submitPayload('U0DANA', metadata, 'my own change', '1h'));
      expect(reply.body).toEqual({
        response_action: 'errors',
        errors: {
          justification: expect.stringMatching(
            /You made this change \(as dana@example.com\)\. Under the two-person rule another approver/,
          ),
        },
      });
      expect(await exemptions()).toEqual([]);
      // Another approver may.
      expect((await send(k, submitPayload('U0ALICE', metadata, 'reviewed with Dana', '1h'))).body).toBeUndefined();
      expect(await exemptions()).toHaveLength(1);
    },
  );

  it('lets the person who made the change acknowledge it in a monitor project, or when the rule is off', async () => {
    const dev = await postAlert(slack, { project: 'shop-dev' });
    const metadata = await openModal(k, slack, dev, 'U0DANA');
    expect((await send(k, submitPayload('U0DANA', metadata, 'testing', '1h'))).body).toBeUndefined();
    expect(await exemptions(DEV)).toMatchObject([{ approvedBy: 'Dana@Example.com', requester: 'dana@example.com' }]);

    const off = kit(slack, {
      configText:
        'projects: [{ match: "shop-prod", mode: enforce }]\n' +
        'breakglass:\n  approvers: { users: [U0DANA] }\n  twoPersonRule: false\n',
    });
    const prodMeta = await openModal(off, slack, msg, 'U0DANA');
    expect((await send(off, submitPayload('U0DANA', prodMeta, 'solo on-call', '1h'))).body).toBeUndefined();
    expect(await off.deps.state.exemptionsFor(PROD)).toHaveLength(1);
  });

  it(
    'asks for a second approver in an enforce project ' +
      'when the alert does not say who made the change, ' +
      'and refuses when Slack hides the approver’s e-mail',
    async () => {
      const anonymous = await postAlert(slack, { service: 'anon', actor: '' });
      const metadata = await openModal(k, slack, anonymous, 'U0ALICE');
      expect((await send(k, submitPayload('U0ALICE', metadata, 'x', '1h'))).body).toMatchObject({
        response_action: 'update',
        view: { title: { text: 'Waiting for approval' } },
      });
      expect(await exemptions(PROD.replace('checkout', 'anon'))).toEqual([]);

      const other = await openModal(k, slack, msg, 'U0ALICE');
      slack.failWith('users.info', { error: 'missing_scope', times: 5 });
      expect((await send(k, submitPayload('U0ALICE', other, 'x', '1h'))).body).toMatchObject({
        errors: { justification: expect.stringMatching(/cannot read your e-mail address/) },
      });
      expect(await exemptions()).toEqual([]);
    },
  );

  it(
    'keeps exactly one exemption when two approvers submit at once, ' + 'and tells the second who got there first',
    async () => {
      const m1 = await openModal(k, slack, msg, 'U0ALICE');
      const m2 = await openModal(k, slack, msg, 'U0BOB');
      const [a, b] = await Promise.all([
        handleSlackInteraction(signed(submitPayload('U0ALICE', m1, 'first', '4h'), k.clock.now), k.deps),
        handleSlackInteraction(signed(submitPayload('U0BOB', m2, 'second', '1h'), k.clock.now), k.deps),
      ]);
      await Promise.all([a.after?.(), b.after?.()]);
      expect(await exemptions()).toHaveLength(1);
      const [winner] = await exemptions();
      const loser = winner!.slackUserId === 'U0ALICE' ? b : a;
      expect(loser.after).toBeUndefined();
      const view = loser.body as { response_action: string; view: { blocks: Array<{ text: { text: string } }> } };
      expect(view.response_action).toBe('update');
      expect(view.view.blocks[0]!.text.text).toContain(
        `Already acknowledged by ${winner!.approvedBy} until ${winner!.expires}`,
      );
      expect(slack.requests.filter((r) => r.method === 'chat.update')).toHaveLength(1);
      expect(k.logs.filter((l) => l.event === 'breakglass')).toHaveLength(1);
      expect(k.logs).toContainEqual(expect.objectContaining({ event: 'breakglass-duplicate' }));
    },
  );

  it(
    'says it in the alert’s thread when this instance never saw the message ' + 'and Slack cannot give it back',
    async () => {
      const metadata = await openModal(k, slack, msg, 'U0ALICE');
      const elsewhere = kit(slack); // another instance: it did not see the click
      await send(elsewhere, submitPayload('U0ALICE', metadata, 'deploy freeze', '1h'));
      expect(await elsewhere.deps.state.exemptionsFor(PROD)).toHaveLength(1);
      const [thread] = slack.messages(CHANNEL).filter((m) => m.ts === msg.ts);
      expect(thread!.replies.map((r) => r.text)).toEqual([
        expect.stringMatching(/^🛡️ Acknowledged by <@U0ALICE> until .*: deploy freeze$/),
      ]);
      expect(elsewhere.logs).toContainEqual(expect.objectContaining({ event: 'breakglass-message-unknown' }));
    },
  );

  it('answers within Slack’s 3 seconds even when Slack is slow to say who the approver is', async () => {
    const metadata = await openModal(k, slack, msg, 'U0ALICE');
    slack.latency(5_000, 'users.info');
    const t0 = performance.now();
    const reply = await handleSlackInteraction(
      signed(submitPayload('U0ALICE', metadata, 'x', '1h'), k.clock.now),
      k.deps,
    );
    expect(performance.now() - t0).toBeLessThan(2_900);
    expect(reply.body).toMatchObject({ response_action: 'errors' });
    expect(await exemptions()).toEqual([]);
  });
});
