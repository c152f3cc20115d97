import type { BreakglassPolicy } from '../config/load.js';
import type { BreakglassExemption, SlackPerson } from '../state/types.js';
import { describeApprovers } from './approvers.js';
import type { FindingRef } from './finding.js';
import { acknowledgedText, section, withNote } from './message.js';
import type { ModalContext } from './modal.js';
import { slackErrorCode } from './slack-port.js';
import type { InteractionDeps } from './types.js';

// What a breakglass leaves behind: the exemption record, and the alert rewritten to say so.

/**
 * The exemption a breakglass makes: exactly this rule on this resource, with everyone who agreed and the change's
 * chain.
 */
export function makeExemption(o: {
  finding: FindingRef;
  message: { channel: string; ts: string };
  principals: readonly string[] | null;
  requestedBy: SlackPerson;
  approvers: SlackPerson[];
  reason: string;
  now: number;
  until: number;
}): BreakglassExemption {
  const createdAt = new Date(o.now).toISOString();
  const last = o.approvers.at(-1) ?? o.requestedBy;
  return {
    source: 'breakglass',
    id: `${o.finding.key}|${createdAt}`,
    findingKey: o.finding.key,
    rule: o.finding.rule.id,
    resource: o.finding.resource,
    // Exactly what was acknowledged: a wider grant on the same resource is a finding of its own.
    ...(o.finding.subject ? { subject: o.finding.subject } : {}),
    reason: o.reason,
    expires: new Date(o.until).toISOString(),
    approvedBy: last.email ?? last.slackUserId,
    slackUserId: last.slackUserId,
    requester: o.principals?.[0] ?? '',
    createdAt,
    slackMessage: { channel: o.message.channel, ts: o.message.ts },
    principals: [...(o.principals ?? [])],
    requestedBy: o.requestedBy,
    approvers: o.approvers,
  };
}

// Errors under an input are plain text: user ids would show as <@U…>.
export function plainApprovers(policy: BreakglassPolicy): string {
  return describeApprovers(policy)
    .replace(/<@([A-Z0-9]+)>/g, 'user $1')
    .replace(/<!subteam\^([A-Z0-9]+)>/g, 'group $1');
}

/** The alert shows who acknowledged, until when and why, in place of its buttons; else a reply in its thread. */
export async function markAcknowledged(
  ctx: Pick<ModalContext, 'channel' | 'ts' | 'threadTs'>,
  e: BreakglassExemption,
  deps: InteractionDeps,
): Promise<void> {
  const [first, second] = e.approvers ?? [];
  const note = second
    ? acknowledgedText(first!.slackUserId, Date.parse(e.expires), e.reason, second.slackUserId)
    : acknowledgedText(e.slackUserId, Date.parse(e.expires), e.reason);
  const message = await deps.messages.recall(ctx.channel, ctx.ts, ctx.threadTs);
  let why = 'it could not be read back';
  if (message) {
    try {
      await deps.slack.chat.update({
        channel: ctx.channel,
        ts: ctx.ts,
        text: message.text,
        blocks: withNote(message.blocks, section(note)),
      });
      return;
    } catch (e) {
      why = `chat.update failed: ${slackErrorCode(e)}`;
    }
  }
  deps.log({
    severity: 'WARNING',
    message: `the alert ${ctx.channel}/${ctx.ts} was not rewritten (${why}): the acknowledgement goes in its thread`,
    event: 'breakglass-message-unknown',
    channel: ctx.channel,
    ts: ctx.ts,
  });
  await deps.slack.chat.postMessage({
    channel: ctx.channel,
    thread_ts: ctx.threadTs ?? ctx.ts,
    text: note,
    unfurl_links: false,
  });
}
