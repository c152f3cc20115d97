// The Web API methods runguard uses, answered like Slack: HTTP 200 with {ok:false,error} for
// platform errors, HTTP 429 + Retry-After for the chat.postMessage per-channel limit and for
// chat.update's workspace-wide Tier 3 limit.
import type { Buckets, ChannelSpec, StoredMessage, Workspace } from './state.js';

export type Args = Record<string, unknown>;
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body: Record<string, unknown>;
  /** Sent instead of JSON.stringify(body) (e.g. an HTML error page). */
  raw?: string;
}
/** The per-channel chat.postMessage bucket and the workspace's chat.update bucket. */
export interface Limits {
  posts: Buckets;
  updates: Buckets;
}
type Handler = (args: Args, ws: Workspace, limits: Limits) => Reply;

export const ok = (body: Record<string, unknown> = {}): Reply => ({ status: 200, body: { ok: true, ...body } });
export const err = (error: string, extra: Record<string, unknown> = {}): Reply => ({
  status: 200,
  body: { ok: false, error, ...extra },
});
export const rateLimited = (retryAfter: number): Reply => ({
  status: 429,
  headers: { 'retry-after': String(retryAfter) },
  body: { ok: false, error: 'ratelimited' },
});

const MAX_TEXT = 40_000;
const MAX_BLOCKS = 50;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}
function bool(v: unknown): boolean | undefined {
  return v === undefined ? undefined : v === true || v === 'true' || v === '1' || v === 1;
}
function arr(v: unknown): unknown[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

/** Channel checks shared by the chat.* methods. */
function writable(args: Args, ws: Workspace): ChannelSpec | Reply {
  if (args.channel === undefined) return err('channel_not_found');
  const c = ws.channel(args.channel);
  if (!c) return err('channel_not_found');
  if (c.archived) return err('is_archived');
  if (c.member === false) return err('not_in_channel');
  return c;
}
const isReply = (v: ChannelSpec | Reply | StoredMessage | undefined): v is Reply =>
  v !== undefined && 'status' in v && 'body' in v;

/** Message content checks shared by postMessage/postEphemeral/update. */
function content(args: Args, requireSome: boolean): Reply | undefined {
  const text = str(args.text);
  const blocks = args.blocks;
  if (blocks !== undefined && !Array.isArray(blocks)) return err('invalid_blocks_format');
  if (Array.isArray(blocks) && blocks.length > MAX_BLOCKS)
    return err('invalid_blocks', { errors: [`must provide no more than ${MAX_BLOCKS} items`] });
  if (args.attachments !== undefined && !Array.isArray(args.attachments)) return err('invalid_attachments');
  if (requireSome && text === undefined && !arr(blocks)?.length && !arr(args.attachments)?.length)
    return err('no_text');
  if (text !== undefined && text.length > MAX_TEXT) return err('msg_too_long');
  return undefined;
}

/** Shape of a message in API answers (no channel field, like Slack). */
export function wire(m: StoredMessage): Record<string, unknown> {
  const { channel: _channel, ...rest } = m;
  return structuredClone(rest);
}

const postMessage: Handler = (args, ws, { posts }) => {
  const c = writable(args, ws);
  if (isReply(c)) return c;
  const bad = content(args, true);
  if (bad) return bad;
  let threadTs = str(args.thread_ts);
  if (threadTs !== undefined) {
    const parent = ws.find(c.id, threadTs);
    if (!parent) return err('thread_not_found');
    threadTs = parent.thread_ts ?? parent.ts; // a reply to a reply lands in the parent's thread
  }
  const gate = posts.take(c.id);
  if (!gate.ok) return rateLimited(gate.retryAfter);
  const msg = ws.post(c.id, {
    text: str(args.text) ?? '',
    blocks: arr(args.blocks),
    attachments: arr(args.attachments),
    metadata: args.metadata,
    thread_ts: threadTs,
    reply_broadcast: threadTs ? bool(args.reply_broadcast) : undefined,
  });
  return ok({ channel: c.id, ts: msg.ts, message: wire(msg) });
};

const update: Handler = (args, ws, { updates }) => {
  const c = writable(args, ws);
  if (isReply(c)) return c;
  const ts = str(args.ts);
  const msg = ts === undefined ? undefined : ws.find(c.id, ts);
  if (!msg) return err('message_not_found');
  const bad = content(args, false);
  if (bad) return bad;
  // Tier 3 counts per method and workspace, whatever the channel.
  const gate = updates.take('workspace');
  if (!gate.ok) return rateLimited(gate.retryAfter);
  ws.update(msg, {
    text: str(args.text) ?? (args.text === '' ? '' : undefined),
    blocks: arr(args.blocks),
    attachments: arr(args.attachments),
    metadata: args.metadata,
  });
  return ok({ channel: c.id, ts: msg.ts, text: msg.text, message: wire(msg) });
};

const postEphemeral: Handler = (args, ws) => {
  const c = writable(args, ws);
  if (isReply(c)) return c;
  const user = str(args.user);
  if (user === undefined || !ws.users.has(user)) return err('user_not_found');
  if (ws.users.get(user)?.deleted) return err('user_not_in_channel');
  const bad = content(args, true);
  if (bad) return bad;
  const threadTs = str(args.thread_ts);
  const message_ts = ws.clock.next();
  ws.ephemeral.push({
    channel: c.id,
    user,
    message_ts,
    text: str(args.text) ?? '',
    ...(arr(args.blocks) ? { blocks: arr(args.blocks) } : {}),
    ...(threadTs ? { thread_ts: threadTs } : {}),
  });
  return ok({ message_ts });
};

function viewBody(v: Args, id: string, hash: string, ws: Workspace): Record<string, unknown> {
  return {
    id,
    team_id: ws.identity.teamId,
    state: { values: {} },
    hash,
    private_metadata: '',
    callback_id: '',
    ...structuredClone(v),
    app_id: 'A0RUNGUARD',
    bot_id: ws.identity.botId,
  };
}

const viewsOpen: Handler = (args, ws) => {
  const trigger = str(args.trigger_id);
  if (trigger === undefined)
    return err('invalid_arguments', {
      response_metadata: { messages: ['[ERROR] missing required field: trigger_id'] },
    });
  // Slack gives a trigger_id 3 seconds from the click; judged when the call is answered (after any latency).
  if (ws.triggerState(trigger, Date.now()) === 'expired') return err('expired_trigger_id');
  const view = args.view;
  if (typeof view !== 'object' || view === null || (view as Args).type !== 'modal') return err('invalid_arguments');
  const stored = ws.openView(view as Args, trigger);
  return ok({ view: viewBody(stored.view, stored.id, stored.hash, ws) });
};

const viewsUpdate: Handler = (args, ws) => {
  const view = args.view;
  if (typeof view !== 'object' || view === null) return err('invalid_arguments');
  const id = str(args.view_id);
  const ext = str(args.external_id);
  const stored =
    id !== undefined
      ? ws.views.get(id)
      : [...ws.views.values()].find((v) => ext !== undefined && v.external_id === ext);
  if (!stored) return err('not_found');
  const hash = str(args.hash);
  if (hash !== undefined && hash !== stored.hash) return err('hash_conflict');
  stored.view = view as Args;
  stored.updates += 1;
  stored.hash = `${Date.now()}.${stored.id}.${stored.updates}`;
  return ok({ view: viewBody(stored.view, stored.id, stored.hash, ws) });
};

const usergroupUsers: Handler = (args, ws) => {
  const id = str(args.usergroup);
  const users = id === undefined ? undefined : ws.usergroups.get(id);
  if (!users) return err('no_such_subteam');
  const includeDisabled = bool(args.include_disabled) ?? false;
  return ok({ users: users.filter((u) => includeDisabled || !ws.users.get(u)?.deleted) });
};

const usersInfo: Handler = (args, ws) => {
  const id = str(args.user);
  const u = id === undefined ? undefined : ws.users.get(id);
  if (!u) return err('user_not_found');
  return ok({
    user: {
      id: u.id,
      team_id: ws.identity.teamId,
      name: u.name,
      real_name: u.real_name ?? u.name,
      deleted: u.deleted ?? false,
      is_bot: u.is_bot ?? false,
      profile: { real_name: u.real_name ?? u.name, display_name: u.name, ...(u.email ? { email: u.email } : {}) },
    },
  });
};

const authTest: Handler = (_args, ws) => {
  const { team, teamId, user, userId, botId } = ws.identity;
  return ok({
    url: `https://${team}.slack.com/`,
    team,
    user,
    team_id: teamId,
    user_id: userId,
    bot_id: botId,
    is_enterprise_install: false,
  });
};

export const METHODS: Readonly<Record<string, Handler>> = {
  'chat.postMessage': postMessage,
  'chat.update': update,
  'chat.postEphemeral': postEphemeral,
  'views.open': viewsOpen,
  'views.update': viewsUpdate,
  'usergroups.users.list': usergroupUsers,
  'users.info': usersInfo,
  'auth.test': authTest,
};
