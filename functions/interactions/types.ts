import type { Config } from '../config/load.js';
import type { RevertRequests } from '../clients/pubsub-publisher.js';
import type { Logger } from '../core/log.js';
import type { CompiledRule } from '../rules/compile.js';
import type { StateStore } from '../state/types.js';
import type { Approvers } from './approvers.js';
import type { MessageMemory } from './message-memory.js';
import type { ReplayGuard } from './replay.js';
import type { InteractionSlack } from './slack-port.js';
import type { HeaderBag } from './verify.js';

/** Everything slackInteractions needs, passed in (see deps.ts for the environment's version). */
export interface InteractionDeps {
  /** null when SLACK_SIGNING_SECRET is not set: every request is then refused with 401. */
  signingSecret: string | null;
  /**
   * The one Slack workspace and app whose requests are served (SLACK_TEAM_ID, SLACK_APP_ID): a
   * request signed with the secret but from another team or app is refused with 403. null when not
   * configured: every request is then refused.
   */
  workspace: { teamId: string; appId: string } | null;
  slack: InteractionSlack;
  approvers: Approvers;
  messages: MessageMemory;
  replays: ReplayGuard;
  rules: readonly CompiledRule[];
  config: Config;
  state: StateStore;
  /**
   * Where "Revert now" goes: a request to auditEvents over Pub/Sub. slackInteractions holds no
   * Cloud Run client and no remediation: it is on the internet, so it can ask, never change.
   */
  revertRequests: RevertRequests;
  log: Logger;
  /** Milliseconds since the epoch: request timestamps, exemption times. */
  now: () => number;
}

export interface InteractionRequest {
  /** The bytes Slack signed, exactly as received. */
  rawBody: Buffer;
  headers: HeaderBag;
}

export interface InteractionReply {
  status: number;
  /** JSON body; none means an empty 200 (for a modal: close it). */
  body?: unknown;
  /** Work done after the answer has been sent. Never rejects: failures are logged. */
  after?: () => Promise<void>;
}
