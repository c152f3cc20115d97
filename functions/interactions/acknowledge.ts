import { resolveFinding } from './finding.js';
import { describeChain, identifyApprover, tiedToPerson, twoPersonRule } from './identities.js';
import { breakglassModal, encodeContext } from './modal.js';
import type { Click } from './payload.js';
import { approverOnly, refuse, within } from './respond.js';
import { slackErrorCode } from './slack-port.js';
import type { InteractionDeps, InteractionReply } from './types.js';

// "Acknowledge (breakglass)": the clicker is checked and either gets the modal (views.open with the
// click's trigger_id, which lives 3 seconds from the click) or a polite no — all of it before Slack
// gets its answer, because a 2nd-gen function gets (almost) no CPU once it has answered. Nothing is
// recorded here: the exemption is made by the modal's submission, which checks everything again.

/** A trigger_id is valid for this long after the click. */
export const TRIGGER_LIFETIME_MS = 3_000;
/** The checks before views.open must leave it time to reach Slack inside the trigger's lifetime. */
export const CLICK_CHECK_BUDGET_MS = 1_800;

export async function acknowledgeClick(click: Click, deps: InteractionDeps): Promise<InteractionReply> {
  await openModal(click, deps, performance.now());
  return { status: 200 };
}

async function openModal(click: Click, deps: InteractionDeps, clickedAt: number): Promise<void> {
  // Kept for the submission, which rewrites this message in place.
  deps.messages.remember(click.channel, click.messageTs, click.message);
  // Who the clicker is (e-mail, mapped principals) is asked at the same time as whether they are an
  // approver: both share the group look-ups, and the trigger_id is ticking.
  const identity = deps.config.breakglass
    ? within(identifyApprover(click.userId, deps.config.breakglass, deps), CLICK_CHECK_BUDGET_MS, 'the identity check')
    : null;
  identity?.catch(() => undefined); // awaited below unless the click is refused first
  const policy = await approverOnly(
    deps,
    click,
    'acknowledge',
    'acknowledge an alert',
    'Breakglass is not set up for runguard, so nobody can acknowledge alerts from Slack. ' +
      'An exemption can be added to the runguard configuration instead.',
  );
  if (!policy || !identity) return;
  const finding = resolveFinding(click.value, deps.rules, deps.config);
  if ('error' in finding)
    return refuse(deps, click, 'acknowledge', finding.error, `This alert cannot be acknowledged: ${finding.error}.`);

  // The chain comes from the button runguard rendered; Slack signed the request that carries it back.
  const chain = click.value.principals ?? null;
  let who: Awaited<ReturnType<typeof identifyApprover>>;
  try {
    who = await identity;
  } catch (e) {
    const code = slackErrorCode(e);
    return refuse(
      deps,
      click,
      'acknowledge',
      `identity check failed: ${code}`,
      'runguard could not check who you are in time. Nothing was changed; please click Acknowledge again.',
    );
  }
  const rule = twoPersonRule(policy, finding.mode, chain, who, deps.config.people);
  if (!rule.ok) return refuse(deps, click, 'acknowledge', `two-person rule: ${rule.why}`, rule.why);

  const metadata = encodeContext({
    key: finding.key,
    channel: click.channel,
    ts: click.messageTs,
    ...(click.threadTs ? { threadTs: click.threadTs } : {}),
    principals: chain,
  });
  if (!metadata)
    return refuse(
      deps,
      click,
      'acknowledge',
      'context too long for private_metadata',
      'This alert names a resource too long to acknowledge from Slack; ' +
        'add an exemption to the runguard configuration instead.',
    );

  const needsSecond = policy.twoPersonRule && finding.mode === 'enforce' && !tiedToPerson(chain, deps.config.people);
  const late = Math.round(performance.now() - clickedAt);
  try {
    await deps.slack.views.open({
      trigger_id: click.triggerId,
      view: breakglassModal(finding, policy, metadata, describeChain(chain), needsSecond),
    });
  } catch (e) {
    const code = slackErrorCode(e);
    const ms = Math.round(performance.now() - clickedAt);
    deps.log({
      severity: 'WARNING',
      message:
        `could not open the breakglass modal for ${click.userId} ` +
        `(${ms} ms after the click; called after ${late} ms): ${code}`,
      event: 'breakglass-modal-failed',
      slackUserId: click.userId,
      findingKey: finding.key,
      code,
      msSinceClick: ms,
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
    principals: describeChain(chain),
    needsSecondApprover: needsSecond,
    msSinceClick: openedMs,
  });
}
