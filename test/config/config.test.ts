import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig, projectMode, slackChannel } from '../../functions/config/load.js';

const VALID = `
dryRun: true
selfPrincipals: [Runguard@Ops-Project.iam.gserviceaccount.com]
projects:
  - { match: "prod-*", mode: enforce }
  - { match: "prod-sandbox", mode: off }
  - { match: "folders/*", mode: monitor }
allowedDomains: [example.com]
rules:
  run-default-service-account: { enabled: false }
exemptions:
  - resource: "projects/prod-web/locations/*/services/site"
    rule: run-public-invoker
    reason: public marketing site (SEC-1)
    expires: 2027-01-31
    approvedBy: alice@example.com
`;

describe('configuration', () => {
  it('with no file, monitors everything, exempts nothing and is not a dry run', () => {
    const c = defaultConfig();
    expect(c.dryRun).toBe(false);
    expect(c.exemptions).toEqual([]);
    expect(projectMode(c, 'anything', 'projects/anything')).toBe('monitor');
  });

  it('parses a valid file: first matching project entry wins, unlisted projects are monitored', () => {
    const { config, problems } = parseConfig(VALID, 'runguard.yaml');
    expect(problems).toEqual([]);
    expect(config!.dryRun).toBe(true);
    expect(config!.selfPrincipals).toEqual(['runguard@ops-project.iam.gserviceaccount.com']);
    expect(projectMode(config!, 'prod-web', 'projects/prod-web')).toBe('enforce');
    // prod-sandbox matches prod-* first: order is the user's to choose.
    expect(projectMode(config!, 'prod-sandbox', 'projects/prod-sandbox')).toBe('enforce');
    expect(projectMode(config!, 'dev-1', 'projects/dev-1')).toBe('monitor');
    expect(projectMode(config!, '', 'folders/123')).toBe('monitor');
    expect(config!.exemptions[0]!.expiresAt).toBe(Date.parse('2027-01-31T00:00:00Z'));
    expect(config!.exemptions[0]!.glob.test('projects/prod-web/locations/europe-west1/services/site')).toBe(true);
    expect(config!.exemptions[0]!.glob.test('projects/prod-web/locations/a/b/services/site')).toBe(false);
  });

  it('matches an org policy set on a folder or organization by that node, not by the policy name', () => {
    const { config } = parseConfig(
      'projects:\n  - { match: "folders/418203746512", mode: off }\n  - { match: "organizations/*", mode: enforce }\n',
      'runguard.yaml',
    );
    expect(projectMode(config!, '', 'folders/418203746512/policies/run.allowedIngress')).toBe('off');
    expect(projectMode(config!, '', 'folders/418203746512')).toBe('off');
    expect(projectMode(config!, '', 'organizations/658743219054/policies/iam.allowedPolicyMemberDomains')).toBe(
      'enforce',
    );
    expect(projectMode(config!, 'shop-prod', 'projects/shop-prod/policies/run.allowedIngress')).toBe('monitor');
  });

  it('lists every problem at once, each naming its key', () => {
    const bad = `
dryRun: "yes"
projects:
  - { match: "p-*", mode: enforced }
  - { mtach: "q" , mode: monitor }
allowedDomains: [not a domain]
exemptions:
  - { resource: "x", rule: r, reason: "", expires: "next tuesday" }
colour: blue
`;
    const { config, problems } = parseConfig(bad, 'bad.yaml');
    expect(config).toBeNull();
    const text = problems.join('\n');
    expect(text).toMatch(/bad\.yaml: dryRun: .*boolean/i);
    expect(text).toMatch(/bad\.yaml: projects\[0\]\.mode: /);
    expect(text).toMatch(/bad\.yaml: projects\[1\]\.mtach: unknown key/);
    expect(text).toMatch(/bad\.yaml: projects\[1\]\.match: /);
    expect(text).toMatch(/bad\.yaml: allowedDomains\[0\]: expected a domain/);
    expect(text).toMatch(/bad\.yaml: exemptions\[0\]\.reason: /);
    expect(text).toMatch(/bad\.yaml: exemptions\[0\]\.expires: expected an ISO 8601/);
    expect(text).toMatch(/bad\.yaml: colour: unknown key/);
    expect(problems.length).toBeGreaterThanOrEqual(8);
  });

  it('reports YAML syntax errors with the file name', () => {
    const { problems } = parseConfig('projects: [unclosed', 'broken.yaml');
    expect(problems[0]).toMatch(/^broken\.yaml: /);
  });

  it('refuses duplicate keys instead of silently keeping one', () => {
    expect(parseConfig('dryRun: false\ndryRun: true\n', 'dup.yaml').problems.length).toBe(1);
  });

  it('treats an empty file as the defaults', () => {
    expect(parseConfig('', 'empty.yaml').problems).toEqual([]);
  });
});

describe('slack routing', () => {
  const { config } = parseConfig(
    `slack:
  defaultChannel: "#runguard-alerts"
  routes:
    - { severity: [CRITICAL], project: "prod-*", channel: "#prod-oncall" }
    - { severity: [CRITICAL], channel: C0SECURITY1 }
    - { project: "prod-*", channel: "#prod-alerts" }
`,
    'slack.yaml',
  );

  it.each([
    ['CRITICAL', 'prod-web', '#prod-oncall'],
    ['CRITICAL', 'dev-1', 'C0SECURITY1'],
    ['HIGH', 'prod-web', '#prod-alerts'],
    ['LOW', 'dev-1', '#runguard-alerts'],
  ] as const)(
    'routes a %s finding in %s to %s (first match wins, both conditions must hold)',
    (severity, project, channel) => {
      expect(slackChannel(config!.slack!, severity, project)).toBe(channel);
    },
  );

  it('has no Slack routing when the configuration names no channel', () => {
    expect(defaultConfig().slack).toBeNull();
  });

  it('refuses a channel that is neither an id nor a #name, naming the key', () => {
    const { problems } = parseConfig('slack:\n  defaultChannel: "runguard alerts"\n', 'bad.yaml');
    expect(problems.join('\n')).toMatch(/bad\.yaml: slack\.defaultChannel: expected a channel id/);
  });
});
