import type { LogLine } from '../live/log.js';
import type { Click } from './payload.js';
import { slackErrorCode } from './slack-port.js';
import type { InteractionDeps, InteractionReply } from './types.js';

// Small pieces every flow uses: telling the clicker something only they see, answering a modal
// with errors, and keeping work after the answer from ever rejecting.

/** An ephemeral message to the person who clicked, in the alert's channel (and thread). */
export async function tell(deps: InteractionDeps, click: Click, text: string): Promise<void> {
  try {
    await deps.slack.chat.postEphemeral({ channel: click.channel, user: click.userId, text, ...(click.threadTs ? { thread_ts: click.threadTs } : {}) });
  } catch (e) {
    deps.log({ severity: 'WARNING', message: `could not tell ${click.userId} in ${click.channel}: ${slackErrorCode(e)}`, event: 'slack-ephemeral-failed', slackUserId: click.userId, channel: click.channel });
  }
}

/** A refusal: logged (who, what, why) and told to the clicker. */
export async function refuse(deps: InteractionDeps, click: Click, event: string, why: string, text: string, fields: Partial<LogLine> = {}): Promise<void> {
  deps.log({ severity: 'NOTICE', message: `refused ${event} by ${click.userId}: ${why}`, event: 'interaction-refused', action: event, slackUserId: click.userId, findingKey: click.value.key, reason: why, ...fields });
  await tell(deps, click, text);
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
      deps.log({ severity: 'ERROR', message: `${what} failed after the acknowledgement: ${e instanceof Error ? e.message : String(e)}`, event: 'interaction-failed', action: what, stack: e instanceof Error ? e.stack : undefined });
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
