import type { Config } from '../config/resolve.js';
import { describeError } from '../core/errors.js';
import type { StateStore } from '../state/types.js';
import type { Recommendation } from './model.js';
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
  return {
    state: live.state,
    slack: api && channel ? { api, channel } : null,
    log: live.log,
    now: live.now,
    recommendations: () => weeklyRecommendations(env, live.config, live.state, live.log, live.now()),
  };
}

/**
 * The guardrails `runguard recommend` would propose from the last 30 days of runguard's own history,
 * for the report's section. Loaded with the report only. Anything it cannot read (a folder the
 * function may not see) is logged and the rest still proposed; a failure leaves the section out,
 * never the report.
 */
async function weeklyRecommendations(
  env: NodeJS.ProcessEnv,
  config: Config,
  state: StateStore,
  log: Logger,
  now: number,
): Promise<Recommendation[]> {
  try {
    const [{ openRecommendPorts }, { recommend }, { proposalItems }, { DEFAULT_THRESHOLD }] = await Promise.all([
      import('../recommend/live-ports.js'),
      import('../recommend/gather.js'),
      import('../recommend/report-items.js'),
      import('../recommend/propose.js'),
    ]);
    const live = await openRecommendPorts(env, config, {
      history: [state],
      breakglass: () => state.listExemptions(),
    });
    try {
      const range = { since: now - RECOMMEND_PERIOD_MS, until: now };
      const options = { ...DEFAULT_THRESHOLD, allowedDomains: config.settings.allowedDomains };
      const result = await recommend(range, now, options, live.ports);
      for (const u of result.unread)
        log({ severity: 'WARNING', message: `weekly report: recommend could not read ${u}`, event: 'report' });
      return proposalItems(result.recommendation.proposals);
    } finally {
      await live.close();
    }
  } catch (e) {
    log({
      severity: 'WARNING',
      message: `weekly report: no recommendations (${describeError(e)})`,
      event: 'report',
    });
    return [];
  }
}

const RECOMMEND_PERIOD_MS = 30 * 86_400_000;
