import type { SlackApi } from './notifier.js';
import { httpFetch } from './http-fetch.js';
import { loadSlackWebApi } from './web-api.js';

/**
 * A WebClient with the library's own rate-limit handling (it waits out Retry-After) and a bounded
 * retry policy: within a function's time limit, a Slack outage ends in a redelivery, not a hang.
 * `apiUrl` points it at a local stand-in (tests, `npm start`).
 */
export const SLACK_RETRIES = { retries: 5, factor: 2, minTimeout: 500, maxTimeout: 20_000, randomize: true };

export async function createSlackApi(token: string, apiUrl?: string, retryConfig = SLACK_RETRIES): Promise<SlackApi> {
  const { WebClient, LogLevel } = await loadSlackWebApi();
  return new WebClient(token, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    retryConfig,
    logLevel: LogLevel.ERROR,
    fetch: httpFetch,
  });
}
