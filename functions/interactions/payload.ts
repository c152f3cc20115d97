import {
  ACKNOWLEDGE_ACTION_ID,
  type ActionValue,
  decodeActionValue,
  REVERT_NOW_ACTION_ID,
} from '../slack/render-actions.js';

// An interaction request's body — application/x-www-form-urlencoded with one field, `payload`, a
// JSON document — as a typed value. Pure. Only runguard's buttons and runguard's modal are read;
// any other interaction is `ignored` (answered 200 and left alone); a body that is not a Slack
// interaction, or one of ours missing what it must carry, is `malformed` (answered 400).

export const MODAL_CALLBACK_ID = 'runguard_breakglass';
export const JUSTIFICATION_BLOCK = 'justification';
export const DURATION_BLOCK = 'duration';
export const INPUT_ACTION = 'value';
export const MAX_JUSTIFICATION = 3000;
/** The button under a breakglass request that a second, different approver clicks. */
export const CONFIRM_ACTION_ID = 'runguard_confirm_breakglass';

/** A click on one of the alert's buttons, with the message it was on. */
export interface Click {
  userId: string;
  /** Opens a modal within 3 seconds of the click. */
  triggerId: string;
  channel: string;
  messageTs: string;
  /** Set when the message is a reply in a thread (ephemeral answers go to the same thread). */
  threadTs?: string;
  /** The clicked message as Slack sends it back: runguard's own alert. */
  message: { text: string; blocks: unknown[] };
  value: ActionValue;
}

export interface Submission {
  userId: string;
  /** private_metadata: runguard's own, set when it opened the modal (see modal.ts). */
  metadata: string;
  justification: string | null;
  /** The chosen duration's label, e.g. "4h". */
  duration: string | null;
}

/** Where a request says it comes from: the workspace (team.id) and the app (api_app_id); '' when absent. */
export interface Origin {
  teamId: string;
  appId: string;
}

export type Interaction = (
  | { kind: 'acknowledge'; click: Click }
  | { kind: 'revert-now'; click: Click }
  | { kind: 'confirm'; click: Click }
  | { kind: 'submit'; submission: Submission }
  | { kind: 'ignored'; reason: string }
  | { kind: 'malformed'; reason: string }
) & { origin?: Origin };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const at = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((o, k) => (isObj(o) ? o[k] : undefined), v);

const USER = /^[UW][A-Z0-9]{2,30}$/;
const CHANNEL = /^[CGD][A-Z0-9]{2,30}$/;
const TS = /^\d{1,12}\.\d{1,9}$/;
const OUR_ACTIONS: ReadonlyMap<string, 'acknowledge' | 'revert-now' | 'confirm'> = new Map([
  [ACKNOWLEDGE_ACTION_ID, 'acknowledge'],
  [REVERT_NOW_ACTION_ID, 'revert-now'],
  [CONFIRM_ACTION_ID, 'confirm'],
]);

const malformed = (reason: string): Interaction => ({ kind: 'malformed', reason });

export function parseInteraction(rawBody: Buffer): Interaction {
  const form = new URLSearchParams(rawBody.toString('utf8'));
  const fields = form.getAll('payload');
  if (fields.length !== 1)
    return malformed(fields.length === 0 ? 'no payload field in the form body' : 'more than one payload field');
  let payload: unknown;
  try {
    payload = JSON.parse(fields[0]!);
  } catch {
    return malformed('payload is not JSON');
  }
  if (!isObj(payload)) return malformed('payload is not a JSON object');
  const type = str(payload.type);
  if (type === undefined) return malformed('payload has no type');
  const origin: Origin = {
    teamId: str(at(payload, 'team', 'id')) ?? str(at(payload, 'user', 'team_id')) ?? '',
    appId: str(payload.api_app_id) ?? '',
  };
  const interaction =
    type === 'block_actions'
      ? blockActions(payload)
      : type === 'view_submission'
        ? viewSubmission(payload)
        : ({ kind: 'ignored', reason: `${type.slice(0, 40)} interactions are not handled` } as const);
  return { ...interaction, origin };
}

function userOf(payload: Obj): string | Interaction {
  const id = str(at(payload, 'user', 'id'));
  return id !== undefined && USER.test(id) ? id : malformed('payload has no valid user.id');
}

function blockActions(payload: Obj): Interaction {
  const actions = Array.isArray(payload.actions) ? payload.actions.filter(isObj) : [];
  const action = actions.find((a) => OUR_ACTIONS.has(String(a.action_id)));
  if (!action) return { kind: 'ignored', reason: 'no runguard action in block_actions' };
  const kind = OUR_ACTIONS.get(String(action.action_id))!;

  const userId = userOf(payload);
  if (typeof userId !== 'string') return userId;
  const triggerId = str(payload.trigger_id);
  if (triggerId === undefined || triggerId.length > 200) return malformed('block_actions has no trigger_id');
  const channel = str(at(payload, 'container', 'channel_id')) ?? str(at(payload, 'channel', 'id'));
  if (channel === undefined || !CHANNEL.test(channel)) return malformed('block_actions has no valid channel');
  const message = payload.message;
  const messageTs = str(at(payload, 'container', 'message_ts')) ?? str(at(message, 'ts'));
  if (messageTs === undefined || !TS.test(messageTs)) return malformed('block_actions has no valid message ts');
  if (!isObj(message) || !Array.isArray(message.blocks)) return malformed('block_actions carries no message blocks');
  const value = decodeActionValue(str(action.value) ?? '');
  if (!value) return malformed(`${String(action.action_id)} carries a value that is not runguard's`);
  const threadTs = str(message.thread_ts);
  const click: Click = {
    userId,
    triggerId,
    channel,
    messageTs,
    ...(threadTs !== undefined && TS.test(threadTs) && threadTs !== messageTs ? { threadTs } : {}),
    message: { text: typeof message.text === 'string' ? message.text : '', blocks: message.blocks },
    value,
  };
  return { kind, click };
}

function viewSubmission(payload: Obj): Interaction {
  const view = payload.view;
  if (!isObj(view)) return malformed('view_submission has no view');
  if (view.callback_id !== MODAL_CALLBACK_ID) return { kind: 'ignored', reason: 'view_submission of another modal' };
  const userId = userOf(payload);
  if (typeof userId !== 'string') return userId;
  const metadata = str(view.private_metadata);
  if (metadata === undefined) return malformed('runguard modal submitted without private_metadata');
  const values = at(view, 'state', 'values');
  const justification = at(values, JUSTIFICATION_BLOCK, INPUT_ACTION, 'value');
  const duration = at(values, DURATION_BLOCK, INPUT_ACTION, 'selected_option', 'value');
  return {
    kind: 'submit',
    submission: {
      userId,
      metadata,
      justification: typeof justification === 'string' ? justification : null,
      duration: typeof duration === 'string' ? duration : null,
    },
  };
}
