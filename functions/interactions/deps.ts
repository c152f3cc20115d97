import { pubsubRevertRequests, type RevertRequests, TOPIC } from '../clients/pubsub-publisher.js';
import { createLiveDeps, type LiveDeps } from '../enforcement/deps.js';
import { type Logger, stdoutLogger } from '../core/log.js';
import { createApprovers } from './approvers.js';
import { createMessageMemory } from './message-memory.js';
import { createReplayGuard } from './replay.js';
import { lazyInteractionSlack } from './slack-port.js';
import type { InteractionDeps } from './types.js';

/**
 * slackInteractions' dependencies from the environment: SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN,
 * SLACK_API_URL (tests and local runs only), SLACK_TEAM_ID, SLACK_APP_ID, RUNGUARD_REVERT_TOPIC
 * and, through createLiveDeps, RUNGUARD_CONFIG,
 * RUNGUARD_RULES_DIR, RUNGUARD_RUN_ENDPOINT. Pass `live` to share the live path's state store (one
 * process serving both functions, as `npm start` does). A missing signing secret never means
 * "accept everything": every request is refused with 401, and that is said loudly once, here.
 */
export async function createInteractionDeps(
  env: NodeJS.ProcessEnv,
  opts: { live?: LiveDeps; log?: Logger } = {},
): Promise<InteractionDeps> {
  const log = opts.log ?? stdoutLogger;
  const live = opts.live ?? (await createLiveDeps(env, log));
  const signingSecret = env.SLACK_SIGNING_SECRET || null;
  if (!signingSecret) {
    log({
      severity: 'CRITICAL',
      message: 'SLACK_SIGNING_SECRET is not set: slackInteractions refuses every request (401) until it is',
      event: 'slack-signing-secret-missing',
    });
  }
  const workspace = workspaceFrom(env);
  if (!workspace) {
    log({
      severity: 'CRITICAL',
      message:
        'SLACK_TEAM_ID (T…) and SLACK_APP_ID (A…) are not both set to valid ids: ' +
        'slackInteractions refuses every request (403) until they are',
      event: 'slack-workspace-missing',
    });
  }
  if (!env.SLACK_BOT_TOKEN) {
    log({
      severity: 'ERROR',
      message: 'SLACK_BOT_TOKEN is not set: slackInteractions cannot open forms, answer or update alerts',
      event: 'slack-token-missing',
    });
  }
  if (env.SLACK_API_URL) {
    log({
      severity: 'WARNING',
      message: `Slack calls go to ${env.SLACK_API_URL} (SLACK_API_URL is meant for tests and local runs)`,
      event: 'slack-api-url',
    });
  }
  if (!live.config.breakglass) {
    log({
      severity: 'WARNING',
      message: 'the configuration has no breakglass section: Acknowledge and Revert now are refused for everyone',
      event: 'breakglass-not-configured',
    });
  }
  return assembleInteractionDeps({
    signingSecret,
    workspace,
    slack: lazyInteractionSlack(env.SLACK_BOT_TOKEN, env.SLACK_API_URL),
    rules: live.rules,
    config: live.config,
    state: live.state,
    revertRequests: revertRequestsFrom(env, log),
    log,
    now: live.now,
  });
}

/**
 * RUNGUARD_REVERT_TOPIC (projects/P/topics/T): where "Revert now" publishes its requests for
 * auditEvents. Without it the button is refused (said once here), never carried out in this function.
 */
export function revertRequestsFrom(env: NodeJS.ProcessEnv, log: Logger): RevertRequests {
  const topic = env.RUNGUARD_REVERT_TOPIC ?? '';
  if (TOPIC.test(topic)) return pubsubRevertRequests(topic);
  log({
    severity: 'WARNING',
    message:
      `RUNGUARD_REVERT_TOPIC is ${topic ? 'not a topic name (projects/P/topics/T)' : 'not set'}` +
      `: "Revert now" is refused`,
    event: 'revert-topic-missing',
  });
  return {
    publish: async () => {
      throw new Error('RUNGUARD_REVERT_TOPIC is not configured');
    },
  };
}

/** The workspace and app ids from the environment, or null when either is missing or not an id. */
export function workspaceFrom(env: NodeJS.ProcessEnv): { teamId: string; appId: string } | null {
  const teamId = env.SLACK_TEAM_ID?.trim() ?? '';
  const appId = env.SLACK_APP_ID?.trim() ?? '';
  return /^[TE][A-Z0-9]{2,30}$/.test(teamId) && /^A[A-Z0-9]{2,30}$/.test(appId) ? { teamId, appId } : null;
}

/** The per-instance parts (group cache, remembered messages, seen signatures) around the given ports. */
export function assembleInteractionDeps(
  parts: Omit<InteractionDeps, 'approvers' | 'messages' | 'replays'>,
): InteractionDeps {
  return {
    ...parts,
    approvers: createApprovers(parts.slack, parts.now),
    messages: createMessageMemory(parts.slack, parts.now),
    replays: createReplayGuard(),
  };
}
