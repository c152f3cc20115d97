// The part of Slack's Web API the interaction handler uses; @slack/web-api's WebClient implements
// it, and a test can point that client at the local stand-in.

import { httpFetch } from '../slack/http-fetch.js';
import { loadSlackWebApi } from '../slack/web-api.js';

export interface SlackMessage {
  ts?: string;
  text?: string;
  blocks?: unknown[];
}

export interface InteractionSlack {
  views: {
    open(args: {
      trigger_id: string;
      view: Record<string, unknown>;
    }): Promise<{ ok?: boolean; view?: { id?: string } }>;
  };
  chat: {
    update(args: { channel: string; ts: string; text?: string; blocks: unknown[] }): Promise<{ ok?: boolean }>;
    postEphemeral(args: { channel: string; user: string; text: string; thread_ts?: string }): Promise<{ ok?: boolean }>;
    postMessage(args: {
      channel: string;
      text: string;
      blocks?: unknown[];
      thread_ts?: string;
      unfurl_links?: boolean;
    }): Promise<{ ok?: boolean }>;
  };
  conversations: {
    history(args: {
      channel: string;
      latest: string;
      oldest: string;
      inclusive: boolean;
      limit: number;
    }): Promise<{ messages?: SlackMessage[] }>;
    replies(args: {
      channel: string;
      ts: string;
      latest: string;
      oldest: string;
      inclusive: boolean;
      limit: number;
    }): Promise<{ messages?: SlackMessage[] }>;
  };
  usergroups: { users: { list(args: { usergroup: string }): Promise<{ users?: string[] }> } };
  users: { info(args: { user: string }): Promise<{ user?: { deleted?: boolean; profile?: { email?: string } } }> };
}

/**
 * Slack waits 3 seconds for an answer and a trigger_id lives 3 seconds: a call that is slow now is
 * useless later. So: one quick retry, a short timeout, and a rate-limited call fails at once
 * instead of waiting out Retry-After.
 */
export const INTERACTIVE_CLIENT = {
  timeout: 1_200,
  retryConfig: { retries: 1, factor: 1, minTimeout: 100, maxTimeout: 200, randomize: false },
  rejectRateLimitedCalls: true,
};

/**
 * A WebClient built on first use (loading @slack/web-api costs time a cold start need not spend on a bad signature).
 */
export function lazyInteractionSlack(token: string | undefined, apiUrl: string | undefined): InteractionSlack {
  let client: Promise<InteractionSlack> | undefined;
  const get = (): Promise<InteractionSlack> => {
    if (!token) return Promise.reject(new Error('SLACK_BOT_TOKEN is not set'));
    client ??= loadSlackWebApi().then(({ WebClient, LogLevel }) => {
      const web = new WebClient(token, {
        ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
        ...INTERACTIVE_CLIENT,
        logLevel: LogLevel.ERROR,
        fetch: httpFetch,
      });
      // WebClient's argument types are stricter unions of the same shapes; the calls above are what Slack documents.
      return web as unknown as InteractionSlack;
    });
    return client;
  };
  return {
    views: { open: async (a) => (await get()).views.open(a) },
    chat: {
      update: async (a) => (await get()).chat.update(a),
      postEphemeral: async (a) => (await get()).chat.postEphemeral(a),
      postMessage: async (a) => (await get()).chat.postMessage(a),
    },
    conversations: {
      history: async (a) => (await get()).conversations.history(a),
      replies: async (a) => (await get()).conversations.replies(a),
    },
    usergroups: { users: { list: async (a) => (await get()).usergroups.users.list(a) } },
    users: { info: async (a) => (await get()).users.info(a) },
  };
}

/** Slack's error code for a failed call (`ratelimited`, `expired_trigger_id`…), never the token. */
export function slackErrorCode(e: unknown): string {
  const err = e as { code?: string; data?: { error?: string }; statusCode?: number; message?: string };
  if (err?.data?.error) return err.data.error;
  if (err?.code === 'slack_webapi_rate_limited_error') return 'ratelimited';
  if (err?.statusCode) return `http_${err.statusCode}`;
  return err?.code ?? (err?.message ? err.message.slice(0, 120) : String(e).slice(0, 120));
}
