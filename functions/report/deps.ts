import { createSlackApi } from '../slack/client.js';
import { createLiveDeps } from '../enforcement/deps.js';
import { type Logger, stdoutLogger } from '../core/log.js';
import type { ReportSlackApi } from './post.js';
import type { ReportDeps } from './run.js';

/** The live path's configuration, state store and log; Slack's WebClient for the upload. */
export async function createReportDeps(env: NodeJS.ProcessEnv, log: Logger = stdoutLogger): Promise<ReportDeps> {
  const live = await createLiveDeps(env, log);
  const token = env.SLACK_BOT_TOKEN;
  const channel = live.config.slack?.defaultChannel;
  // A WebClient: chat.postMessage and filesUploadV2 are both its own.
  const api = token && channel ? ((await createSlackApi(token, env.SLACK_API_URL)) as unknown as ReportSlackApi) : null;
  return { state: live.state, slack: api && channel ? { api, channel } : null, log: live.log, now: live.now };
}
