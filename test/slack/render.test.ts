import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { principalChain } from '../../functions/core/principals.js';
import type { ChangeEvent, Exemption, Finding, LogEntry, Severity } from '../../functions/core/types.js';
import { normalize } from '../../functions/events/normalize.js';
import type { Alert } from '../../functions/core/notify.js';
import type { Done } from '../../functions/core/verdict.js';
import { loadRules } from '../../functions/rules/load-files.js';
import { fillFix } from '../../functions/rules/fix.js';
import { blockKitBuilderUrl, consoleUrl, logsExplorerUrl, resourceRef } from '../../functions/slack/links.js';
import * as L from '../../functions/slack/limits.js';
import { decodeActionValue } from '../../functions/slack/render-actions.js';
import { renderAlert, type RenderedAlert } from '../../functions/slack/render.js';

const RUN = 'projects/shop-prod/locations/europe-west1/services/checkout';
const INGRESS = { action: 'set-ingress', params: { safeIngress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER' } };
const PACK = loadRules().rules;
const REVERTED = {
  action: 'set-ingress',
  status: 'reverted' as const,
  summary: 'set ingress to INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER (was INGRESS_TRAFFIC_ALL)',
  now: 'ingress is INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
  verified: true,
  attempts: 1,
};

interface Opts {
  rule?: string;
  severity?: Severity;
  message?: string;
  resource?: string;
  project?: string;
  location?: string;
  remediation?: Finding['remediation'];
  key?: string;
  actor?: string;
  done?: Done;
  action?: 'revert' | 'dry-run' | 'alert' | 'exempt';
  reason?: string;
  summary?: string;
  outcome?: Alert['verdict']['outcome'];
  fight?: Alert['verdict']['fight'];
  exemption?: Exemption | null;
  expired?: Exemption[];
  observation?: Alert['observation'];
  insertId?: string;
  principals?: string[];
}

/** A realistic alert: by default, ingress opened on checkout with gcloud, reverted. */
function mk(o: Opts = {}): Alert {
  const resource = o.resource ?? RUN;
  const ref = resourceRef({ resource, project: o.project ?? 'shop-prod', location: o.location ?? 'europe-west1' });
  const spec = PACK.find((r) => r.id === (o.rule ?? 'run-ingress-all'))!;
  const remediation = o.remediation !== undefined ? o.remediation : INGRESS;
  const finding: Finding = {
    rule: spec.id,
    severity: o.severity ?? spec.severity,
    title: spec.title,
    message: o.message ?? 'ingress opened to all traffic',
    resource,
    key: o.key ?? `${spec.id}|${resource}`,
    remediation,
  };
  const done = o.done ?? 'reverted';
  const outcome = o.outcome !== undefined ? o.outcome : done === 'reverted' ? REVERTED : null;
  return {
    change: {
      insertId: o.insertId ?? '1x9k2q3e4abc',
      messageId: '11873461298',
      method: 'google.cloud.run.v2.Services.UpdateService',
      timestamp: '2026-03-14T10:01:58.412Z',
      resource,
      project: ref.project,
      location: ref.location,
      actor: o.actor ?? 'alice@example.com',
      ...(o.principals ? { principals: o.principals } : {}),
      tool: 'gcloud',
      toolDetail: 'gcloud.run.services.update',
    },
    verdict: {
      decision: {
        finding,
        action: o.action ?? 'revert',
        mode: 'enforce',
        reason: o.reason ?? 'project is enforced: set-ingress',
        exemption: o.exemption ?? null,
        expiredExemptions: o.expired ?? [],
      },
      done,
      outcome,
      fight: o.fight ?? null,
      summary:
        o.summary ??
        'reverted at 2026-03-14T10:02:11.000Z: set ingress to INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER ' +
          '(was INGRESS_TRAFFIC_ALL); now ingress is INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
    },
    observation: o.observation ?? { source: 'live' },
    rule: {
      title: spec.title,
      explanation: spec.explanation,
      fix: fillFix(spec.fix, {
        type: ref.kind === 'run-service' ? 'run.googleapis.com/Service' : 'cloudresourcemanager.googleapis.com/Project',
        name: resource,
        project: ref.project,
        location: ref.location,
      }),
    },
  };
}

type Any = Record<string, any>;
const header = (r: RenderedAlert) => (r.blocks[0] as Any).text.text as string;
const sections = (r: RenderedAlert) =>
  r.blocks.filter((b) => b.type === 'section' && (b as Any).text).map((b) => (b as Any).text.text as string);
const didLine = (r: RenderedAlert) => sections(r).find((s) => /^\S+ \*/.test(s))!;
const fieldsText = (r: RenderedAlert) =>
  (r.blocks.find((b) => (b as Any).fields) as Any).fields.map((f: Any) => f.text).join('\n') as string;
const contextText = (r: RenderedAlert) =>
  (r.blocks.find((b) => b.type === 'context') as Any).elements.map((e: Any) => e.text).join(' ') as string;
const button = (r: RenderedAlert, id: string) =>
  ((r.blocks.find((b) => b.type === 'actions') as Any)?.elements ?? []).find((b: Any) => b.action_id === id);

/** Every string in the message, with the key it sits under. */
function strings(v: unknown, key = '', out: Array<[string, string]> = []): Array<[string, string]> {
  if (typeof v === 'string') out.push([key, v]);
  else if (Array.isArray(v)) for (const x of v) strings(x, key, out);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) strings(x, k, out);
  return out;
}

const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Every Slack limit, checked on the rendered message whatever went in. */
function expectWithinLimits(r: RenderedAlert): void {
  const max = (s: string, n: number) => expect(s.length).toBeLessThanOrEqual(n);
  expect(r.blocks.length).toBeLessThanOrEqual(L.MAX_BLOCKS);
  max(r.text, L.MESSAGE_TEXT_RECOMMENDED);
  expect(r.text).not.toMatch(/\n/);
  for (const b of r.blocks as Any[]) {
    max(b.block_id ?? '', L.BLOCK_ID);
    if (b.type === 'header') max(b.text.text, L.HEADER_TEXT);
    if (b.type === 'section') max(b.text?.text ?? '', L.SECTION_TEXT);
    expect((b.fields ?? []).length).toBeLessThanOrEqual(L.SECTION_FIELDS);
    for (const f of b.fields ?? []) max(f.text, L.FIELD_TEXT);
    expect((b.elements ?? []).length).toBeLessThanOrEqual(
      b.type === 'actions' ? L.ACTIONS_ELEMENTS : L.CONTEXT_ELEMENTS,
    );
    for (const e of b.type === 'actions' ? b.elements : []) {
      for (const [t, n] of [
        [e.text.text, L.BUTTON_TEXT],
        [e.action_id, L.ACTION_ID],
        [e.value, L.BUTTON_VALUE],
      ] as const)
        max(t, n);
      if (!e.confirm) continue;
      max(e.confirm.title.text, L.CONFIRM_TITLE);
      max(e.confirm.text.text, L.CONFIRM_TEXT);
      for (const t of [e.confirm.confirm.text, e.confirm.deny.text]) max(t, L.CONFIRM_BUTTON);
    }
  }
  const all = strings(r.blocks);
  const texts = all.filter(([k]) => k === 'text').map(([, s]) => s);
  for (const s of texts) expect(s.length > 0 && s.length <= L.TEXT_OBJECT, s.slice(0, 40)).toBe(true);
  expect(texts.reduce((n, s) => n + s.length, 0)).toBeLessThanOrEqual(L.BLOCKS_TEXT_BUDGET);
  for (const [k, s] of [...all, ['text', r.text] as const])
    expect(LONE.test(s), `broken surrogate pair under ${k}`).toBe(false);
}

// Realistic findings for every default rule, each on a resource of a type the rule applies to.
const CASES: Record<string, { message: string; resource: string; short: string; url: string }> = {
  'binauthz-policy-weakened': {
    message: 'the default admission rule allows every image (ALWAYS_ALLOW)',
    resource: 'projects/shop-prod/policy',
    short: 'shop-prod',
    url: 'https://console.cloud.google.com/security/binary-authorization/policy?project=shop-prod',
  },
  'orgpolicy-guardrail-loosened': {
    message: 'constraints/run.allowedIngress now allows all on projects/shop-prod',
    resource: 'projects/shop-prod/policies/run.allowedIngress',
    short: 'run.allowedIngress',
    url: 'https://console.cloud.google.com/iam-admin/orgpolicies?project=shop-prod',
  },
  'orgpolicy-guardrail-removed': {
    message: 'constraints/iam.disableServiceAccountKeyCreation policy deleted on projects/shop-prod',
    resource: 'projects/shop-prod/policies/iam.disableServiceAccountKeyCreation',
    short: 'iam.disableServiceAccountKeyCreation',
    url: 'https://console.cloud.google.com/iam-admin/orgpolicies?project=shop-prod',
  },
  'function-ingress-all': {
    message: 'the function accepts traffic from anywhere on the internet (ingressSettings ALLOW_ALL)',
    resource: 'projects/shop-prod/locations/europe-west1/functions/api',
    short: 'api',
    url: 'https://console.cloud.google.com/functions/details/europe-west1/api?project=shop-prod',
  },
  'iam-personal-account': {
    message: 'user:alice.dev@gmail.com (a personal account) was granted roles/viewer',
    resource: 'projects/shop-prod',
    short: 'shop-prod',
    url: 'https://console.cloud.google.com/iam-admin/iam?project=shop-prod',
  },
  'iam-privileged-role': {
    message: 'serviceAccount:ci@shop-prod.iam.gserviceaccount.com was granted roles/iam.serviceAccountTokenCreator',
    resource: 'projects/shop-prod/serviceAccounts/deployer@shop-prod.iam.gserviceaccount.com',
    short: 'deployer@shop-prod.iam.gserviceaccount.com',
    url: 'https://console.cloud.google.com/iam-admin/serviceaccounts?project=shop-prod',
  },
  'iam-public-member': {
    message: 'allUsers was granted roles/cloudfunctions.invoker',
    resource: 'projects/shop-prod/locations/europe-west1/functions/thumbnailer',
    short: 'thumbnailer',
    url: 'https://console.cloud.google.com/functions/details/europe-west1/thumbnailer?project=shop-prod',
  },
  'run-binauthz-breakglass': {
    message: 'Binary Authorization bypassed with breakglass: "INC-4711 hotfix, image not attested yet"',
    resource: RUN,
    short: 'checkout',
    url: '',
  },
  'run-default-service-account': {
    message:
      'runs as the Compute Engine default service account 123456789012-compute@developer.gserviceaccount.com, ' +
      'shared by every workload that names no identity of its own',
    resource: RUN,
    short: 'checkout',
    url: '',
  },
  'run-ingress-all': { message: 'ingress opened to all traffic', resource: RUN, short: 'checkout', url: '' },
  'run-invoker-iam-disabled': {
    message: 'invoker IAM check disabled: anyone on the internet can call the service without credentials',
    resource: RUN,
    short: 'checkout',
    url: '',
  },
  'run-plaintext-secret-env': {
    message: 'DB_PASSWORD has a literal value; use a Secret Manager reference',
    resource: RUN,
    short: 'checkout',
    url: '',
  },
  'run-public-invoker': {
    message: 'allUsers can invoke (roles/run.invoker)',
    resource: RUN,
    short: 'checkout',
    url: '',
  },
};
const RUN_URL = 'https://console.cloud.google.com/run/detail/europe-west1/checkout/security?project=shop-prod';
const MARK: Record<Severity, string> = { CRITICAL: '🔴', HIGH: '🟠', MEDIUM: '🟡', LOW: '🔵' };

describe('renderAlert: one alert per default rule (monitor mode, alert only)', () => {
  it('covers every rule in the pack', () => expect(Object.keys(CASES).sort()).toEqual(PACK.map((r) => r.id).sort()));

  it.each(PACK.map((r) => [r.id, r] as const))('%s', (id, spec) => {
    const c = CASES[id]!;
    const remediation = spec.remediation ? { action: spec.remediation.action, params: { ...spec.params } } : null;
    const a = mk({
      rule: id,
      message: c.message,
      resource: c.resource,
      remediation,
      done: 'alerted',
      action: 'alert',
      reason: 'project is in monitor mode',
      summary: 'alert only: project is in monitor mode',
    });
    const r = renderAlert(a);
    expect(header(r).startsWith(`${MARK[spec.severity]} ${spec.severity} · ${c.message.slice(0, 30)}`)).toBe(true);
    expect(header(r).endsWith(` on ${c.short}`)).toBe(true);
    expect(didLine(r)).toMatch(/^📣 \*Alert only\* — project is in monitor mode/);
    expect(r.text.startsWith(`${MARK[spec.severity]} ${spec.severity}: ${c.message.slice(0, 30)}`)).toBe(true);
    expect(r.text).toMatch(new RegExp(` on ${c.short.replace(/\./g, '\\.')}( \\(shop-prod\\))? — alert only`));
    expect(fieldsText(r)).toContain(`<${c.url || RUN_URL}|${c.short}>`);
    expect(fieldsText(r)).toContain(`\`${id}\``);
    const fix = sections(r).find((s) => s.startsWith('*Fix by hand:*'))!;
    expect(fix).toContain(a.rule.fix.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    expect(fix).not.toMatch(/\{(project|location|service|resource)\}/);
    expect(sections(r).join('\n')).toContain(spec.explanation.replace(/\s+/g, ' ').slice(0, 60));
    expect(button(r, 'runguard_acknowledge')).toBeDefined();
    expect(Boolean(button(r, 'runguard_revert_now'))).toBe(spec.remediation !== null);
    expect(decodeActionValue(button(r, 'runguard_acknowledge')!.value)).toEqual({
      key: `${id}|${c.resource}`,
      insertId: '1x9k2q3e4abc',
    });
    expectWithinLimits(r);
  });

  it('points the Run service link at its region, service and project', () => {
    const r = renderAlert(
      mk({
        resource: 'projects/pay-prod/locations/us-central1/services/payments-api',
        project: 'pay-prod',
        location: 'us-central1',
      }),
    );
    expect(fieldsText(r)).toContain(
      '<https://console.cloud.google.com/run/detail/us-central1/payments-api/security?project=pay-prod|payments-api>',
    );
  });
});

const X: Exemption = {
  resource: RUN,
  rule: 'run-ingress-all',
  reason: 'public status page, reviewed in SEC-123',
  expires: '2027-01-31T00:00:00Z',
  approvedBy: 'alice@example.com',
  source: 'config',
};
const FIGHT = {
  actor: 'terraform@shop-prod.iam.gserviceaccount.com',
  since: Date.parse('2026-03-14T09:40:00Z'),
  until: Date.parse('2026-03-14T11:00:00Z'),
  reverts: 3,
};

describe('renderAlert: what runguard did, per state', () => {
  const STATES: Array<[Done, Opts, RegExp, boolean, boolean]> = [
    [
      'reverted',
      {},
      /^✅ \*Reverted at 10:02:11 UTC\* — now: ingress is INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER\nset ingress to/,
      true,
      false,
    ],
    [
      'already-safe',
      {
        summary: 'nothing to revert: ingress is INGRESS_TRAFFIC_INTERNAL_ONLY',
        outcome: {
          action: 'set-ingress',
          status: 'already-safe',
          summary: 'ingress is already INGRESS_TRAFFIC_INTERNAL_ONLY; nothing to change',
          now: 'ingress is INGRESS_TRAFFIC_INTERNAL_ONLY',
          verified: true,
          attempts: 0,
        },
      },
      /^✔️ \*Already safe\* — ingress is INGRESS_TRAFFIC_INTERNAL_ONLY/,
      true,
      false,
    ],
    [
      'gone',
      {
        summary: `nothing to revert: ${RUN} no longer exists; nothing to change`,
        observation: { source: 'gone', note: `${RUN} no longer exists` },
      },
      /^🗑️ \*Service no longer exists\* — nothing to revert/,
      true,
      false,
    ],
    [
      'failed',
      {
        summary:
          'could not revert: runguard lacks the permission run.services.update (could not set a safe ingress: denied)',
        outcome: {
          action: 'set-ingress',
          status: 'failed',
          summary: 'could not set a safe ingress: denied',
          now: 'ingress is INGRESS_TRAFFIC_ALL',
          verified: false,
          attempts: 1,
          error: { code: 'permission-denied', message: 'denied', permission: 'run.services.update' },
        },
      },
      /^❌ \*Could not revert\* — runguard lacks `run.services.update`/,
      true,
      false,
    ],
    [
      'fighting',
      {
        fight: FIGHT,
        summary:
          'runguard is fighting terraform@shop-prod.iam.gserviceaccount.com: ' +
          'reverted 3 times within 1h and it came back; stopped reverting',
      },
      new RegExp(
        String.raw`^⛔ \*Stopped: runguard is fighting terraform@shop-prod\.iam\.gserviceaccount\.com\* ` +
          String.raw`— not reverted\nrunguard is fighting`,
      ),
      true,
      false,
    ],
    [
      'dry-run',
      {
        action: 'dry-run',
        reason: 'dry run: would set-ingress (project is enforced)',
        summary: 'dry run: would set-ingress; nothing was changed',
      },
      /^👀 \*Dry run\* — would set ingress to INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER, nothing changed/,
      true,
      true,
    ],
    [
      'alerted',
      { action: 'alert', reason: 'project is in monitor mode', summary: 'alert only: project is in monitor mode' },
      /^📣 \*Alert only\* — project is in monitor mode/,
      true,
      true,
    ],
    [
      'exempt',
      {
        action: 'exempt',
        exemption: X,
        reason:
          'exempt until 2027-01-31T00:00:00Z by alice@example.com (config): public status page, reviewed in SEC-123',
        summary: 'exempt',
      },
      /^🛡️ \*Exempt\* — by alice@example\.com until 2027-01-31: public status page, reviewed in SEC-123/,
      false,
      false,
    ],
  ];

  it.each(STATES)('%s', (done, opts, line, ack, revert) => {
    const r = renderAlert(mk({ ...opts, done }));
    expect(didLine(r)).toMatch(line);
    expect(Boolean(button(r, 'runguard_acknowledge'))).toBe(ack);
    expect(Boolean(button(r, 'runguard_revert_now'))).toBe(revert);
    if (revert) {
      const b = button(r, 'runguard_revert_now')!;
      expect(b.style).toBe('danger');
      expect(b.confirm.text.text).toContain(
        'set ingress to INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER on checkout in shop-prod',
      );
      expect(decodeActionValue(b.value)?.key).toBe(`run-ingress-all|${RUN}`);
    }
    if (ack) expect(r.blocks.find((b) => b.type === 'actions')!.block_id).toBe('runguard_actions');
    expect(r.text).toMatch(/^🟠 HIGH: ingress opened to all traffic on checkout \(shop-prod\) — /);
    expect(renderAlert(mk({ ...opts, done }))).toEqual(r);
    expectWithinLimits(r);
  });

  it('says when the evaluated state was not live, quoting the note', () => {
    const note = 'live state not read (unavailable: 503 Service Unavailable); evaluated the state in the audit entry';
    const r = renderAlert(mk({ observation: { source: 'event', note } }));
    expect(didLine(r)).toContain('Not the live state');
    expect(didLine(r)).toContain(note);
    expect(didLine(renderAlert(mk()))).not.toContain('live state');
  });

  it('offers no revert for a rule without remediation, and mentions an expired exemption', () => {
    const r = renderAlert(
      mk({
        rule: 'run-default-service-account',
        remediation: null,
        done: 'alerted',
        action: 'alert',
        reason: 'rule has no automatic remediation',
        expired: [{ ...X, expires: '2026-03-01T00:00:00Z' }],
      }),
    );
    expect(button(r, 'runguard_revert_now')).toBeUndefined();
    expect(didLine(r)).toContain('expired 2026-03-01 (approved by alice@example.com)');
  });

  it('counts the other alerts of the thread, and lists the ids', () => {
    expect(contextText(renderAlert(mk(), { threadCount: 3 }))).toContain('2 more alerts in this thread');
    const one = contextText(renderAlert(mk(), { threadCount: 1 }));
    expect(one).not.toContain('more alert');
    for (const id of ['entry `1x9k2q3e4abc`', 'message `11873461298`', `finding \`run-ingress-all|${RUN}\``])
      expect(one).toContain(id);
  });

  it('renders no outcome or decision dump', () => {
    const r = renderAlert(mk({ outcome: { ...REVERTED, debug: 'hunter2-SECRET' } as never }));
    expect(JSON.stringify(r)).not.toContain('hunter2');
  });
});

describe('renderAlert: who made the change', () => {
  const fixture = new URL(
    '../fixtures/auditlogs/run-v2-updateservice--impersonated-delegation-chain--constructed.json',
    import.meta.url,
  );
  it('names the original caller of an impersonated change, then the accounts the call went through', () => {
    const n = normalize(JSON.parse(readFileSync(fixture, 'utf8')) as LogEntry, { selfPrincipals: [] });
    expect(n).not.toHaveProperty('skipped');
    const event = n as ChangeEvent;
    // The chain starts with who made the change: a breakglass record names it as the requester.
    expect(principalChain(event.actor)[0]).toBe(event.actor.caller);
    const who = fieldsText(renderAlert(mk({ actor: event.actor.caller, principals: principalChain(event.actor) })))
      .split('\n*')
      .find((f) => f.startsWith('*Who') || f.startsWith('Who'))!;
    // The fixture: alex.dev impersonated ci-broker, which impersonated deployer (the account the call ended as).
    expect(who).toMatch(/alex\.dev@example\.com via ci-broker@ops-project\.iam\.gserviceaccount\.com, deployer@/);
  });
  it('shows the caller alone when no other account was involved', () => {
    const who = fieldsText(renderAlert(mk({ actor: 'alice@example.com', principals: ['alice@example.com'] })));
    expect(who).toContain('alice@example.com');
    expect(who).not.toContain(' via ');
  });
});

describe('renderAlert: hostile and huge input', () => {
  const members = Array.from({ length: 5000 }, (_, i) => `user:member${i}@example.com`);
  const HUGE: Array<[string, Opts]> = [
    ['10 KB actor', { actor: `${'a'.repeat(10_000)}@example.com` }],
    ['100 KB message of emoji', { message: '🔥'.repeat(50_000) }],
    [
      'emoji at every cut parity',
      {
        message: `${'x'.repeat(101)}👩‍👩‍👧🇪🇺${'é'.repeat(3000)}👍🏽`.repeat(40),
        resource: `projects/p/locations/l/services/${'s'.repeat(57)}😀${'t'.repeat(5000)}`,
      },
    ],
    [
      '5,000-member revert summary',
      {
        rule: 'run-public-invoker',
        remediation: { action: 'remove-public-members', params: { publicMembers: ['allUsers'] } },
        outcome: {
          action: 'remove-public-members',
          status: 'reverted',
          summary: `removed allUsers from roles/run.invoker; kept ${members.join(', ')}`,
          now: members.map((m) => `${m} holds roles/run.invoker`).join('; '),
          verified: true,
          attempts: 1,
        },
      },
    ],
    [
      '5,000-member fight',
      { done: 'fighting', fight: { ...FIGHT, actor: members.join(',') }, summary: members.join(', ') },
    ],
    [
      'huge everything, not live',
      {
        actor: '<!channel>'.repeat(2000),
        message: '<@U123>'.repeat(20_000),
        insertId: '&'.repeat(5000),
        key: 'k'.repeat(50_000),
        observation: { source: 'event', note: '<!here>'.repeat(9000) },
        done: 'exempt',
        action: 'exempt',
        exemption: { ...X, reason: '<https://evil.example|click>'.repeat(3000), approvedBy: '&lt;'.repeat(3000) },
        expired: [X],
      },
    ],
  ];

  it.each(HUGE)('%s stays within every limit', (_, opts) =>
    expectWithinLimits(renderAlert(mk(opts), { threadCount: 10 ** 9 })),
  );

  it('escapes mentions and links in a justification, an actor and a resource name', () => {
    const evil = '<!channel> <https://evil.example|click here> & <@U0123>';
    const r = renderAlert(
      mk({
        actor: evil,
        resource: `projects/shop-prod/locations/europe-west1/services/<!channel>`,
        done: 'exempt',
        action: 'exempt',
        exemption: { ...X, reason: evil, approvedBy: '<!here>' },
        message: evil,
      }),
    );
    for (const [, s] of strings(r.blocks).filter(([k]) => k === 'text'))
      expect(s).not.toMatch(/<!channel>|<!here>|<https:\/\/evil|<@U0123>/);
    expect(r.text).not.toContain('<');
    expect(didLine(r)).toContain('&lt;!channel&gt; &lt;https://evil.example|click here&gt; &amp; &lt;@U0123&gt;');
    expect(fieldsText(r)).toContain('&lt;!channel&gt;');
  });

  it('keeps a too-long key unique in the button value', () => {
    const key = `run-ingress-all|${'p'.repeat(3000)}"\\`;
    const ack = button(renderAlert(mk({ key, done: 'alerted', action: 'alert' })), 'runguard_acknowledge')!;
    const v = decodeActionValue(ack.value)!;
    expect(ack.value.length).toBeLessThanOrEqual(L.BUTTON_VALUE);
    expect(key.startsWith(v.key)).toBe(true);
    expect(v.keyHash).toBe(createHash('sha256').update(key).digest('hex'));
    const mid = 'k'.repeat(1990); // fits alone, not with the entry id
    expect(decodeActionValue(button(renderAlert(mk({ key: mid })), 'runguard_acknowledge')!.value)).toEqual({
      key: mid,
    });
  });
});

describe('links', () => {
  it.each([
    ['folders/418203746512', 'https://console.cloud.google.com/iam-admin/iam?folder=418203746512'],
    ['organizations/658743219054', 'https://console.cloud.google.com/iam-admin/iam?organizationId=658743219054'],
    ['projects/shop-prod', 'https://console.cloud.google.com/iam-admin/iam?project=shop-prod'],
  ])('%s → its IAM page', (resource, url) =>
    expect(consoleUrl(resourceRef({ resource, project: '', location: '' }))).toBe(url),
  );

  it.each([
    [
      'projects/_/buckets/shop-exports',
      'Bucket',
      'shop-exports',
      'https://console.cloud.google.com/storage/browser/shop-exports;tab=permissions?project=shop-prod',
    ],
    [
      'projects/shop-prod/topics/orders',
      'Topic',
      'orders',
      'https://console.cloud.google.com/cloudpubsub/topic/detail/orders?project=shop-prod',
    ],
    [
      'projects/123456789012/secrets/api-key',
      'Secret',
      'api-key',
      'https://console.cloud.google.com/security/secret-manager/secret/api-key/permissions?project=shop-prod',
    ],
    [
      'projects/shop-prod/locations/europe-west1/keyRings/r/cryptoKeys/k',
      'Key',
      'k',
      'https://console.cloud.google.com/security/kms/key/manage/europe-west1/r/k?project=shop-prod',
    ],
    [
      'projects/shop-prod/locations/europe-west1/jobs/export',
      'Job',
      'export',
      'https://console.cloud.google.com/run/jobs/details/europe-west1/export?project=shop-prod',
    ],
    [
      'projects/shop-prod/locations/europe-west1/functions/hook',
      'Function',
      'hook',
      'https://console.cloud.google.com/functions/details/europe-west1/hook?project=shop-prod',
    ],
    [
      'projects/shop-prod/policies/run.allowedIngress',
      'Org policy',
      'run.allowedIngress',
      'https://console.cloud.google.com/iam-admin/orgpolicies?project=shop-prod',
    ],
    [
      'projects/shop-prod/policy',
      'Binary Authorization policy',
      'shop-prod',
      'https://console.cloud.google.com/security/binary-authorization/policy?project=shop-prod',
    ],
  ])('%s is a %s named %s, linked from the one resource table', (resource, label, short, url) => {
    const ref = resourceRef({ resource, project: 'shop-prod', location: '' });
    expect([ref.label, ref.short, consoleUrl(ref)]).toEqual([label, short, url]);
  });

  it.each([
    ['folders/418203746512', 'folder=418203746512', 'folder 418203746512'],
    ['organizations/658743219054', 'organizationId=658743219054', 'organization 658743219054'],
  ])(
    'names an org policy set on %s by that node, links its org policies and scopes its logs there',
    (node, q, words) => {
      const resource = `${node}/policies/iam.disableServiceAccountKeyCreation`;
      const ref = resourceRef({ resource, project: '', location: '' });
      expect([ref.label, ref.short, ref.node, consoleUrl(ref)]).toEqual([
        'Org policy',
        `iam.disableServiceAccountKeyCreation on ${words}`,
        node,
        `https://console.cloud.google.com/iam-admin/orgpolicies?${q}`,
      ]);
      expect(logsExplorerUrl(ref, 'x')).toBe(`https://console.cloud.google.com/logs/query;query=x?${q}`);
    },
  );

  it('links the audit entry and the service history in Logs Explorer, from an hour before', () => {
    const s = sections(renderAlert(mk())).find((x) => x.includes('Logs Explorer'))!;
    const query = decodeURIComponent(
      /<https:\/\/console\.cloud\.google\.com\/logs\/query;query=([^|>?]+)\?project=shop-prod\|/.exec(s)![1]!,
    );
    expect(query).toBe(
      `timestamp>="2026-03-14T09:01:58.412Z" AND (insertId="1x9k2q3e4abc" OR ` +
        `protoPayload.resourceName=("${RUN}" OR "namespaces/shop-prod/services/checkout"))`,
    );
  });

  it('blockKitBuilderUrl round-trips the blocks', () => {
    const url = blockKitBuilderUrl(renderAlert(mk()).blocks);
    expect(url.startsWith('https://app.slack.com/block-kit-builder#')).toBe(true);
    expect(JSON.parse(decodeURIComponent(url.split('#')[1]!))).toEqual({ blocks: renderAlert(mk()).blocks });
  });
});
