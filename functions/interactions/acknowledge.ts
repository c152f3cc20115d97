import { resolveFinding } from './finding.js';
import { requesterFrom } from './message.js';
import { breakglassModal, encodeContext } from './modal.js';
import type { Click } from './payload.js';
import { afterwards, approverOnly, refuse } from './respond.js';
import { slackErrorCode } from './slack-port.js';
import type { InteractionDeps, InteractionReply } from './types.js';

// "Acknowledge (breakglass)": Slack gets its 200 at once; then the clicker is checked and either
// gets the modal (views.open with the click's trigger_id, which lives 3 seconds) or a polite no.
// Nothing is recorded here: the exemption is made by the modal's submission, which checks again.

/** A modal opened later than this after the click has most likely missed its trigger_id. */
export const TRIGGER_LIFETIME_MS = 3_000;

export function acknowledgeClick(click: Click, deps: InteractionDeps): InteractionReply {
  const clickedAt = performance.now();
  // Kept for the submission, which rewrites this message in place.
  deps.messages.remember(click.channel, click.messageTs, click.message);
  return { status: 200, after: afterwards(deps, 'acknowledge', () => openModal(click, deps, clickedAt)) };
}

async function openModal(click: Click, deps: InteractionDeps, clickedAt: number): Promise<void> {
  const policy = await approverOnly(
    deps,
    click,
    'acknowledge',
    'acknowledge an alert',
    'Breakglass is not set up for runguard, so nobody can acknowledge alerts from Slack. An exemption can be added to the runguard configuration instead.',
  );
  if (!policy) return;
  const finding = resolveFinding(click.value, deps.rules, deps.config);
  if ('error' in finding)
    return refuse(deps, click, 'acknowledge', finding.error, `This alert cannot be acknowledged: ${finding.error}.`);

  const requester = requesterFrom(click.message.blocks);
  const metadata = encodeContext({
    key: finding.key,
    channel: click.channel,
    ts: click.messageTs,
    ...(click.threadTs ? { threadTs: click.threadTs } : {}),
    requester,
  });
  if (!metadata)
    return refuse(
      deps,
      click,
      'acknowledge',
      'context too long for private_metadata',
      'This alert names a resource too long to acknowledge from Slack; add an exemption to the runguard configuration instead.',
    );

  try {
    await deps.slack.views.open({
      trigger_id: click.triggerId,
      view: breakglassModal(finding, policy, metadata, requester),
    });
  } catch (e) {
    const code = slackErrorCode(e);
    const late = Math.round(performance.now() - clickedAt);
    deps.log({
      severity: 'WARNING',
      message: `could not open the breakglass modal for ${click.userId} (${late} ms after the click): ${code}`,
      event: 'breakglass-modal-failed',
      slackUserId: click.userId,
      findingKey: finding.key,
      code,
      msSinceClick: late,
    });
    return refuse(
      deps,
      click,
      'acknowledge',
      `views.open failed: ${code}`,
      'Slack did not let runguard open the acknowledgement form in time. Please click Acknowledge again.',
    );
  }
  const openedMs = Math.round(performance.now() - clickedAt);
  deps.log({
    severity: openedMs > TRIGGER_LIFETIME_MS ? 'WARNING' : 'INFO',
    message: `breakglass form opened for ${click.userId} on ${finding.key} ${openedMs} ms after the click`,
    event: 'breakglass-modal',
    slackUserId: click.userId,
    findingKey: finding.key,
    requester: requester || 'unknown',
    msSinceClick: openedMs,
  });
}
