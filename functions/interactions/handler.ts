import { acknowledgeClick } from './acknowledge.js';
import { type Origin, parseInteraction } from './payload.js';
import { revertNowClick } from './revert-now.js';
import { confirmClick } from './second-approver.js';
import { submitBreakglass } from './submit.js';
import type { InteractionDeps, InteractionReply, InteractionRequest } from './types.js';
import { header, MAX_BODY_BYTES, verifySlackRequest } from './verify.js';

export type { InteractionDeps, InteractionReply, InteractionRequest } from './types.js';

// slackInteractions: verify → parse → route. Nothing reads the body, the store or Slack before
// the signature and timestamp have passed (and the signature has not been seen before). Slack waits 3 seconds for the
// answer, so the answer is
// given as soon as what decides it is known; what is slow (opening the modal, updating the alert,
// reverting) is `after`. Each answer's latency is logged.

/** Why a request's declared (Content-Length) or actual size is refused, or null. */
export function oversized(req: InteractionRequest): string | null {
  const declared = header(req.headers, 'content-length');
  if (declared !== undefined && (!/^\d{1,15}$/.test(declared) || Number(declared) > MAX_BODY_BYTES))
    return `Content-Length ${declared.slice(0, 20)} is above the ${MAX_BODY_BYTES}-byte limit`;
  if (Buffer.isBuffer(req.rawBody) && req.rawBody.length > MAX_BODY_BYTES)
    return `body of ${req.rawBody.length} bytes is above the ${MAX_BODY_BYTES}-byte limit`;
  return null;
}

/** Why a signed request from another workspace or app is refused, or null when it is ours. */
function foreign(origin: Origin, workspace: InteractionDeps['workspace']): string | null {
  if (!workspace) return 'SLACK_TEAM_ID and SLACK_APP_ID are not configured: every request is refused';
  if (origin.teamId !== workspace.teamId) return `team ${origin.teamId.slice(0, 20) || '(none)'} is not this workspace`;
  if (origin.appId !== workspace.appId) return `api_app_id ${origin.appId.slice(0, 20) || '(none)'} is not this app`;
  return null;
}

/** An answer later than this is at risk of Slack's 3-second limit: logged as a warning. */
export const ACK_WARN_MS = 2_500;

export async function handleSlackInteraction(
  req: InteractionRequest,
  deps: InteractionDeps,
): Promise<InteractionReply> {
  const started = performance.now();
  // Before anything reads the body: a declared or actual size above the limit is refused unread.
  const tooLarge = oversized(req);
  if (tooLarge) return refuseRequest(deps, 413, tooLarge, 'payload_too_large');
  const now = deps.now();
  const checked = verifySlackRequest({
    signingSecret: deps.signingSecret ?? '',
    rawBody: req.rawBody,
    headers: req.headers,
    now,
  });
  const replayed = checked.ok && !deps.replays.firstSeen(header(req.headers, 'x-slack-signature')!, now);
  const verdict = replayed
    ? ({ ok: false, status: 401, reason: 'replayed request: this signature was already used' } as const)
    : checked;
  // The caller learns nothing it could use to tune a forgery; the reason is in the log.
  if (!verdict.ok)
    return refuseRequest(
      deps,
      verdict.status,
      verdict.reason,
      verdict.status === 401 ? 'invalid_signature' : 'bad_request',
    );

  const interaction = parseInteraction(req.rawBody);
  const stranger = interaction.origin ? foreign(interaction.origin, deps.workspace) : null;
  if (stranger) return refuseRequest(deps, 403, stranger, 'forbidden');
  let reply: InteractionReply;
  try {
    switch (interaction.kind) {
      case 'malformed':
        deps.log({
          severity: 'WARNING',
          message: `malformed Slack interaction: ${interaction.reason}`,
          event: 'slack-request-malformed',
          reason: interaction.reason,
        });
        return { status: 400, body: { error: 'bad_request' } };
      case 'ignored':
        deps.log({
          severity: 'DEBUG',
          message: `ignored Slack interaction: ${interaction.reason}`,
          event: 'slack-interaction-ignored',
          reason: interaction.reason,
        });
        return { status: 200 };
      case 'acknowledge':
        reply = await acknowledgeClick(interaction.click, deps);
        break;
      case 'revert-now':
        reply = await revertNowClick(interaction.click, deps);
        break;
      case 'confirm':
        reply = await confirmClick(interaction.click, deps);
        break;
      case 'submit':
        reply = await submitBreakglass(interaction.submission, deps);
        break;
    }
  } catch (e) {
    deps.log({
      severity: 'ERROR',
      message: `slackInteractions failed on ${interaction.kind}: ${e instanceof Error ? e.message : String(e)}`,
      event: 'interaction-failed',
      action: interaction.kind,
      stack: e instanceof Error ? e.stack : undefined,
    });
    return { status: 500, body: { error: 'internal_error' } };
  }
  const ackMs = Math.round((performance.now() - started) * 10) / 10;
  deps.log({
    severity: ackMs > ACK_WARN_MS ? 'WARNING' : 'DEBUG',
    message: `answered ${interaction.kind} in ${ackMs} ms`,
    event: 'slack-interaction-ack',
    action: interaction.kind,
    ackMs,
  });
  return reply;
}

/** A request refused before it is acted on: logged with its reason, answered with a bare error code. */
function refuseRequest(deps: InteractionDeps, status: number, reason: string, error: string): InteractionReply {
  deps.log({
    severity: 'WARNING',
    message: `refused a request to slackInteractions: ${reason}`,
    event: 'slack-request-refused',
    status,
    reason,
  });
  return { status, body: { error } };
}
