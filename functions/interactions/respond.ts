import type { BreakglassPolicy } from '../config/load.js';
import type { LogLine } from '../core/log.js';
import { describeApprovers } from './approvers.js';
import type { Click } from './payload.js';
import { slackErrorCode } from './slack-port.js';
import type { InteractionDeps, InteractionReply } from './types.js';

// Small pieces every flow uses: telling the clicker something only they see, answering a modal
// with errors, and keeping work after the answer from ever rejecting.

/** An ephemeral message to the person who clicked, in the alert's channel (and thread). */
export async function tell(deps: InteractionDeps, click: Click, text: string): Promise<void> {
  try {
    await deps.slack.chat.postEphemeral({
      channel: click.channel,
      user: click.userId,
      text,
      ...(click.threadTs ? { thread_ts: click.threadTs } : {}),
    });
  } catch (e) {
    deps.log({
      severity: 'WARNING',
      message: `could not tell ${click.userId} in ${click.channel}: ${slackErrorCode(e)}`,
      event: 'slack-ephemeral-failed',
      slackUserId: click.userId,
      channel: click.channel,
    });
  }
}

/** A refusal: logged (who, what, why) and told to the clicker. */
export async function refuse(
  deps: InteractionDeps,
  click: Click,
  event: string,
  why: string,
  text: string,
  fields: Partial<LogLine> = {},
): Promise<void> {
  deps.log({
    severity: 'NOTICE',
    message: `refused ${event} by ${click.userId}: ${why}`,
    event: 'interaction-refused',
    action: event,
    slackUserId: click.userId,
    findingKey: click.value.key,
    reason: why,
    ...fields,
  });
  await tell(deps, click, text);
}

/**
 * The gate both buttons share: breakglass must be configured and the clicker an approver. Returns
 * the policy, or null after refusing (logged, and told to the clicker). A failed lookup refuses:
 * nobody gets in because Slack could not be asked.
 */
export async function approverOnly(
  deps: InteractionDeps,
  click: Click,
  event: string,
  doing: string,
  unconfigured: string,
): Promise<BreakglassPolicy | null> {
  const policy = deps.config.breakglass;
  if (!policy) {
    await refuse(deps, click, event, 'breakglass is not configured', unconfigured);
    return null;
  }
  let approver: boolean;
  try {
    approver = await deps.approvers.isApprover(click.userId, policy);
  } catch (e) {
    const code = slackErrorCode(e);
    await refuse(
      deps,
      click,
      event,
      `approver check failed: ${code}`,
      `runguard could not check whether you are an approver (Slack said ${code}). ` +
        `Nothing was changed; please try again.`,
    );
    return null;
  }
  if (!approver) {
    await refuse(
      deps,
      click,
      event,
      'not an approver',
      `Only runguard approvers can ${doing} from Slack: ${describeApprovers(policy)}. Please ask one of them.`,
    );
    return null;
  }
  return policy;
}

/** Slack keeps the modal open and shows each message under its input block. */
export function modalErrors(errors: Record<string, string>): InteractionReply {
  return { status: 200, body: { response_action: 'errors', errors } };
}

/** `work` after the answer: a failure is a log line, never an unhandled rejection (which would kill the instance). */
export function afterwards(deps: InteractionDeps, what: string, work: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await work();
    } catch (e) {
      deps.log({
        severity: 'ERROR',
        message: `${what} failed after the acknowledgement: ${e instanceof Error ? e.message : String(e)}`,
        event: 'interaction-failed',
        action: what,
        stack: e instanceof Error ? e.stack : undefined,
      });
    }
  };
}

/** Rejects when `promise` has not settled within `ms` (the promise itself carries on; it must have no side effects). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
