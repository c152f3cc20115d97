import { blocksToText } from '../functions/slack/plain-text.js';
import { type SlackStandIn, slackSignatureHeaders } from '../stand-ins/slack/index.js';
import { say } from './show.js';

// The breakglass part of `npm start`: people click in "Slack" — requests signed with the demo app's
// signing secret, exactly as Slack signs them — and slackInteractions (its own Functions Framework
// process) answers. First an engineer's own change: the author is refused, another approver
// acknowledges. Then a change made by a service account nobody is mapped to: two approvers.

export const DEMO_SIGNING_SECRET = 'local-demo-signing-secret-not-a-real-one';
export const DEMO_TEAM = { teamId: 'T0RUNGUARD', appId: 'A0RUNGUARD' };
export const DEMO_USERS = [
  { id: 'U0ALICE', name: 'alice', email: 'alice@example.com' },
  { id: 'U0BOB', name: 'bob', email: 'bob@example.com' },
  { id: 'U0DANA', name: 'dana', email: 'dana@example.com' },
];
const CHANNEL = '#runguard-alerts';

const nameOf = (user: string) => DEMO_USERS.find((u) => u.id === user)?.name ?? user;

type Message = { ts: string; text: string; blocks?: unknown[]; replies?: Message[] };

export async function breakglassDemo(
  slack: SlackStandIn,
  url: string,
  exemptionsList: () => Promise<string>,
): Promise<void> {
  const channel = slack.addChannel(CHANNEL).id;
  const alertAbout = (
    service: string,
    rule = 'run-ingress-all',
    where = 'demo-shop/locations/europe-west1',
  ): Message => {
    const key = `${rule}|projects/${where}/services/${service}`;
    const found = slack.messages(channel).find((m) => JSON.stringify(m.blocks ?? []).includes(key));
    if (!found) throw new Error(`no alert about ${key} in ${CHANNEL}`);
    return found as Message;
  };
  const button = (m: Message, actionId: string): string => {
    for (const b of (m.blocks ?? []) as Array<{
      type: string;
      elements?: Array<{ action_id?: string; value?: string }>;
    }>) {
      const el = b.type === 'actions' ? b.elements?.find((e) => e.action_id === actionId) : undefined;
      if (el?.value) return el.value;
    }
    throw new Error(`no ${actionId} button`);
  };
  const post = async (payload: Record<string, unknown>, what: string) => {
    const body = Buffer.from(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const t0 = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...slackSignatureHeaders(DEMO_SIGNING_SECRET, body, Math.floor(Date.now() / 1000)),
      },
      body: new Uint8Array(body),
    });
    const text = await res.text();
    const reply = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    const action = typeof reply.response_action === 'string' ? ` (${reply.response_action})` : '';
    say(`  ${'answered'.padEnd(10)} ${what}: HTTP ${res.status} in ${Math.round(performance.now() - t0)} ms${action}`);
    return reply;
  };
  const who = (user: string) => ({
    user: { id: user, username: nameOf(user), team_id: DEMO_TEAM.teamId },
    team: { id: DEMO_TEAM.teamId, domain: 'runguard-demo' },
    api_app_id: DEMO_TEAM.appId,
  });
  const click = async (m: Message, user: string, actionId: string, note: string) => {
    say(`\n→ click      ${nameOf(user)} clicks “${actionId.replace('runguard_', '').replace(/_/g, ' ')}” — ${note}`);
    const before = { views: slack.views.size, ephemeral: slack.ephemeral.length };
    await post(
      {
        ...who(user),
        type: 'block_actions',
        trigger_id: slack.trigger(),
        container: { type: 'message', message_ts: m.ts, channel_id: channel },
        channel: { id: channel, name: CHANNEL.slice(1) },
        message: { type: 'message', ts: m.ts, text: m.text, blocks: m.blocks },
        actions: [{ type: 'button', action_id: actionId, block_id: 'runguard_actions', value: button(m, actionId) }],
      },
      'the click',
    );
    for (const e of slack.ephemeral.slice(before.ephemeral)) say(`  Slack      only ${e.user} sees: ${e.text}`);
    const view = [...slack.views.values()][before.views];
    if (view) {
      say('  Slack      the form opens:');
      for (const l of blocksToText((view.view.blocks ?? []) as never)) say(`  │ ${l}`);
    }
    return view ? String(view.view.private_metadata) : null;
  };
  const submit = async (user: string, metadata: string, justification: string, duration: string) => {
    say(`\n→ submit     ${nameOf(user)} submits “${justification}” for ${duration}`);
    const reply = await post(
      {
        ...who(user),
        type: 'view_submission',
        view: {
          id: 'V0DEMO',
          callback_id: 'runguard_breakglass',
          private_metadata: metadata,
          state: {
            values: {
              justification: { value: { type: 'plain_text_input', value: justification } },
              duration: { value: { type: 'static_select', selected_option: { value: duration } } },
            },
          },
        },
      },
      'the submission',
    );
    const errors = reply.errors as Record<string, string> | undefined;
    if (errors) for (const [k, v] of Object.entries(errors)) say(`  Slack      the form says under ${k}: ${v}`);
  };
  const settle = () => new Promise((r) => setTimeout(r, 800));

  say('\n— breakglass: an engineer’s own change (dana opened checkout’s ingress in demo-shop, enforced) —');
  const checkout = alertAbout('checkout');
  await click(checkout, 'U0DANA', 'runguard_acknowledge', 'her own change, under the two-person rule');
  const form = await click(checkout, 'U0ALICE', 'runguard_acknowledge', 'another approver');
  if (form) await submit('U0ALICE', form, 'Partner load test until 18:00, agreed with dana in INC-7', '4h');
  await settle();
  say('  the alert now reads:');
  for (const l of blocksToText((alertAbout('checkout').blocks ?? []) as never).slice(-2)) say(`  │ ${l}`);

  say(
    '\n— breakglass: a change nobody can be tied to (terraform@demo-shop, no person in its chain, mapped to nobody) —',
  );
  const inventory = alertAbout('inventory');
  const form2 = await click(inventory, 'U0BOB', 'runguard_acknowledge', 'an approver through the on-call group');
  if (form2) await submit('U0BOB', form2, 'Nightly import needs the partner API; ticket OPS-12', '1h');
  await settle();
  const request = (alertAbout('inventory').replies ?? []).find((r) =>
    JSON.stringify(r.blocks ?? []).includes('runguard_confirm_breakglass'),
  );
  if (!request) throw new Error('no request for a second approver in the thread');
  say('  Slack      in the alert’s thread:');
  for (const l of blocksToText((request.blocks ?? []) as never)) say(`  │ ${l}`);
  await click(request, 'U0BOB', 'runguard_confirm_breakglass', 'the same person again');
  await click(request, 'U0ALICE', 'runguard_confirm_breakglass', 'a different approver');
  await settle();
  say('  the alert now reads:');
  for (const l of blocksToText((alertAbout('inventory').blocks ?? []) as never).slice(-2)) say(`  │ ${l}`);

  say('\n— Revert now, from an alert-only project: slackInteractions asks, auditEvents reverts —');
  const bot = alertAbout('cloud-run-slack-bot', 'run-ingress-all', 'test-project-1234/locations/asia-northeast1');
  await click(
    bot,
    'U0ALICE',
    'runguard_revert_now',
    'slackInteractions publishes a request; it holds no Cloud Run permission',
  );
  await settle();
  await settle();

  say('\n— for the auditor: npx runguard exemptions list --all —');
  for (const l of (await exemptionsList()).trimEnd().split('\n')) say(`  │ ${l}`);
}
