import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config/load.js';
import {
  canonicalPrincipal,
  isPersonPrincipal,
  isServiceAccount,
  principalChain,
} from '../../functions/core/principals.js';
import { identitiesOf, tiedToPerson, twoPersonRule } from '../../functions/interactions/identities.js';
import { CONFIRM_ACTION_ID } from '../../functions/interactions/payload.js';
import type { SlackStandIn } from '../../stand-ins/slack/index.js';
import {
  CHANNEL,
  CONFIG,
  clickPayload,
  config,
  kit,
  type Kit,
  openModal,
  type Posted,
  postAlert,
  send,
  startSlack,
  submitPayload,
} from './helpers.js';

// Issue 14 §1–2: the two-person rule compares every identity of the approver (Slack e-mail plus
// what `people:` maps to them) with every principal of the change's chain, and a change nobody can
// be tied to needs two different approvers.

const DEPLOYER = 'deployer@shop-prod.iam.gserviceaccount.com';
const CI = 'ci@shop-prod.iam.gserviceaccount.com';
const UNMAPPED = 'batch@shop-prod.iam.gserviceaccount.com';
const DANA_WF = 'principal://iam.googleapis.com/locations/global/workforcePools/corp/subject/dana';
const SERVICE = (s: string) => `projects/shop-prod/locations/europe-west1/services/${s}`;

const PEOPLE = `${CONFIG}
people:
  U0DANA: [${DEPLOYER}, "${DANA_WF}"]
  S0ONCALL: ["serviceAccount:${CI}"]
`;

describe('principals', () => {
  it('canonical chain in call order: hops (caller first), e-mail, subject; prefixes, case, repeats dropped', () => {
    expect(
      principalChain({
        email: DEPLOYER,
        subject: `serviceAccount:${DEPLOYER}`,
        delegation: ['Dana@Example.com', 'user:dana@example.com'],
      }),
    ).toEqual(['dana@example.com', DEPLOYER]);
    expect(principalChain({ email: '', subject: DANA_WF, delegation: [] })).toEqual([DANA_WF.toLowerCase()]);
    expect(canonicalPrincipal(' User:Dana@Example.COM ')).toBe('dana@example.com');
  });

  it('tells people from service accounts', () => {
    expect(isPersonPrincipal('dana@example.com')).toBe(true);
    expect(isPersonPrincipal(DANA_WF)).toBe(true);
    expect(isPersonPrincipal(DEPLOYER)).toBe(false);
    expect(isServiceAccount('service-123@gcp-sa-run.iam.gserviceaccount.com')).toBe(true);
    expect(isPersonPrincipal('123-compute@developer.gserviceaccount.com')).toBe(false);
    expect(isPersonPrincipal('principalSet://iam.googleapis.com/locations/global/workforcePools/corp/*')).toBe(false);
    expect(
      isPersonPrincipal(
        'principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gh/subject/x',
      ),
    ).toBe(false);
  });
});

describe('the people map in the configuration', () => {
  it('is validated at load, every problem named', () => {
    const { problems } = parseConfig(
      `people:\n  dana: [${DEPLOYER}]\n  U0DANA: []\n` +
        `  U0BOB: [not-a-principal, "principalSet://iam.googleapis.com/x"]\n`,
      'runguard.yaml',
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/people.*expected a Slack user id/),
        expect.stringMatching(/people\.U0DANA: list at least one principal/),
        expect.stringMatching(/people\.U0BOB\[0\]: expected an e-mail/),
        expect.stringMatching(/people\.U0BOB\[1\]: expected an e-mail/),
      ]),
    );
  });

  it('maps users and groups to canonical principals', () => {
    const c = config(PEOPLE);
    expect(c.people.users.get('U0DANA')).toEqual([DEPLOYER, DANA_WF.toLowerCase()]);
    expect(c.people.groups.get('S0ONCALL')).toEqual([CI]);
    expect(identitiesOf('U0BOB', 'bob@example.com', ['S0ONCALL'], c.people)).toEqual(['bob@example.com', CI]);
  });

  it('the rule: overlap refuses, no person in the chain asks for a second approver', () => {
    const c = config(PEOPLE);
    const policy = c.breakglass!;
    const alice = { email: 'alice@example.com', identities: ['alice@example.com'] };
    const dana = { email: 'dana@example.com', identities: identitiesOf('U0DANA', 'dana@example.com', [], c.people) };
    expect(twoPersonRule(policy, 'enforce', [DEPLOYER], dana, c.people)).toMatchObject({ ok: false });
    expect(twoPersonRule(policy, 'enforce', [DEPLOYER], alice, c.people)).toEqual({ ok: true, second: false });
    expect(twoPersonRule(policy, 'enforce', [UNMAPPED], alice, c.people)).toEqual({ ok: true, second: true });
    expect(twoPersonRule(policy, 'enforce', null, alice, c.people)).toEqual({ ok: true, second: true });
    expect(twoPersonRule(policy, 'monitor', [DEPLOYER], dana, c.people)).toEqual({ ok: true, second: false });
    expect(tiedToPerson([UNMAPPED, 'carol@example.com'], c.people)).toBe(true);
  });
});

describe('breakglass with identities', () => {
  let slack: SlackStandIn;
  let k: Kit;
  beforeAll(async () => {
    slack = await startSlack();
  });
  afterAll(async () => {
    await slack?.close();
  });
  beforeEach(() => {
    slack.reset();
    k = kit(slack, { configText: PEOPLE });
  });
  const views = () => slack.requests.filter((r) => r.method === 'views.open');
  const lastEphemeral = () => slack.ephemeral.at(-1)?.text ?? '';

  async function refusedEverywhere(alert: Posted, user: string, as: string) {
    const before = views().length;
    await send(k, clickPayload(alert, user, 'runguard_acknowledge'));
    expect(views()).toHaveLength(before); // no form for the author
    expect(lastEphemeral()).toContain(`You made this change (as ${as})`);
    // Even a form opened by someone else and submitted by the author is refused.
    const metadata = await openModal(k, slack, alert, 'U0ALICE');
    const reply = await send(k, submitPayload(user, metadata, 'my own deploy', '1h'));
    expect(reply.body).toMatchObject({
      response_action: 'errors',
      errors: { justification: expect.stringContaining(as) },
    });
  }

  it('refuses an approver whose mapped service account made the change; another approver alone may', async () => {
    const alert = await postAlert(slack, { service: 'sa', actor: DEPLOYER });
    await refusedEverywhere(alert, 'U0DANA', DEPLOYER);
    expect(await k.deps.state.exemptionsFor(SERVICE('sa'))).toEqual([]);
    // The change is tied to Dana through the map, so one other approver is enough.
    const metadata = await openModal(k, slack, alert, 'U0ALICE');
    expect((await send(k, submitPayload('U0ALICE', metadata, 'reviewed the deploy', '1h'))).body).toBeUndefined();
    expect(await k.deps.state.exemptionsFor(SERVICE('sa'))).toMatchObject([
      { principals: [DEPLOYER], approvers: [{ slackUserId: 'U0ALICE' }] },
    ]);
  });

  it('refuses a Workforce Identity author mapped to the approver', async () => {
    // As the live path renders it: principalSubject alone, in canonical form.
    const chain = principalChain({ email: '', subject: DANA_WF, delegation: [] });
    const alert = await postAlert(slack, { service: 'wf', actor: '', principals: chain });
    await refusedEverywhere(alert, 'U0DANA', chain[0]!);
  });

  it('refuses the person at the start of the delegation chain, mapped or not', async () => {
    const alert = await postAlert(slack, {
      service: 'imp',
      actor: UNMAPPED,
      principals: [UNMAPPED, 'dana@example.com'],
    });
    await refusedEverywhere(alert, 'U0DANA', 'dana@example.com');
  });

  it('refuses a member of a user group the author’s service account is mapped to', async () => {
    const alert = await postAlert(slack, { service: 'ci', actor: CI });
    await refusedEverywhere(alert, 'U0BOB', CI);
  });

  it('an unmapped service account needs two different approvers; one person clicking twice is refused', async () => {
    const alert = await postAlert(slack, { service: 'batch', actor: UNMAPPED });
    const metadata = await openModal(k, slack, alert, 'U0ALICE');
    const asked = await send(k, submitPayload('U0ALICE', metadata, 'nightly batch needs the partner API', '4h'));
    expect(asked.body).toMatchObject({ response_action: 'update', view: { title: { text: 'Waiting for approval' } } });
    expect(await k.deps.state.exemptionsFor(SERVICE('batch'))).toEqual([]); // nothing yet

    const thread = slack.messages(CHANNEL).find((m) => m.ts === alert.ts)!;
    const request = thread.replies.at(-1)!;
    expect(request.text).toContain('<@U0ALICE> asks to exempt');
    const requestMsg: Posted = { channel: CHANNEL, ts: request.ts, text: request.text, blocks: request.blocks ?? [] };
    const confirmBy = (user: string) => send(k, clickPayload(requestMsg, user, CONFIRM_ACTION_ID));

    // The requester cannot be the second approver, however often they click.
    await confirmBy('U0ALICE');
    expect(lastEphemeral()).toMatch(/You asked for this exemption: a different approver must confirm it/);
    await confirmBy('U0ALICE');
    expect(lastEphemeral()).toMatch(/a different approver must confirm it/);
    // Nor can someone who is not an approver.
    await confirmBy('U0CAROL');
    expect(lastEphemeral()).toMatch(/Only runguard approvers/);
    expect(await k.deps.state.exemptionsFor(SERVICE('batch'))).toEqual([]);

    k.clock.now += 60_000;
    await confirmBy('U0BOB');
    const [e] = await k.deps.state.exemptionsFor(SERVICE('batch'));
    expect(e).toMatchObject({
      findingKey: `run-ingress-all|${SERVICE('batch')}`,
      reason: 'nightly batch needs the partner API',
      principals: [UNMAPPED],
      requestedBy: { slackUserId: 'U0ALICE', email: 'alice@example.com' },
      approvers: [
        { slackUserId: 'U0ALICE', email: 'alice@example.com' },
        { slackUserId: 'U0BOB', email: 'bob@example.com' },
      ],
      approvedBy: 'bob@example.com',
      expires: new Date(k.clock.now + 4 * 3_600_000).toISOString(),
    });
    expect(k.logs).toContainEqual(expect.objectContaining({ event: 'breakglass', twoPersonRule: 'two-approvers' }));
    const updated = slack.messages(CHANNEL).find((m) => m.ts === alert.ts)!;
    expect(JSON.stringify(updated.blocks)).toContain('Acknowledged by <@U0ALICE>, confirmed by <@U0BOB>, until');
    expect(JSON.stringify(updated.blocks)).not.toContain('runguard_acknowledge');

    // Confirming again records nothing more.
    await confirmBy('U0DANA');
    expect(lastEphemeral()).toMatch(/already confirmed/);
    expect(await k.deps.state.exemptionsFor(SERVICE('batch'))).toHaveLength(1);
  });

  it('a request lapses', async () => {
    const alert = await postAlert(slack, { service: 'late', actor: UNMAPPED });
    const metadata = await openModal(k, slack, alert, 'U0ALICE');
    await send(k, submitPayload('U0ALICE', metadata, 'x', '1h'));
    const request = slack
      .messages(CHANNEL)
      .find((m) => m.ts === alert.ts)!
      .replies.at(-1)!;
    k.clock.now += 61 * 60_000;
    await send(
      k,
      clickPayload(
        { channel: CHANNEL, ts: request.ts, text: request.text, blocks: request.blocks ?? [] },
        'U0BOB',
        CONFIRM_ACTION_ID,
      ),
    );
    expect(lastEphemeral()).toMatch(/lapsed/);
    expect(await k.deps.state.exemptionsFor(SERVICE('late'))).toEqual([]);
  });
});
