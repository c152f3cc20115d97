import { beforeEach, describe, expect, it } from 'vitest';
import { decodeContext } from '../../functions/interactions/modal.js';
import { useSlackStandIn } from '../../stand-ins/slack/use.js';
import { handleSlackInteraction } from '../../functions/interactions/handler.js';
import { clickPayload, kit, type Posted, postAlert, send, signed, signedRaw, SLACK } from './helpers.js';

const PROD = 'projects/shop-prod/locations/europe-west1/services/checkout';

describe('Acknowledge (breakglass) clicks', () => {
  const slack = useSlackStandIn(SLACK);
  let msg: Posted;
  beforeEach(async () => {
    slack.reset();
    msg = await postAlert(slack);
  });
  const calls = (method: string) => slack.requests.filter((r) => r.method === method);

  it(
    'opens the modal for an approver named in the configuration, with the click’s trigger_id, ' + 'before it answers',
    async () => {
      const k = kit(slack);
      const payload = clickPayload(msg, 'U0ALICE', 'runguard_acknowledge');
      const reply = await handleSlackInteraction(signed(payload, k.clock.now), k.deps);
      expect(reply).toEqual({ status: 200 }); // nothing is left for after the answer: no CPU is promised then

      const [open] = calls('views.open');
      expect(open!.args.trigger_id).toBe(payload.trigger_id);
      const view = open!.args.view as {
        callback_id: string;
        private_metadata: string;
        submit: unknown;
        blocks: Array<Record<string, any>>;
      };
      expect(view.callback_id).toBe('runguard_breakglass');
      expect(view.submit).toBeTruthy();
      expect(JSON.stringify(view.blocks[0])).toContain(
        `this rule on this resource: \`run-ingress-all\` on \`${PROD}\``,
      );
      const justification = view.blocks.find((b) => b.block_id === 'justification')!;
      expect(justification.element).toMatchObject({ type: 'plain_text_input', multiline: true, max_length: 3000 });
      expect(justification.optional).toBeUndefined();
      const duration = view.blocks.find((b) => b.block_id === 'duration')!;
      expect(duration.element.type).toBe('static_select');
      expect(duration.element.options.map((o: { value: string }) => o.value)).toEqual(['1h', '4h', '24h']);
      expect(decodeContext(view.private_metadata)).toEqual({
        key: `run-ingress-all|${PROD}`,
        channel: msg.channel,
        ts: msg.ts,
        principals: ['dana@example.com'],
      });
      expect(k.state.calls).toEqual([]); // a click records nothing
      expect(k.logs).toContainEqual(
        expect.objectContaining({ event: 'breakglass-modal', slackUserId: 'U0ALICE', principals: 'dana@example.com' }),
      );
    },
  );

  it('opens the modal for a member of an approver group, asking Slack once per minute', async () => {
    const k = kit(slack);
    await send(k, clickPayload(msg, 'U0BOB', 'runguard_acknowledge'));
    await send(k, clickPayload(msg, 'U0BOB', 'runguard_acknowledge'));
    expect(calls('views.open')).toHaveLength(2);
    expect(calls('usergroups.users.list')).toHaveLength(1);
    expect(calls('usergroups.users.list')[0]!.args.usergroup).toBe('S0ONCALL');
    k.clock.now += 61_000;
    await send(k, clickPayload(msg, 'U0BOB', 'runguard_acknowledge'));
    expect(calls('usergroups.users.list')).toHaveLength(2);
  });

  it('tells a non-approver politely who can approve, logs it, and opens no modal', async () => {
    const k = kit(slack);
    const reply = await send(k, clickPayload(msg, 'U0CAROL', 'runguard_acknowledge'));
    expect(reply.status).toBe(200);
    expect(calls('views.open')).toHaveLength(0);
    const [note] = slack.ephemeral;
    expect(note).toMatchObject({ channel: msg.channel, user: 'U0CAROL' });
    expect(note!.text).toMatch(/Only runguard approvers can acknowledge/);
    expect(note!.text).toContain('<@U0ALICE>');
    expect(note!.text).toContain('<!subteam^S0ONCALL>');
    expect(k.logs).toContainEqual(
      expect.objectContaining({
        event: 'interaction-refused',
        action: 'acknowledge',
        slackUserId: 'U0CAROL',
        reason: 'not an approver',
      }),
    );
  });

  it('refuses when the group cannot be read, rather than letting anyone in', async () => {
    const k = kit(slack);
    slack.failWith('usergroups.users.list', { error: 'missing_scope', times: 5 });
    await send(k, clickPayload(msg, 'U0BOB', 'runguard_acknowledge'));
    expect(calls('views.open')).toHaveLength(0);
    expect(slack.ephemeral[0]!.text).toMatch(
      /could not check whether you are an approver \(Slack said missing_scope\)/,
    );
  });

  it('refuses everyone when the configuration has no breakglass section', async () => {
    const k = kit(slack, { configText: 'projects: [{ match: "shop-prod", mode: enforce }]\n' });
    await send(k, clickPayload(msg, 'U0ALICE', 'runguard_acknowledge'));
    expect(calls('views.open')).toHaveLength(0);
    expect(slack.ephemeral[0]!.text).toMatch(/Breakglass is not set up/);
  });

  it('says so when Slack no longer accepts the trigger', async () => {
    const k = kit(slack);
    slack.failWith('views.open', { error: 'expired_trigger_id' });
    await send(k, clickPayload(msg, 'U0ALICE', 'runguard_acknowledge'));
    expect(slack.ephemeral[0]!.text).toMatch(/click Acknowledge again/);
    expect(k.logs).toContainEqual(
      expect.objectContaining({ event: 'breakglass-modal-failed', code: 'expired_trigger_id' }),
    );
  });

  it('refuses a button whose value names no known rule or resource', async () => {
    const k = kit(slack);
    await send(
      k,
      clickPayload(
        msg,
        'U0ALICE',
        'runguard_acknowledge',
        JSON.stringify({ k: 'no-such-rule|projects/p/locations/l/services/s' }),
      ),
    );
    await send(
      k,
      clickPayload(msg, 'U0ALICE', 'runguard_acknowledge', JSON.stringify({ k: 'run-ingress-all|not a resource' })),
    );
    await send(
      k,
      clickPayload(
        msg,
        'U0ALICE',
        'runguard_acknowledge',
        JSON.stringify({ k: 'run-ingress-all|projects/p', h: 'ab12' }),
      ),
    );
    expect(calls('views.open')).toHaveLength(0);
    expect(slack.ephemeral.map((e) => e.text)).toEqual([
      expect.stringMatching(/rule no-such-rule is not loaded/),
      expect.stringMatching(/does not name a finding/),
      expect.stringMatching(/too long/),
    ]);
  });

  it(
    'answers 400 to a signed body that is not an interaction, ' + 'and 200 to interactions that are not runguard’s',
    async () => {
      const k = kit(slack);
      const raw = (body: string) => signedRaw(Buffer.from(body), k.clock.now);
      for (const body of [
        '',
        'payload=not-json',
        'payload=%5B%5D',
        'payload=%7B%7D',
        'other=1',
        'payload=%7B%22type%22%3A1%7D',
      ]) {
        expect((await handleSlackInteraction(raw(body), k.deps)).status, body).toBe(400);
      }
      const noUser = clickPayload(msg, 'U0ALICE', 'runguard_acknowledge');
      delete noUser.user;
      expect((await handleSlackInteraction(signed(noUser, k.clock.now), k.deps)).status).toBe(400);
      const notOurs = {
        ...clickPayload(msg, 'U0ALICE', 'runguard_acknowledge'),
        actions: [{ action_id: 'someone_else', value: 'x' }],
      };
      expect(await handleSlackInteraction(signed(notOurs, k.clock.now), k.deps)).toEqual({ status: 200 });
      expect(
        await handleSlackInteraction(
          signed(
            { type: 'view_closed', user: { id: 'U0ALICE' }, team: { id: 'T0RUNGUARD' }, api_app_id: 'A0RUNGUARD' },
            k.clock.now,
          ),
          k.deps,
        ),
      ).toEqual({ status: 200 });
      expect(slack.requests.filter((r) => r.method !== 'chat.postMessage')).toHaveLength(0);
    },
  );
});
