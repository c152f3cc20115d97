import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileRules } from '../../functions/rules/compile.js';
import { runExamples, zeroInput } from '../../functions/rules/examples.js';
import { DEFAULT_RULES_DIR, loadRules } from '../../functions/rules/load-files.js';

const ROOT_RULES = fileURLToPath(new URL('../../rules/', import.meta.url));

// The fixed contract of the pack: id → severity and remediation. Changing either is a decision.
const REQUIRED: Record<string, [string, string | null]> = {
  'run-ingress-all': ['HIGH', 'set-ingress'],
  'run-public-invoker': ['CRITICAL', 'remove-public-members'],
  'run-invoker-iam-disabled': ['CRITICAL', 'enable-invoker-iam-check'],
  'run-default-service-account': ['MEDIUM', null],
  'run-binauthz-breakglass': ['HIGH', null],
  'run-plaintext-secret-env': ['MEDIUM', null],
  'iam-public-member': ['CRITICAL', null],
  'iam-privileged-role': ['HIGH', null],
  'iam-personal-account': ['MEDIUM', null],
  // The guardrails: alert only, because loosening one may be a reviewed change and putting an org
  // policy back needs org-level write access runguard should not hold.
  'orgpolicy-guardrail-removed': ['CRITICAL', null],
  'orgpolicy-guardrail-loosened': ['CRITICAL', null],
  'binauthz-policy-weakened': ['CRITICAL', null],
};

const { rules, errors } = loadRules();
const byId = new Map(rules.map((r) => [r.id, r]));

describe('the shipped rule pack', () => {
  it('compiles with no errors', () => {
    expect(errors.map((e) => `${e.file}: ${e.field}: ${e.message}`)).toEqual([]);
    expect(rules.map((r) => r.file)).toContain('rules/run-ingress-all.yaml');
  });

  it.each(Object.entries(REQUIRED))('has %s with its fixed severity and remediation', (id, [severity, action]) => {
    const rule = byId.get(id);
    expect(rule).toBeDefined();
    expect([rule!.severity, rule!.remediation?.action ?? null]).toEqual([severity, action]);
  });

  it.each(rules.map((r) => [r.id, r] as const))(
    '%s has ≥2 fire and ≥3 pass examples, a message, a gcloud fix and a 2–4 sentence explanation',
    (_, rule) => {
      expect(rule.examples.fire.length).toBeGreaterThanOrEqual(2);
      expect(rule.examples.pass.length).toBeGreaterThanOrEqual(3);
      expect(rule.messageProgram).not.toBeNull();
      expect(rule.fix).toMatch(/^gcloud /);
      const sentences = rule.explanation.split(/(?<=[.!?])\s+/).filter(Boolean).length;
      expect(sentences).toBeGreaterThanOrEqual(2);
      expect(sentences).toBeLessThanOrEqual(4);
    },
  );

  it('keeps Cloud Run services out of iam-public-member, which run-public-invoker covers', () => {
    expect(byId.get('iam-public-member')!.resourceTypes).not.toContain('run.googleapis.com/Service');
    expect(byId.get('iam-privileged-role')!.resourceTypes).toContain('run.googleapis.com/Service');
  });

  const results = runExamples(rules);
  it('has examples to run', () => {
    expect(results.length).toBeGreaterThanOrEqual(45);
  });

  it.each(results.map((r) => [`${r.rule} ${r.path}: ${r.name}`, r] as const))('%s', (_, result) => {
    expect(result.reason ?? 'agrees').toBe('agrees');
    expect(result.ok).toBe(true);
  });
});

describe('loadRules', () => {
  it('finds the repository rules/ both from functions/ and from the built dist/', async () => {
    expect(DEFAULT_RULES_DIR).toBe(ROOT_RULES);
    // global-setup builds dist/ before the suite runs.
    const built = (await import(new URL('../../dist/rules/load-files.js', import.meta.url).href)) as {
      DEFAULT_RULES_DIR: string;
    };
    expect(built.DEFAULT_RULES_DIR).toBe(ROOT_RULES);
  });

  it('names files by the directory it was given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runguard-rules-'));
    writeFileSync(join(dir, 'broken.yaml'), 'id: broken\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a rule');
    const { rules: loaded, errors: found } = loadRules(dir);
    expect(loaded).toEqual([]);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((e) => e.file === join(dir, 'broken.yaml'))).toBe(true);
  });

  it('reports a missing directory and an empty one instead of loading no rules', () => {
    expect(loadRules('/nonexistent/rules').errors).toEqual([
      { file: '/nonexistent/rules', field: '(directory)', message: 'no such file or directory' },
    ]);
    const empty = mkdtempSync(join(tmpdir(), 'runguard-rules-'));
    expect(loadRules(empty).errors).toEqual([{ file: empty, field: '(directory)', message: 'no *.yaml rule files' }]);
  });
});

describe('runExamples', () => {
  const rule = (examples: string) =>
    compileRules([
      {
        file: 'rules/open.yaml',
        text:
          `id: open\ntitle: Open\nseverity: LOW\nresourceTypes: [run.googleapis.com/Service]\n` +
          `condition: service.ingress == "INGRESS_TRAFFIC_ALL"\nmessage: '"open: " + resource.name'\n` +
          `remediation: null\nexplanation: x\nfix: x\nexamples:\n${examples}`,
      },
    ]).rules;
  const ALL = '{ service: { ingress: INGRESS_TRAFFIC_ALL } }';

  it('says which example disagrees with its rule, and how', () => {
    const results = runExamples(
      rule(
        `  fire:\n    - { name: quiet, input: {} }\n    - { name: worded, input: ${ALL}, message: other }\n` +
          `  pass:\n    - { name: loud, input: ${ALL} }\n    - { name: typo, input: { service: { ingres: x } } }\n`,
      ),
    );
    expect(results.map((r) => [r.path, r.ok, r.reason])).toEqual([
      ['examples.fire[0]', false, 'did not fire, but must'],
      [
        'examples.fire[1]',
        false,
        'message was "open: projects/example-project/locations/europe-west1/services/example", expected "other"',
      ],
      [
        'examples.pass[0]',
        false,
        'fired, but must not: "open: projects/example-project/locations/europe-west1/services/example"',
      ],
      ['examples.pass[1]', false, 'unknown field input.service.ingres'],
    ]);
    expect(results.every((r) => r.file === 'rules/open.yaml' && r.rule === 'open')).toBe(true);
  });

  it('merges objects and replaces arrays, and allows new keys only in open maps', () => {
    const results = runExamples(
      rule(
        `  fire:\n    - { name: a, input: { service: { ingress: INGRESS_TRAFFIC_ALL, labels: { team: x } } } }\n` +
          `  pass:\n    - { name: b, input: { change: { updateMask: [ingress] } } }\n`,
      ),
    );
    expect(results.map((r) => r.ok)).toEqual([true, true]);
  });

  it('starts other resource types from a null service and a realistic name', () => {
    const input = zeroInput('cloudresourcemanager.googleapis.com/Folder', { a: [1] });
    expect(input.service).toBeNull();
    expect(input.resource).toEqual({
      type: 'cloudresourcemanager.googleapis.com/Folder',
      name: 'folders/123456789012',
      project: '',
      location: '',
    });
    expect(input.params).toEqual({ a: [1] });
    expect(input.change.actor.tool).toBe('unknown');
  });
});
