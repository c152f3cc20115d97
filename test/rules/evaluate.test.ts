import { describe, expect, it } from 'vitest';
import { emptyPolicy, emptyService } from '../../functions/core/service.js';
import { type ChangeEvent, type EnvVar, REDACTED, type RunService } from '../../functions/core/types.js';
import { compileRules, type CompiledRule } from '../../functions/rules/compile.js';
import { buildRuleInput, evaluateRules } from '../../functions/rules/evaluate.js';
import { loadRules } from '../../functions/rules/load-files.js';

const SERVICE = 'projects/shop-prod/locations/europe-west1/services/checkout';
const settings = { allowedDomains: [] };

function runEvent(service: Partial<RunService> | null, extra: Partial<ChangeEvent> = {}): ChangeEvent {
  return {
    insertId: 'abc123',
    logName: 'projects/shop-prod/logs/cloudaudit.googleapis.com%2Factivity',
    timestamp: '2026-01-05T10:00:00Z',
    method: 'google.cloud.run.v2.Services.UpdateService',
    serviceName: 'run.googleapis.com',
    kind: 'update',
    resource: { type: 'run.googleapis.com/Service', name: SERVICE, project: 'shop-prod', location: 'europe-west1' },
    actor: {
      caller: 'dev@example.com',
      email: 'dev@example.com',
      subject: '',
      delegation: [],
      ip: '203.0.113.7',
      userAgent: 'gcloud',
      tool: 'gcloud',
      toolDetail: '',
    },
    operation: null,
    service: service && { ...emptyService(SERVICE), ...service },
    serviceSource: service ? 'response' : 'none',
    policy: null,
    deltas: [],
    deltaSource: 'none',
    updateMask: [],
    orgPolicy: null,
    binauthzPolicy: null,
    ...extra,
  };
}

function projectEvent(extra: Partial<ChangeEvent> = {}): ChangeEvent {
  return runEvent(null, {
    method: 'SetIamPolicy',
    serviceName: 'cloudresourcemanager.googleapis.com',
    kind: 'setIamPolicy',
    resource: {
      type: 'cloudresourcemanager.googleapis.com/Project',
      name: 'projects/shop-prod',
      project: 'shop-prod',
      location: '',
    },
    ...extra,
  });
}

/** Compiles inline rules; each spec is a condition and optional extra YAML lines. */
function rules(...specs: Array<{ id: string; condition: string; more?: string; types?: string }>): CompiledRule[] {
  const sources = specs.map(({ id, condition, more = '', types = '[run.googleapis.com/Service]' }) => ({
    file: `rules/${id}.yaml`,
    text:
      `id: ${id}\ntitle: Title of ${id}\nseverity: MEDIUM\nresourceTypes: ${types}\ncondition: '${condition}'\n` +
      `remediation: null\nexplanation: x\nfix: x\n` +
      `examples: { fire: [{ name: f, input: {} }], pass: [{ name: p, input: {} }] }\n${more}`,
  }));
  const compiled = compileRules(sources);
  expect(compiled.errors).toEqual([]);
  return compiled.rules;
}

const env = (name: string, value: string, secret = ''): EnvVar => ({
  name,
  value,
  valueSource: { secretKeyRef: { secret, version: secret ? 'latest' : '' } },
});

describe('buildRuleInput', () => {
  it('gives a Run service event without service state the zero-valued service named after it', () => {
    const input = buildRuleInput(runEvent(null), { a: 1 }, settings);
    expect(input.service).toEqual(emptyService(SERVICE));
    expect(input.policy).toEqual(emptyPolicy());
    expect(input.params).toEqual({ a: 1 });
    expect(Object.keys(input.change).sort()).toEqual([
      'actor',
      'deltaSource',
      'deltas',
      'kind',
      'method',
      'serviceSource',
      'updateMask',
    ]);
  });

  it('gives other resource types a null service', () => {
    expect(buildRuleInput(projectEvent(), {}, settings).service).toBeNull();
  });
});

describe('evaluateRules', () => {
  const ingress = () =>
    rules({
      id: 'ingress-open',
      condition: 'service.ingress == params.bad',
      more: `message: '"ingress is " + service.ingress'\nparams: { bad: INGRESS_TRAFFIC_ALL, label: x }\n`,
    });

  it('turns a firing rule into a finding with every field filled', () => {
    const [rule] = rules({
      id: 'public',
      condition: 'service.ingress == "INGRESS_TRAFFIC_ALL"',
      more: `params: { safeIngress: INGRESS_TRAFFIC_INTERNAL_ONLY }\n`,
    }).map((r) => ({ ...r, remediation: { action: 'set-ingress' } }));
    const { findings, errors } = evaluateRules(runEvent({ ingress: 'INGRESS_TRAFFIC_ALL' }), [rule!], { settings });
    expect(errors).toEqual([]);
    expect(findings).toEqual([
      {
        rule: 'public',
        severity: 'MEDIUM',
        title: 'Title of public',
        message: 'Title of public',
        resource: SERVICE,
        key: `public|${SERVICE}`,
        remediation: { action: 'set-ingress', params: { safeIngress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' } },
      },
    ]);
  });

  it('uses the message expression when the rule has one', () => {
    const { findings } = evaluateRules(runEvent({ ingress: 'INGRESS_TRAFFIC_ALL' }), ingress(), { settings });
    expect(findings.map((f) => f.message)).toEqual(['ingress is INGRESS_TRAFFIC_ALL']);
  });

  it('skips a rule disabled by configuration', () => {
    const { findings } = evaluateRules(runEvent({ ingress: 'INGRESS_TRAFFIC_ALL' }), ingress(), {
      settings,
      overrides: { 'ingress-open': { enabled: false } },
    });
    expect(findings).toEqual([]);
  });

  it('takes the severity from configuration over the rule', () => {
    const { findings } = evaluateRules(runEvent({ ingress: 'INGRESS_TRAFFIC_ALL' }), ingress(), {
      settings,
      overrides: { 'ingress-open': { severity: 'CRITICAL' } },
    });
    expect(findings.map((f) => f.severity)).toEqual(['CRITICAL']);
  });

  it('merges configured params over the rule defaults, key by key', () => {
    const overrides = { 'ingress-open': { params: { bad: 'INGRESS_TRAFFIC_INTERNAL_ONLY' } } };
    const event = runEvent({ ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' });
    const [rule] = ingress().map((r) => ({ ...r, remediation: { action: 'anything' } }));
    const { findings } = evaluateRules(event, [rule!], { settings, overrides });
    expect(findings.map((f) => f.remediation?.params)).toEqual([{ bad: 'INGRESS_TRAFFIC_INTERNAL_ONLY', label: 'x' }]);
    expect(
      evaluateRules(runEvent({ ingress: 'INGRESS_TRAFFIC_ALL' }), [rule!], { settings, overrides }).findings,
    ).toEqual([]);
  });

  it('ignores overrides for other rules and keeps the defaults untouched', () => {
    const rs = ingress();
    const { findings } = evaluateRules(runEvent({ ingress: 'INGRESS_TRAFFIC_ALL' }), rs, {
      settings,
      overrides: { 'another-rule': { enabled: false, params: { bad: 'x' } } },
    });
    expect(findings).toHaveLength(1);
    expect(rs[0]!.params).toEqual({ bad: 'INGRESS_TRAFFIC_ALL', label: 'x' });
  });

  it('runs only rules whose resource types include the event type', () => {
    const rs = rules(
      { id: 'run-only', condition: 'service.ingress == "INGRESS_TRAFFIC_UNSPECIFIED"' },
      {
        id: 'project-only',
        condition: 'resource.project == "shop-prod"',
        types: '[cloudresourcemanager.googleapis.com/Project]',
      },
    );
    expect(evaluateRules(projectEvent(), rs, { settings }).findings.map((f) => f.rule)).toEqual(['project-only']);
    expect(evaluateRules(runEvent(null), rs, { settings }).findings.map((f) => f.rule)).toEqual(['run-only']);
  });

  it('reports a rule that throws as an error, and still evaluates the others', () => {
    const rs = rules(
      { id: 'broken', condition: 'params.missing == 1' },
      { id: 'works', condition: 'service.ingress == "INGRESS_TRAFFIC_ALL"' },
    );
    const result = evaluateRules(runEvent({ ingress: 'INGRESS_TRAFFIC_ALL' }), rs, { settings });
    expect(result.errors).toEqual([{ rule: 'broken', message: 'condition: No such key: missing at column 8' }]);
    expect(result.findings.map((f) => f.rule)).toEqual(['works']);
  });

  it('reports a condition that yields something other than a bool', () => {
    const rs = rules({ id: 'dyn', condition: 'service.ingress' });
    const result = evaluateRules(runEvent({ ingress: 'INGRESS_TRAFFIC_ALL' }), rs, { settings });
    expect(result).toEqual({
      findings: [],
      errors: [{ rule: 'dyn', message: 'condition: evaluated to string, not bool' }],
    });
  });

  it('keeps the finding under its title when only the message fails', () => {
    const rs = rules({ id: 'msg', condition: 'true', more: `message: 'service.nope'\n` });
    const result = evaluateRules(runEvent({}), rs, { settings });
    expect(result.findings.map((f) => f.message)).toEqual(['Title of msg']);
    expect(result.errors).toEqual([{ rule: 'msg', message: 'message: No such key: nope at column 9' }]);
  });

  it('never lets a message quote a redacted value', () => {
    const rs = rules({
      id: 'leaky',
      condition: 'true',
      more: `message: 'service.template.containers[0].env[0].value'\n`,
    });
    const event = runEvent({
      template: {
        ...emptyService().template,
        containers: [{ name: 'app', image: 'i', env: [env('DB_PASSWORD', REDACTED)] }],
      },
    });
    const result = evaluateRules(event, rs, { settings });
    expect(result.findings.map((f) => f.message)).toEqual(['Title of leaky']);
    expect(result.errors[0]?.message).toMatch(/redacted/);
  });
});

describe('evaluateRules with the shipped rule pack', () => {
  const pack = loadRules().rules;

  it('names plain-text secret variables without ever holding a value', () => {
    // "hunter2" stands for a value the normalizer failed to redact: the rule must not repeat it either.
    const containers = [
      {
        name: 'app',
        image: 'img',
        env: [
          env('DB_PASSWORD', REDACTED),
          env('API_KEY', 'hunter2'),
          env('LOG_LEVEL', REDACTED),
          env('SESSION_SECRET', '', 'session'),
        ],
      },
    ];
    const event = runEvent({ template: { ...emptyService().template, containers } });
    const { findings, errors } = evaluateRules(event, pack, { settings });
    expect(errors).toEqual([]);
    const finding = findings.find((f) => f.rule === 'run-plaintext-secret-env');
    expect(finding?.message).toBe('DB_PASSWORD, API_KEY have literal values; use Secret Manager references');
    for (const f of findings) {
      expect(f.message).not.toContain(REDACTED);
      expect(f.message).not.toContain('hunter2');
    }
  });

  it('finds exactly the insecure settings of a wide-open service', () => {
    const event = runEvent(
      {
        ingress: 'INGRESS_TRAFFIC_ALL',
        invokerIamDisabled: true,
        template: { ...emptyService().template, serviceAccount: '123456789012-compute@developer.gserviceaccount.com' },
      },
      { policy: { etag: 'x', bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] } },
    );
    const { findings, errors } = evaluateRules(event, pack, { settings });
    expect(errors).toEqual([]);
    expect(findings.map((f) => `${f.rule} ${f.severity}`).sort()).toEqual([
      'run-default-service-account MEDIUM',
      'run-ingress-all HIGH',
      'run-invoker-iam-disabled CRITICAL',
      'run-public-invoker CRITICAL',
    ]);
    expect(findings.find((f) => f.rule === 'run-public-invoker')?.message).toBe(
      'allUsers can invoke (roles/run.invoker)',
    );
  });

  it('flags a gmail.com owner on a project as both privileged and personal, and nothing Run-specific', () => {
    const deltas = [
      {
        action: 'ADD' as const,
        role: 'roles/owner',
        member: 'user:eve@gmail.com',
        memberType: 'user' as const,
        memberDomain: 'gmail.com',
      },
    ];
    const { findings } = evaluateRules(projectEvent({ deltas, deltaSource: 'policyDelta' }), pack, { settings });
    expect(findings.map((f) => f.message).sort()).toEqual([
      'user:eve@gmail.com (a personal account) was granted roles/owner',
      'user:eve@gmail.com was granted roles/owner',
    ]);
  });
});
