import { describe, expect, it } from 'vitest';
import { REMEDIATION_ACTION_NAMES } from '../../functions/remediation/catalog.js';
import { compileRules, type RuleError } from '../../functions/rules/compile.js';
import { compileSpec } from '../../functions/rules/cel.js';
import type { RuleSpec } from '../../functions/rules/types.js';

const VALID = `id: sample-rule
title: Sample rule
severity: HIGH
resourceTypes: [run.googleapis.com/Service]
condition: service.ingress == "INGRESS_TRAFFIC_ALL"
message: '"ingress is " + service.ingress'
params: { safeIngress: INGRESS_TRAFFIC_INTERNAL_ONLY }
remediation: { action: set-ingress }
explanation: Why it matters.
fix: gcloud run services update {service} --project {project} --region {location} --ingress internal
examples:
  fire:
    - { name: all, input: { service: { ingress: INGRESS_TRAFFIC_ALL } } }
  pass:
    - { name: internal, input: { service: { ingress: INGRESS_TRAFFIC_INTERNAL_ONLY } } }
`;
const FILE = 'rules/sample-rule.yaml';
const CATALOG = { remediationActions: REMEDIATION_ACTION_NAMES };

function compile(text: string, file = FILE) {
  return compileRules([{ file, text }], CATALOG);
}
/** Replaces one whole line of VALID, so each test changes exactly one thing. */
function withLine(prefix: string, line: string): string {
  const re = new RegExp(`^${prefix}.*$`, 'm');
  if (!re.test(VALID)) throw new Error(`no line starting ${prefix}`);
  return VALID.replace(re, line);
}
const fields = (errors: RuleError[]) => errors.map((e) => e.field);
const shown = (e: RuleError) => `${e.file}: ${e.field}: ${e.message}`;

describe('compileRules', () => {
  it('compiles a valid rule into a rule with its programs and frozen defaults', () => {
    const { rules, errors } = compile(VALID);
    expect(errors).toEqual([]);
    expect(rules).toHaveLength(1);
    const [rule] = rules;
    expect(rule).toMatchObject({
      id: 'sample-rule',
      severity: 'HIGH',
      file: FILE,
      remediation: { action: 'set-ingress' },
    });
    expect([...rule!.appliesTo]).toEqual(['run.googleapis.com/Service']);
    expect(Object.isFrozen(rule!.params)).toBe(true);
    expect(rule!.messageProgram).not.toBeNull();
  });

  it('reports bad YAML with file, field "yaml" and the line', () => {
    const { rules, errors } = compile(withLine('title:', 'title: [unclosed'));
    expect(rules).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: FILE, field: 'yaml' });
    expect(errors[0]!.message).toMatch(/at line 3, column \d+$/);
  });

  it('reports a key written twice as a YAML error rather than keeping the last one', () => {
    const { errors } = compile(`${VALID}severity: LOW\n`);
    expect(errors.map(shown)).toEqual([`${FILE}: yaml: Map keys must be unique at line 16, column 1`]);
  });

  it('names each unknown key, at the top level and inside an example', () => {
    const text = withLine('severity:', 'severity: HIGH\nseverty: LOW').replace(
      '{ name: all, input:',
      '{ name: all, inputs: {}, input:',
    );
    const { errors } = compile(text);
    expect(errors).toContainEqual({ file: FILE, field: 'severty', message: 'unknown key' });
    expect(errors).toContainEqual({ file: FILE, field: 'examples.fire[0].inputs', message: 'unknown key' });
  });

  it('names a missing required field', () => {
    const { errors } = compile(VALID.replace(/^explanation:.*\n/m, ''));
    expect(errors).toEqual([{ file: FILE, field: 'explanation', message: 'required' }]);
  });

  it('reports a condition that is not CEL with the column', () => {
    const { errors } = compile(withLine('condition:', 'condition: service.ingress ==='));
    expect(errors.map(shown)).toEqual([`${FILE}: condition: Unexpected character: = at column 19`]);
  });

  it('reports line and column inside a multi-line condition', () => {
    const { errors } = compile(
      withLine('condition:', 'condition: |-\n  service.ingress == "A" &&\n  service.ingress ==)'),
    );
    expect(errors).toEqual([
      { file: FILE, field: 'condition', message: 'Unexpected token: RPAREN at line 2, column 19' },
    ]);
  });

  it('refuses a condition that returns a string instead of a bool', () => {
    const { errors } = compile(withLine('condition:', `condition: '"INGRESS_TRAFFIC_ALL"'`));
    expect(errors).toEqual([
      { file: FILE, field: 'condition', message: 'must evaluate to bool, but evaluates to string' },
    ]);
  });

  it('refuses a message that returns a bool instead of a string', () => {
    const { errors } = compile(withLine('message:', 'message: service.ingress == "x"'));
    expect(errors).toEqual([
      { file: FILE, field: 'message', message: 'must evaluate to string, but evaluates to bool' },
    ]);
  });

  it('refuses a variable that is not one of the six', () => {
    const { errors } = compile(withLine('condition:', 'condition: servcie.ingress == "INGRESS_TRAFFIC_ALL"'));
    expect(errors).toEqual([{ file: FILE, field: 'condition', message: 'Unknown variable: servcie at column 1' }]);
  });

  it('refuses an unknown resource type, naming the list entry', () => {
    const { errors } = compile(
      withLine('resourceTypes:', 'resourceTypes: [run.googleapis.com/Service, run.googleapis.com/Services]'),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]!.field).toBe('resourceTypes[1]');
    expect(errors[0]!.message).toMatch(
      /^unknown resource type "run\.googleapis\.com\/Services" \(known: run\.googleapis\.com\/Service, /,
    );
  });

  it('refuses an unknown remediation action when the catalog is given, and not otherwise', () => {
    const text = withLine('remediation:', 'remediation: { action: set-ingres }');
    const { errors } = compile(text);
    expect(errors).toEqual([
      {
        file: FILE,
        field: 'remediation.action',
        message:
          'unknown remediation action "set-ingres" ' +
          '(known: set-ingress, remove-public-members, enable-invoker-iam-check)',
      },
    ]);
    expect(compileRules([{ file: FILE, text }]).errors).toEqual([]);
  });

  it('refuses default params that would make the remediation widen access', () => {
    const { errors } = compile(withLine('params:', 'params: { safeIngress: INGRESS_TRAFFIC_ALL }'));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.field).toBe('params');
    expect(errors[0]!.message).toMatch(
      /^safeIngress: "INGRESS_TRAFFIC_ALL" is not allowed: remediation never widens access/,
    );
  });

  it('refuses a remediation that cannot act on the rule resource type', () => {
    const text = withLine('resourceTypes:', 'resourceTypes: [cloudresourcemanager.googleapis.com/Project]')
      .replace(/^condition:.*$/m, 'condition: resource.project == "p"')
      .replace(/^message:.*$/m, 'message: \'"x"\'');
    const { errors } = compile(text);
    expect(errors).toEqual([
      {
        file: FILE,
        field: 'remediation.action',
        message: 'set-ingress cannot act on cloudresourcemanager.googleapis.com/Project',
      },
    ]);
  });

  it('refuses an id that differs from the file name, and one that is not kebab-case', () => {
    expect(compile(VALID, 'rules/other-name.yaml').errors).toEqual([
      { file: 'rules/other-name.yaml', field: 'id', message: '"sample-rule" must equal the file name "other-name"' },
    ]);
    const { errors } = compile(withLine('id:', 'id: Sample_Rule'), 'rules/Sample_Rule.yaml');
    expect(fields(errors)).toEqual(['id']);
    expect(errors[0]!.message).toMatch(/lower-case words joined by "-"/);
  });

  it('refuses an unknown placeholder in the fix command', () => {
    const { errors } = compile(withLine('fix:', 'fix: gcloud run services update {service} --region {region}'));
    expect(errors).toEqual([
      {
        file: FILE,
        field: 'fix',
        message: 'unknown placeholder {region} (known: {project}, {location}, {service}, {resource})',
      },
    ]);
  });

  it('reports a duplicate id on the second file and keeps the first rule', () => {
    const { rules, errors } = compileRules(
      [
        { file: FILE, text: VALID },
        { file: 'more-rules/sample-rule.yaml', text: VALID },
      ],
      CATALOG,
    );
    expect(rules.map((r) => r.file)).toEqual([FILE]);
    expect(errors).toEqual([
      { file: 'more-rules/sample-rule.yaml', field: 'id', message: `duplicate id "sample-rule" (also in ${FILE})` },
    ]);
  });

  it('reports every problem of one file at once, not only the first', () => {
    const text = VALID.replace('severity: HIGH', 'severity: URGENT\ncolour: red')
      .replace(/^condition:.*$/m, 'condition: service.ingress ===')
      .replace(/^message:.*$/m, 'message: nosuch.field')
      .replace('action: set-ingress', 'action: delete-everything')
      .replace(/^ {2}pass:\n.*\n/m, '  pass: []\n');
    const { rules, errors } = compile(text, 'rules/wrong-name.yaml');
    expect(rules).toEqual([]);
    expect(fields(errors).sort()).toEqual([
      'colour',
      'condition',
      'examples.pass',
      'id',
      'message',
      'remediation.action',
      'severity',
    ]);
    expect(errors.find((e) => e.field === 'severity')!.message).toBe(
      '"URGENT" is not a severity (one of CRITICAL, HIGH, MEDIUM, LOW)',
    );
    expect(errors.every((e) => e.file === 'rules/wrong-name.yaml')).toBe(true);
  });

  it('reports the problems of every file and still compiles the good ones', () => {
    const { rules, errors } = compileRules(
      [
        { file: 'rules/a.yaml', text: 'id: [' },
        { file: FILE, text: VALID },
        { file: 'rules/c.yaml', text: '- not\n- a mapping\n' },
      ],
      CATALOG,
    );
    expect(rules.map((r) => r.id)).toEqual(['sample-rule']);
    expect(errors.map((e) => `${e.file}: ${e.field}`)).toEqual(['rules/a.yaml: yaml', 'rules/c.yaml: (top level)']);
  });
});

describe('compileSpec (rules validated at build time, compiled on first use)', () => {
  const spec = (condition: string): RuleSpec => ({
    id: 'lazy-rule',
    title: 'Lazy rule',
    severity: 'HIGH',
    resourceTypes: ['run.googleapis.com/Service'],
    condition,
    message: '"ingress is " + service.ingress',
    params: {},
    remediation: null,
    explanation: '',
    fix: '',
    examples: { fire: [], pass: [] },
    file: 'rules/lazy-rule.yaml',
  });
  const input = (ingress: string) =>
    ({ service: { ingress }, resource: {}, policy: {}, change: {}, params: {}, settings: {} }) as never;

  it('evaluates the condition and the message the way compileRules does', () => {
    const rule = compileSpec(spec('service.ingress == "INGRESS_TRAFFIC_ALL"'));
    expect(rule.conditionProgram(input('INGRESS_TRAFFIC_ALL'))).toBe(true);
    expect(rule.conditionProgram(input('INGRESS_TRAFFIC_INTERNAL_ONLY'))).toBe(false);
    expect(rule.messageProgram!(input('INGRESS_TRAFFIC_ALL'))).toBe('ingress is INGRESS_TRAFFIC_ALL');
    expect(rule.subjectsProgram).toBeNull();
  });

  it('an expression that no longer compiles throws when used, naming the file and field, never passes', () => {
    const rule = compileSpec(spec('service.ingress ==='));
    expect(() => rule.conditionProgram(input('INGRESS_TRAFFIC_ALL'))).toThrow(/rules\/lazy-rule\.yaml: condition:/);
  });
});
