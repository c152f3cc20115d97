import type { RevertRequests } from '../../functions/clients/pubsub-publisher.js';
import { parseConfig, type Config } from '../../functions/config/load.js';
import type { RevertRequest } from '../../functions/core/revert-request.js';
import type { Done } from '../../functions/core/verdict.js';
import type { LogLine } from '../../functions/core/log.js';
import { handleSlackInteraction } from '../../functions/interactions/handler.js';
import { assembleInteractionDeps } from '../../functions/interactions/deps.js';
import { lazyInteractionSlack } from '../../functions/interactions/slack-port.js';
import type { InteractionDeps, InteractionReply } from '../../functions/interactions/types.js';
import { loadRules } from '../../functions/rules/load-files.js';
import { renderAlert } from '../../functions/slack/render.js';
import { MemoryStateStore } from '../../functions/state/memory.js';
import type { StateStore } from '../../functions/state/types.js';
import { alertFor } from '../slack/alerts.js';
import {
  type SlackStandIn,
  type SlackStandInOptions,
  slackSignatureHeaders,
  startSlackStandIn,
  type UserSpec,
} from '../../stand-ins/slack/index.js';

process.env.METADATA_SERVER_DETECTION = 'none';

export const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
export const TOKEN = 'xoxb-interactions';
export const CHANNEL = 'C0RUNGUARD1';
export const START = Date.parse('2026-11-23T10:00:00Z');
/** The workspace and app every test request comes from (clickPayload, submitPayload). */
export const WORKSPACE = { teamId: 'T0RUNGUARD', appId: 'A0RUNGUARD' };

// alice: approver by name; bob: approver through the on-call group; carol: nobody; dana: approver who
// made the change in the sample alerts (alertFor's actor is dana@example.com).
export const USERS: UserSpec[] = [
  { id: 'U0ALICE', name: 'alice', email: 'alice@example.com' },
  { id: 'U0BOB', name: 'bob', email: 'bob@example.com' },
  { id: 'U0CAROL', name: 'carol', email: 'carol@example.com' },
  { id: 'U0DANA', name: 'dana', email: 'Dana@Example.com' },
];

export const CONFIG = `
projects:
  - { match: "shop-prod", mode: enforce }
  - { match: "shop-dev", mode: monitor }
breakglass:
  approvers: { users: [U0ALICE, U0DANA], groups: [S0ONCALL] }
  maxDuration: 24h
  durations: [1h, 4h, 24h]
  twoPersonRule: true
`;

export const { rules } = loadRules();

export function config(text = CONFIG): Config {
  const { config: c, problems } = parseConfig(text, 'test.yaml');
  if (!c) throw new Error(problems.join('; '));
  return c;
}

/** The Slack stand-in the interaction tests run against (`useSlackStandIn(SLACK)`). */
export const SLACK: SlackStandInOptions = {
  tokens: [TOKEN],
  users: USERS,
  usergroups: { S0ONCALL: ['U0BOB'] },
  rateLimit: false,
};

export function startSlack(): Promise<SlackStandIn> {
  return startSlackStandIn(SLACK);
}

/** Counts every call to the store, to show that a refused request never reached it. */
export function countingStore(inner: StateStore = new MemoryStateStore()): StateStore & { calls: string[] } {
  const calls: string[] = [];
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'calls') return calls;
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (...args: unknown[]) => (calls.push(String(prop)), v.apply(target, args)) : v;
    },
  }) as StateStore & { calls: string[] };
}

/**
 * A revert-request port that keeps what was published (the Pub/Sub emulator stands in for it in revert-now.test.ts).
 */
export function recordingRevertRequests(): RevertRequests & { published: RevertRequest[] } {
  const published: RevertRequest[] = [];
  return {
    published,
    async publish(r) {
      published.push(r);
      return String(published.length);
    },
  };
}

export interface Kit {
  deps: InteractionDeps;
  logs: LogLine[];
  clock: { now: number };
  state: StateStore & { calls: string[] };
}

export function kit(
  slack: SlackStandIn,
  over: Partial<InteractionDeps> & { configText?: string; clock?: { now: number } } = {},
): Kit {
  const logs: LogLine[] = [];
  const { configText, clock = { now: START }, state: inner, ...rest } = over;
  const state = countingStore(inner);
  const deps = assembleInteractionDeps({
    signingSecret: SECRET,
    workspace: WORKSPACE,
    slack: lazyInteractionSlack(TOKEN, slack.apiUrl),
    rules,
    config: config(configText),
    revertRequests: recordingRevertRequests(),
    log: (l) => logs.push(l),
    now: () => clock.now,
    ...rest,
    state,
  });
  return { deps, logs, clock, state };
}

export interface Posted {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
}

/** Posts a rendered alert to the stand-in, as the notifier would, and returns it as Slack stores it. */
export async function postAlert(
  slack: SlackStandIn,
  o: Parameters<typeof alertFor>[0] & { actor?: string; principals?: string[] | null; noRemediation?: boolean } = {},
): Promise<Posted> {
  const alert = alertFor({ done: 'alerted' as Done, ...o });
  if (o.actor !== undefined) alert.change.actor = o.actor;
  if (o.actor !== undefined || o.principals !== undefined) {
    const chain = o.principals === undefined ? (o.actor ? [o.actor] : []) : o.principals;
    if (chain === null) delete alert.change.principals;
    else alert.change.principals = chain;
  }
  if (o.noRemediation) alert.verdict.decision.finding.remediation = null;
  alert.verdict.decision.action = alert.verdict.done === 'reverted' ? 'revert' : 'alert';
  const { text, blocks } = renderAlert(alert);
  const res = await fetch(`${slack.apiUrl}chat.postMessage`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ channel: CHANNEL, text, blocks }),
  });
  const body = (await res.json()) as { ok: boolean; ts: string; error?: string };
  if (!body.ok) throw new Error(`postMessage: ${body.error}`);
  const stored = slack.messages(CHANNEL).find((m) => m.ts === body.ts)!;
  return { channel: CHANNEL, ts: body.ts, text: stored.text, blocks: stored.blocks ?? [] };
}

/** The button a person would click on a posted alert. */
export function buttonValue(msg: Posted, actionId: string): string {
  for (const b of msg.blocks as Array<{ type: string; elements?: Array<{ action_id?: string; value?: string }> }>) {
    const el = b.type === 'actions' ? b.elements?.find((e) => e.action_id === actionId) : undefined;
    if (el?.value) return el.value;
  }
  throw new Error(`no ${actionId} button on the message`);
}

let triggers = 0;
export function clickPayload(
  msg: Posted,
  user: string,
  actionId: string,
  value = buttonValue(msg, actionId),
): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), team_id: 'T0RUNGUARD' },
    api_app_id: 'A0RUNGUARD',
    trigger_id: `${++triggers}.1234.abcdef`,
    team: { id: 'T0RUNGUARD', domain: 'runguard-test' },
    container: { type: 'message', message_ts: msg.ts, channel_id: msg.channel, is_ephemeral: false },
    channel: { id: msg.channel, name: 'runguard-alerts' },
    message: { type: 'message', ts: msg.ts, text: msg.text, blocks: msg.blocks, bot_id: 'B0RUNGUARD' },
    response_url: 'https://hooks.slack.com/actions/T0RUNGUARD/1/abc',
    actions: [
      { type: 'button', action_id: actionId, block_id: 'runguard_actions', value, action_ts: '1732356000.000200' },
    ],
  };
}

export function submitPayload(
  user: string,
  metadata: string,
  justification: string | null,
  duration: string | null,
): Record<string, unknown> {
  return {
    type: 'view_submission',
    team: { id: 'T0RUNGUARD', domain: 'runguard-test' },
    api_app_id: 'A0RUNGUARD',
    user: { id: user, username: user.toLowerCase(), team_id: 'T0RUNGUARD' },
    view: {
      id: 'V000000001',
      callback_id: 'runguard_breakglass',
      private_metadata: metadata,
      state: {
        values: {
          justification: { value: { type: 'plain_text_input', value: justification } },
          duration: {
            value: {
              type: 'static_select',
              selected_option:
                duration === null ? null : { text: { type: 'plain_text', text: duration }, value: duration },
            },
          },
        },
      },
    },
  };
}

export function formBody(payload: unknown): Buffer {
  return Buffer.from(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
}

/** A request as Slack sends it: form body, signed now. */
export function signed(
  payload: unknown,
  now: number,
  secret = SECRET,
): { rawBody: Buffer; headers: Record<string, string> } {
  return signedRaw(formBody(payload), now, secret);
}

export function signedRaw(
  rawBody: Buffer,
  now: number,
  secret = SECRET,
): { rawBody: Buffer; headers: Record<string, string> } {
  return {
    rawBody,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...slackSignatureHeaders(secret, rawBody, Math.floor(now / 1000)),
    },
  };
}

/** Sends a signed payload to the handler and runs its `after` part, as index.ts does. */
export async function send(k: Kit, payload: unknown): Promise<InteractionReply> {
  const reply = await handleSlackInteraction(signed(payload, k.clock.now), k.deps);
  await reply.after?.();
  return reply;
}

/** Clicks Acknowledge and returns the modal's private_metadata, as Slack would hand it back. */
export async function openModal(k: Kit, slack: SlackStandIn, msg: Posted, user: string): Promise<string> {
  const before = slack.views.size;
  await send(k, clickPayload(msg, user, 'runguard_acknowledge'));
  const view = [...slack.views.values()][before];
  if (!view) throw new Error(`no modal opened: ${JSON.stringify(slack.ephemeral.at(-1) ?? k.logs.at(-1))}`);
  return String(view.view.private_metadata);
}
