import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createInteractionDeps, workspaceFrom } from '../../functions/interactions/deps.js';
import { handleSlackInteraction } from '../../functions/interactions/handler.js';
import { MAX_BODY_BYTES } from '../../functions/interactions/verify.js';
import type { LogLine } from '../../functions/core/log.js';
import type { SlackStandIn } from '../../stand-ins/slack/index.js';
import {
  clickPayload,
  formBody,
  kit,
  type Posted,
  postAlert,
  SECRET,
  signed,
  signedRaw,
  startSlack,
  submitPayload,
} from './helpers.js';

// Issue 14 §4: a request signed with our secret but sent for another workspace or app is refused
// (403), and an oversized body is refused (413) before anything reads it.

describe('only our workspace and app', () => {
  let slack: SlackStandIn;
  let msg: Posted;
  beforeAll(async () => {
    slack = await startSlack();
  });
  afterAll(async () => {
    await slack?.close();
  });
  beforeEach(async () => {
    slack.reset();
    msg = await postAlert(slack);
  });
  const slackCalls = () => slack.requests.filter((r) => r.method !== 'chat.postMessage');

  it('refuses another team.id or api_app_id with 403, before any Slack call or store access', async () => {
    const k = kit(slack);
    const click = clickPayload(msg, 'U0ALICE', 'runguard_acknowledge');
    for (const [what, p] of [
      ['team', { ...click, team: { id: 'T0OTHER', domain: 'evil' } }],
      ['no team', { ...click, team: undefined, user: { id: 'U0ALICE' } }],
      ['app', { ...click, api_app_id: 'A0OTHER' }],
      ['no app', { ...click, api_app_id: undefined }],
      ['submission from another team', { ...submitPayload('U0ALICE', '{}', 'x', '1h'), team: { id: 'T0OTHER' } }],
    ] as const) {
      const reply = await handleSlackInteraction(signed(p, k.clock.now), k.deps);
      expect(reply, what).toEqual({ status: 403, body: { error: 'forbidden' } });
    }
    expect(slackCalls()).toHaveLength(0);
    expect(k.state.calls).toEqual([]);
    expect(k.logs).toContainEqual(
      expect.objectContaining({
        event: 'slack-request-refused',
        status: 403,
        reason: 'team T0OTHER is not this workspace',
      }),
    );
    // Ours still works.
    expect((await handleSlackInteraction(signed(click, k.clock.now), k.deps)).status).toBe(200);
  });

  it('refuses everything when the workspace is not configured, and says so once, loudly', async () => {
    const logs: LogLine[] = [];
    const deps = await createInteractionDeps(
      { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-interactions', SLACK_API_URL: slack.apiUrl },
      { log: (l) => logs.push(l) },
    );
    expect(logs).toContainEqual(expect.objectContaining({ severity: 'CRITICAL', event: 'slack-workspace-missing' }));
    const reply = await handleSlackInteraction(
      signed(clickPayload(msg, 'U0ALICE', 'runguard_acknowledge'), Date.now()),
      deps,
    );
    expect(reply.status).toBe(403);
    expect(workspaceFrom({ SLACK_TEAM_ID: 'T0RUNGUARD', SLACK_APP_ID: 'A0RUNGUARD' })).toEqual({
      teamId: 'T0RUNGUARD',
      appId: 'A0RUNGUARD',
    });
    expect(workspaceFrom({ SLACK_TEAM_ID: 'T0RUNGUARD', SLACK_APP_ID: 'nope' })).toBeNull();
  });

  it(
    'refuses an oversized body by its Content-Length before reading it, ' + 'and by its size when none is declared',
    async () => {
      const k = kit(slack);
      // A valid, signed click that declares more than the limit: refused without being parsed or verified.
      const click = signed(clickPayload(msg, 'U0ALICE', 'runguard_acknowledge'), k.clock.now);
      const declared = await handleSlackInteraction(
        { ...click, headers: { ...click.headers, 'content-length': String(MAX_BODY_BYTES + 1) } },
        k.deps,
      );
      expect(declared).toEqual({ status: 413, body: { error: 'payload_too_large' } });
      expect(
        (await handleSlackInteraction({ ...click, headers: { ...click.headers, 'content-length': '1e9' } }, k.deps))
          .status,
      ).toBe(413);
      // A body whose bytes cannot even be read (a getter that throws) is never touched.
      const untouchable = new Proxy(Buffer.alloc(0), {
        get() {
          throw new Error('the body was read');
        },
      });
      expect(
        (
          await handleSlackInteraction(
            { rawBody: untouchable, headers: { ...click.headers, 'content-length': String(10 * MAX_BODY_BYTES) } },
            k.deps,
          )
        ).status,
      ).toBe(413);
      const big = formBody({ type: 'block_actions', pad: 'x'.repeat(MAX_BODY_BYTES) });
      expect((await handleSlackInteraction(signedRaw(big, k.clock.now), k.deps)).status).toBe(413);
      expect(slackCalls()).toHaveLength(0);
      expect(k.logs.filter((l) => l.status === 413)).toHaveLength(4);
      // The signature of the refused click was not spent: it was never checked.
      expect((await handleSlackInteraction(click, k.deps)).status).toBe(200);
    },
  );
});
