import { type SlackRouting, slackChannel } from '../config/resolve.js';
import type { Logger } from '../core/log.js';
import { NotifyError } from '../core/errors.js';
import type { Alert, Notifier, SweepSummary } from '../core/notify.js';
import type { StateStore } from '../state/types.js';
import { renderAlert } from './render.js';
import { renderSweepSummary } from './render-sweep.js';

// Alerts as Slack messages: one thread per resource and channel. The first alert opens it; later
// ones are replies, and the first message is updated to the latest state so the channel shows
// what is true now without opening the thread.

/** The part of @slack/web-api's WebClient used here; a fake can implement just this. */
export interface SlackApi {
  chat: {
    postMessage(args: {
      channel: string;
      text: string;
      blocks: unknown[];
      thread_ts?: string;
      unfurl_links?: boolean;
      unfurl_media?: boolean;
    }): Promise<{ ok?: boolean; channel?: string; ts?: string }>;
    update(args: { channel: string; ts: string; text: string; blocks: unknown[] }): Promise<{ ok?: boolean }>;
  };
}

const THREAD_MS = 7 * 24 * 3_600_000;

export function slackNotifier(
  api: SlackApi,
  routing: SlackRouting,
  state: StateStore,
  log: Logger,
  now: () => number,
): Notifier {
  // One alert at a time per channel. Slack allows about one message per second per channel; with
  // many calls in flight each one meets its own 429 and the client gives up on half of them
  // (measured: 103 of 200 failed), while in a line each waits out Retry-After once. It also keeps
  // two alerts about one resource from both opening a thread.
  const lines = new Map<string, Promise<unknown>>();
  const inLine = <T>(channel: string, job: () => Promise<T>): Promise<T> => {
    const run = (lines.get(channel) ?? Promise.resolve()).then(job, job);
    const settled = run.catch(() => {});
    lines.set(channel, settled);
    void settled.then(() => {
      if (lines.get(channel) === settled) lines.delete(channel);
    });
    return run;
  };
  return {
    notify(alert: Alert): Promise<void> {
      const f = alert.verdict.decision.finding;
      const channel = slackChannel(routing, f.severity, alert.change.project);
      return inLine(channel, () => deliver(alert, channel));
    },
    summarize(summary: SweepSummary): Promise<void> {
      const channel = routing.defaultChannel;
      return inLine(channel, async () => {
        await call(() =>
          api.chat.postMessage({ channel, ...renderSweepSummary(summary), unfurl_links: false, unfurl_media: false }),
        );
      });
    },
  };

  function unthreaded(e: unknown): void {
    log({
      severity: 'WARNING',
      message: `Slack thread not read or saved (state store): ${(e as Error)?.message ?? String(e)}`,
      event: 'thread-unavailable',
    });
  }

  async function deliver(alert: Alert, channel: string): Promise<void> {
    const f = alert.verdict.decision.finding;
    const key = `${channel}|${f.resource}`;
    // Threads are a convenience: with the state store unreachable the alert still goes out, unthreaded.
    const thread = await state.getThread(key, now()).catch((e: unknown) => {
      unthreaded(e);
      return null;
    });
    const message = renderAlert(alert, { threadCount: (thread?.alerts ?? 0) + 1 });
    if (!thread) {
      const res = await call(() =>
        api.chat.postMessage({ channel, ...message, unfurl_links: false, unfurl_media: false }),
      );
      await state
        .setThread(key, { channel: res.channel ?? channel, ts: res.ts ?? '', alerts: 1, until: now() + THREAD_MS })
        .catch(unthreaded);
      return;
    }
    await call(() =>
      api.chat.postMessage({
        channel: thread.channel,
        thread_ts: thread.ts,
        ...renderAlert(alert),
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
    await state.setThread(key, { ...thread, alerts: thread.alerts + 1 }).catch(unthreaded);
    try {
      await call(() => api.chat.update({ channel: thread.channel, ts: thread.ts, ...message }));
    } catch (e) {
      // The reply is posted; a first message that cannot be updated (deleted, too old) is worth a line, not a retry.
      if (e instanceof NotifyError && e.transient) throw e;
      log({
        severity: 'WARNING',
        message: `could not update the first alert of the thread about ${f.resource}: ${(e as Error).message}`,
        event: 'slack-update-failed',
        channel: thread.channel,
        ts: thread.ts,
      });
    }
  }
}

// Slack errors that a later attempt can fix; anything else (channel_not_found, not_in_channel,
// invalid_auth, msg_too_long…) will fail the same way every time.
const TRANSIENT_PLATFORM = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'team_added_to_org',
]);

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toNotifyError(e);
  }
}

export function toNotifyError(e: unknown): NotifyError {
  const err = e as { code?: string; data?: { error?: string }; statusCode?: number; message?: string };
  switch (err.code) {
    case 'slack_webapi_platform_error': {
      const error = err.data?.error ?? 'unknown_error';
      return new NotifyError(`Slack refused the message: ${error}`, TRANSIENT_PLATFORM.has(error));
    }
    case 'slack_webapi_rate_limited_error':
      return new NotifyError('Slack rate limit: retries exhausted', true);
    case 'slack_webapi_request_error':
      return new NotifyError(`Slack request failed: ${err.message}`, true);
    case 'slack_webapi_http_error':
      return new NotifyError(`Slack HTTP ${err.statusCode}`, (err.statusCode ?? 500) >= 500 || err.statusCode === 429);
    default:
      return new NotifyError(`Slack call failed: ${err.message ?? String(e)}`, false);
  }
}
