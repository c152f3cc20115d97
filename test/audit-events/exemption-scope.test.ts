import type { ServicesClient } from '@google-cloud/run';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handleAuditEvent } from '../../functions/audit-events/handler.js';
import { parseConfig } from '../../functions/config/load.js';
import { type CloudRunStandIn, startCloudRunStandIn } from '../../stand-ins/cloud-run/index.js';
import { cloudEventFor, setIamPolicyEntry, updateServiceEntry } from '../../stand-ins/audit-entries.js';
import { CONFIG, harness, newClient } from '../harness.js';

// Issue 13 §6: an exemption covers exactly what was approved — the member and role of a grant,
// the value of a setting — and a wider grant on an exempt resource is a finding decided on its own.

const PROD = 'projects/shop-prod/locations/europe-west1/services/site';
const INVOKER = 'roles/run.invoker';
const DEVELOPER = 'roles/run.developer';

let standIn: CloudRunStandIn;
let client: ServicesClient;
beforeAll(async () => {
  standIn = await startCloudRunStandIn();
  client = await newClient(standIn);
});
afterAll(async () => {
  await client?.close();
  await standIn?.close();
});
beforeEach(() => standIn.reset());

const publicSite = (subject = 'subject: "allUsers@roles/run.invoker"') => `${CONFIG}
exemptions:
  - { resource: "${PROD}", rule: run-public-invoker, ${subject}, reason: public website, expires: "2099-01-01" }
`;

const bindings = [
  { role: INVOKER, members: ['allUsers'] },
  { role: DEVELOPER, members: ['allUsers', 'group:eng@example.com'] },
];
let n = 0;
const grantBoth = () => cloudEventFor(setIamPolicyEntry({ name: PROD, insertId: `scope-${++n}`, bindings }), `m-${n}`);

describe('exemptions cover exactly what was approved', () => {
  it('an exemption for allUsers as invoker does not let allUsers hold roles/run.developer', async () => {
    standIn.seedService({ name: PROD, ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER' });
    standIn.seedPolicy(PROD, { bindings });
    const h = harness(standIn, client, publicSite());
    const result = await handleAuditEvent(grantBoth(), h.deps);
    const byKey = new Map(result.verdicts.map((v) => [v.decision.finding.key, v]));
    expect([...byKey.keys()].sort()).toEqual([
      `run-public-invoker|${PROD}|allUsers@${DEVELOPER}`,
      `run-public-invoker|${PROD}|allUsers@${INVOKER}`,
    ]);
    expect(byKey.get(`run-public-invoker|${PROD}|allUsers@${INVOKER}`)!.done).toBe('exempt');
    const wider = byKey.get(`run-public-invoker|${PROD}|allUsers@${DEVELOPER}`)!;
    expect(wider.done).toBe('reverted');
    expect(wider.decision.finding.message).toBe('allUsers holds roles/run.developer');
    // Only the wider grant is taken out: the approved public website stays public.
    expect(standIn.policy(PROD)!.bindings).toEqual([
      { role: INVOKER, members: ['allUsers'] },
      { role: DEVELOPER, members: ['group:eng@example.com'] },
    ]);
  });

  it('a breakglass acknowledgement records its subject and covers only it', async () => {
    standIn.seedService({ name: PROD, ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER' });
    standIn.seedPolicy(PROD, { bindings });
    const h = harness(standIn, client);
    const key = `run-public-invoker|${PROD}|allUsers@${INVOKER}`;
    await h.deps.state.recordExemption(
      {
        source: 'breakglass',
        id: `${key}|x`,
        findingKey: key,
        rule: 'run-public-invoker',
        resource: PROD,
        subject: `allUsers@${INVOKER}`,
        reason: 'launch',
        expires: '2099-01-01T00:00:00Z',
        approvedBy: 'lead@example.com',
        requester: 'dev@example.com',
        createdAt: '2026-11-23T09:00:00Z',
        slackUserId: 'U1',
        slackMessage: null,
      },
      h.clock.now,
    );
    const result = await handleAuditEvent(grantBoth(), h.deps);
    expect(result.verdicts.map((v) => [v.decision.finding.subject, v.done]).sort()).toEqual([
      [`allUsers@${DEVELOPER}`, 'reverted'],
      [`allUsers@${INVOKER}`, 'exempt'],
    ]);
  });

  it('an exemption for ingress ALL does not cover a disabled invoker check', async () => {
    standIn.seedService({ name: PROD, ingress: 'INGRESS_TRAFFIC_ALL', invokerIamDisabled: true });
    standIn.seedPolicy(PROD, { bindings: [] });
    const config =
      `${CONFIG}
exemptions:
  - { resource: "${PROD}", rule: "*", subject: ingress=INGRESS_TRAFFIC_ALL, ` +
      `reason: behind Cloud Armor, expires: "2099-01-01" }
`;
    const h = harness(standIn, client, config);
    const event = updateServiceEntry({
      name: PROD,
      insertId: `scope-${++n}`,
      service: { ingress: 'INGRESS_TRAFFIC_ALL', invokerIamDisabled: true },
    });
    const result = await handleAuditEvent(cloudEventFor(event, `m-${n}`), h.deps);
    const done = Object.fromEntries(result.verdicts.map((v) => [v.decision.finding.rule, v.done]));
    expect(done).toEqual({ 'run-ingress-all': 'exempt', 'run-invoker-iam-disabled': 'reverted' });
    expect(standIn.service(PROD)!.ingress).toBe('INGRESS_TRAFFIC_ALL');
    expect(standIn.service(PROD)!.invokerIamDisabled).toBe(false);
  });

  it('the configuration refuses a subject that is neither member@role nor field=value', () => {
    const { config, problems } = parseConfig(publicSite('subject: "allUsers"'), 'test.yaml');
    expect(config).toBeNull();
    expect(problems.join('\n')).toMatch(/exemptions.*subject|not a subject/);
  });
});
