import { describe, expect, it } from 'vitest';
import { resolveFinding } from '../../functions/interactions/finding.js';
import { acknowledgedText, section, withNote } from '../../functions/interactions/message.js';
import { checkSubmission, decodeContext, encodeContext } from '../../functions/interactions/modal.js';
import { parseInteraction } from '../../functions/interactions/payload.js';
import { renderAlert } from '../../functions/slack/render.js';
import { alertFor } from '../slack/alerts.js';
import { config, formBody, rules } from './helpers.js';

// The pure pieces: reading the alert a button was on, rewriting it, the modal's context and checks.

const blocksFor = (actor: string) => {
  const alert = alertFor({ done: 'alerted' });
  alert.change.actor = actor;
  return renderAlert(alert).blocks as unknown[];
};

describe('rewriting the alert', () => {
  it('puts the note where the buttons were and keeps every other block as it was', () => {
    const blocks = blocksFor('dana@example.com');
    const out = withNote(blocks, section('note'));
    expect(out).toHaveLength(blocks.length);
    expect(out.slice(0, -1)).toEqual(blocks.slice(0, -1));
    expect(out.at(-1)).toEqual(section('note'));
    const kept = withNote(blocks, section('note'), true);
    expect(kept.at(-1)).toEqual(blocks.at(-1));
  });

  it('never holds more than 50 blocks', () => {
    const many = [
      ...Array.from({ length: 49 }, (_, i) => section(`b${i}`)),
      { type: 'actions', block_id: 'runguard_actions', elements: [] },
    ];
    expect(withNote(many, section('note'), true)).toHaveLength(50);
  });

  it('escapes the justification and names the approver and the expiry', () => {
    const text = acknowledgedText('U0ALICE', Date.parse('2026-11-23T14:00:00Z'), 'a <b> & c');
    expect(text).toBe(
      '🛡️ Acknowledged by <@U0ALICE> until ' +
        '<!date^1795442400^{date_short_pretty} {time}|2026-11-23T14:00:00Z>: a &lt;b&gt; &amp; c',
    );
  });
});

describe('the modal', () => {
  it('carries its context through private_metadata, within Slack’s 3,000 characters', () => {
    const ctx = {
      key: 'r|projects/p',
      channel: 'C1',
      ts: '1.2',
      principals: ['deployer@p.iam.gserviceaccount.com', 'dana@example.com'],
    };
    expect(decodeContext(encodeContext({ ...ctx, principals: null })!)).toEqual({ ...ctx, principals: null });
    expect(decodeContext('{"v":1,"k":"r|projects/p","c":"C1","t":"1.2","r":"dana@example.com"}')).toBeNull();
    expect(decodeContext(encodeContext(ctx)!)).toEqual(ctx);
    expect(encodeContext({ ...ctx, key: 'x'.repeat(3000) })).toBeNull();
    expect(decodeContext('{"v":2}')).toBeNull();
    expect(decodeContext('nope')).toBeNull();
  });

  it('accepts only configured durations within the maximum', () => {
    const policy = {
      ...config().breakglass!,
      durations: [
        { label: '1h', ms: 3_600_000 },
        { label: '48h', ms: 172_800_000 },
      ],
    };
    expect(checkSubmission({ userId: 'U', metadata: '', justification: 'why', duration: '1h' }, policy)).toMatchObject({
      ok: true,
      durationMs: 3_600_000,
    });
    expect(checkSubmission({ userId: 'U', metadata: '', justification: 'why', duration: '48h' }, policy)).toMatchObject(
      { ok: false, errors: { duration: expect.stringMatching(/maximum/) } },
    );
  });

  it('resolves a finding key to its rule, resource, project and mode', () => {
    const c = config();
    expect(
      resolveFinding({ key: 'run-ingress-all|projects/shop-prod/locations/l/services/s' }, rules, c),
    ).toMatchObject({ project: 'shop-prod', mode: 'enforce', resource: 'projects/shop-prod/locations/l/services/s' });
    expect(
      resolveFinding({ key: 'run-ingress-all|projects/elsewhere/locations/l/services/s' }, rules, c),
    ).toMatchObject({ mode: 'monitor' });
    expect(resolveFinding({ key: 'run-ingress-all' }, rules, c)).toHaveProperty('error');
  });
});

describe('parsing interactions', () => {
  it('reads a view_submission of runguard’s modal, and ignores other modals', () => {
    const view = (callback_id: string) => ({
      type: 'view_submission',
      user: { id: 'U0ALICE' },
      view: { callback_id, private_metadata: 'm', state: { values: {} } },
    });
    expect(parseInteraction(formBody(view('runguard_breakglass')))).toEqual({
      kind: 'submit',
      submission: { userId: 'U0ALICE', metadata: 'm', justification: null, duration: null },
      origin: { teamId: '', appId: '' },
    });
    expect(parseInteraction(formBody(view('other')))).toMatchObject({ kind: 'ignored' });
  });

  it('calls a click without a trigger, a channel, the message or runguard’s value malformed', () => {
    const base = {
      type: 'block_actions',
      user: { id: 'U0ALICE' },
      trigger_id: 't',
      container: { channel_id: 'C0RUNGUARD1', message_ts: '1.2' },
      message: { ts: '1.2', blocks: [] },
      actions: [{ action_id: 'runguard_acknowledge', value: '{"k":"a|projects/p"}' }],
    };
    expect(parseInteraction(formBody(base))).toMatchObject({ kind: 'acknowledge' });
    for (const broken of [
      { trigger_id: undefined },
      { container: {} },
      { message: { ts: '1.2' } },
      { actions: [{ action_id: 'runguard_acknowledge', value: 'x' }] },
      { user: { id: 'alice' } },
    ]) {
      expect(parseInteraction(formBody({ ...base, ...broken })).kind).toBe('malformed');
    }
  });
});
