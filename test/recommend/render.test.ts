import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CUSTOMER_ID_PLACEHOLDER } from '../../functions/recommend/constraints.js';
import type { Hierarchy } from '../../functions/recommend/hierarchy.js';
import { DEFAULT_THRESHOLD, type Proposal, propose } from '../../functions/recommend/propose.js';
import { renderTerraform, renderTerraformFile } from '../../functions/recommend/render-terraform.js';
import { renderText } from '../../functions/recommend/render-text.js';
import { renderPolicyYaml } from '../../functions/recommend/render-yaml.js';
import { builtRecord, NOW } from './built-history.js';
import { orgPolicies, unknownArguments } from './org-policy-schema.js';

const H: Hierarchy = {
  projects: { 'shop-prod': 'folders/10', 'shop-dev': 'folders/10', 'lab-one': 'folders/20' },
  folders: { 'folders/10': 'organizations/1', 'folders/20': 'organizations/1' },
};

function proposals(): Proposal[] {
  const records = [
    ...[1, 2, 3].map(() => builtRecord({ project: 'shop-prod' })),
    builtRecord({ project: 'shop-dev', rule: 'run-public-invoker', actor: 'a@example.com' }),
    builtRecord({ project: 'lab-one', rule: 'iam-personal-account', actor: 'b@example.com' }),
    ...[1, 2, 3].map(() => builtRecord({ project: 'lab-one', rule: 'run-binauthz-breakglass' })),
  ];
  return propose({
    records,
    since: NOW - 30 * 86_400_000,
    until: NOW,
    hierarchy: H,
    services: [],
    exemptions: [],
    now: NOW,
    options: { ...DEFAULT_THRESHOLD, allowedDomains: ['example.com'] },
  }).proposals;
}

describe('the gcloud YAML', () => {
  it('is an Org Policy v2 policy: the full name and one rule of allowed values', () => {
    const all = proposals();
    expect(all.map((p) => p.constraint)).toEqual([
      'run.allowedIngress',
      'iam.allowedPolicyMemberDomains',
      'run.allowedBinaryAuthorizationPolicies',
    ]);
    const docs = all.map((p) => parseYaml(renderPolicyYaml(p)));
    expect(docs[0]).toEqual({
      name: 'projects/shop-prod/policies/run.allowedIngress',
      spec: { rules: [{ values: { allowedValues: ['internal', 'internal-and-cloud-load-balancing'] } }] },
    });
    expect(docs[1].name).toBe('organizations/1/policies/iam.allowedPolicyMemberDomains');
    expect(docs[2].spec.rules[0].values.allowedValues).toEqual(['default']);
  });

  it('says in the file itself that the customer ID must be filled in', () => {
    const domains = proposals()[1]!;
    expect(renderPolicyYaml(domains)).toMatch(
      new RegExp(`# FILL IN before applying: replace ${CUSTOMER_ID_PLACEHOLDER}`),
    );
    expect(renderPolicyYaml(proposals()[0]!)).not.toContain('FILL IN');
  });
});

describe('the Terraform', () => {
  it('parses as HCL and names only arguments and blocks of google_org_policy_policy', async () => {
    const resources = await orgPolicies(renderTerraformFile(proposals()));
    expect(Object.keys(resources)).toHaveLength(3);
    for (const [label, body] of Object.entries(resources)) {
      expect(label).toMatch(/^[a-z_][a-z0-9_]*$/);
      expect(unknownArguments(body)).toEqual([]);
    }
    const ingress = resources.run_allowed_ingress_projects_shop_prod!;
    expect(ingress.name).toBe('projects/shop-prod/policies/run.allowedIngress');
    expect(ingress.parent).toBe('projects/shop-prod');
    expect(ingress.spec[0].rules[0].values[0].allowed_values).toEqual([
      'internal',
      'internal-and-cloud-load-balancing',
    ]);
  });

  it('the schema check itself catches an argument the resource does not have', async () => {
    const bad = renderTerraform(proposals()[0]!).replace('parent =', 'folder =');
    const [body] = Object.values(await orgPolicies(bad));
    expect(unknownArguments(body!)).toEqual(['resource.folder']);
    await expect(orgPolicies('resource "x" {')).rejects.toThrow();
  });

  it('a template sequence in a value is escaped, so Terraform keeps it literal', () => {
    const p = { ...proposals()[0]!, allowedValues: ['${var.x}', '%{if}'] };
    expect(renderTerraform(p)).toContain('allowed_values = ["$${var.x}", "%%{if}"]');
  });
});

describe('the text', () => {
  it('reads for an auditor: evidence, what it breaks, how to apply; nothing proposed is said plainly', () => {
    const text = renderText(
      {
        since: '2026-11-01T00:00:00.000Z',
        until: '2026-12-01T00:00:00.000Z',
        threshold: { minFindings: 3, minActors: 2 },
        proposals: proposals(),
        belowThreshold: [],
        unplaced: [],
      },
      'test records',
    );
    expect(text).toMatch(/^1\. constraints\/run\.allowedIngress on projects\/shop-prod$/m);
    expect(text).toMatch(/evidence: 3 finding\(s\) of run-ingress-all/);
    expect(text).toMatch(/apply: gcloud org-policies set-policy run\.allowedIngress\.projects-shop-prod\.yaml/);
    expect(text).toMatch(/FILL IN: C0_FILL_IN_YOUR_CUSTOMER_ID stands for your organisation's customer ID/);
    const none = renderText(
      {
        since: 'a',
        until: 'b',
        threshold: { minFindings: 3, minActors: 2 },
        proposals: [],
        belowThreshold: [{ constraint: 'run.allowedIngress', findings: 2, actors: 1 }],
        unplaced: [],
      },
      'x',
    );
    expect(none).toContain('Nothing to propose.');
    expect(none).toContain(
      'Not proposed: constraints/run.allowedIngress: 2 finding(s) by 1 actor(s), below the threshold.',
    );
  });
});
