import { describe, expect, it } from 'vitest';
import { CUSTOMER_ID_PLACEHOLDER } from '../../functions/recommend/constraints.js';
import { ancestry, type Hierarchy, narrowestCover } from '../../functions/recommend/hierarchy.js';
import {
  DEFAULT_THRESHOLD,
  type DeployedService,
  type KnownExemption,
  outsideMember,
  type ProposeInput,
  propose,
} from '../../functions/recommend/propose.js';
import { proposalItems } from '../../functions/recommend/report-items.js';
import { builtRecord, NOW } from './built-history.js';

// organizations/1 ─┬─ folders/10 (shop) ─┬─ shop-prod
//                  │                     └─ shop-dev
//                  │   └─ folders/11 (shop/sandbox) ── shop-sandbox
//                  └─ folders/20 (lab) ──── lab-one
const H: Hierarchy = {
  projects: {
    'shop-prod': 'folders/10',
    'shop-dev': 'folders/10',
    'shop-sandbox': 'folders/11',
    'lab-one': 'folders/20',
  },
  folders: { 'folders/10': 'organizations/1', 'folders/11': 'folders/10', 'folders/20': 'organizations/1' },
};

const service = (project: string, name: string, over: Partial<DeployedService> = {}): DeployedService => ({
  name: `projects/${project}/locations/europe-west1/services/${name}`,
  project,
  ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
  binaryAuthorization: { useDefault: true, policy: '', breakglassJustification: '' },
  grants: ['group:team@example.com@roles/run.invoker'],
  ...over,
});

function input(over: Partial<ProposeInput>): ProposeInput {
  return {
    records: [],
    since: NOW - 30 * 86_400_000,
    until: NOW,
    hierarchy: H,
    services: [],
    exemptions: [],
    now: NOW,
    options: { ...DEFAULT_THRESHOLD, allowedDomains: ['example.com'] },
    ...over,
  };
}

describe('the hierarchy', () => {
  it('walks a project up through nested folders to the organisation', () => {
    expect(ancestry(H, 'shop-sandbox')).toEqual([
      'projects/shop-sandbox',
      'folders/11',
      'folders/10',
      'organizations/1',
    ]);
    expect(ancestry(H, 'unknown-proj')).toEqual(['projects/unknown-proj']);
  });

  it('the narrowest cover: one project → the project; one folder → it; a sub-folder → the outer folder', () => {
    expect(narrowestCover(H, ['shop-prod'])).toBe('projects/shop-prod');
    expect(narrowestCover(H, ['shop-prod', 'shop-dev'])).toBe('folders/10');
    expect(narrowestCover(H, ['shop-prod', 'shop-sandbox'])).toBe('folders/10');
    expect(narrowestCover(H, ['shop-prod', 'lab-one'])).toBe('organizations/1');
    expect(narrowestCover(H, ['shop-prod', 'unknown-proj'])).toBeNull();
  });
});

describe('propose', () => {
  it('findings in two projects under one folder → a policy on that folder', () => {
    const r = propose(
      input({
        records: [
          builtRecord({ project: 'shop-prod', actor: 'a@example.com' }),
          builtRecord({ project: 'shop-prod', actor: 'a@example.com' }),
          builtRecord({ project: 'shop-dev', actor: 'a@example.com' }),
        ],
      }),
    );
    expect(r.proposals).toHaveLength(1);
    expect(r.proposals[0]).toMatchObject({
      constraint: 'run.allowedIngress',
      parent: 'folders/10',
      policyName: 'folders/10/policies/run.allowedIngress',
      allowedValues: ['internal', 'internal-and-cloud-load-balancing'],
    });
    expect(r.proposals[0]!.evidence).toMatchObject({
      findings: 3,
      actors: [{ actor: 'a@example.com', count: 3 }],
      projects: ['shop-dev', 'shop-prod'],
    });
  });

  it('findings in two folders → their common ancestor, the organisation', () => {
    const records = [
      builtRecord({ project: 'shop-prod' }),
      builtRecord({ project: 'lab-one' }),
      builtRecord({ project: 'lab-one' }),
    ];
    expect(propose(input({ records })).proposals.map((p) => p.parent)).toEqual(['organizations/1']);
  });

  it('below the threshold (2 findings, 1 actor) nothing is proposed, and the output says so', () => {
    const records = [builtRecord({ project: 'shop-prod' }), builtRecord({ project: 'shop-prod' })];
    const r = propose(input({ records }));
    expect(r.proposals).toEqual([]);
    expect(r.belowThreshold).toEqual([{ constraint: 'run.allowedIngress', findings: 2, actors: 1 }]);
  });

  it('two distinct actors reach the threshold with two findings; the thresholds are options', () => {
    const records = [
      builtRecord({ project: 'shop-prod', actor: 'a@example.com' }),
      builtRecord({ project: 'shop-prod', actor: 'b@example.com' }),
    ];
    expect(propose(input({ records })).proposals.map((p) => p.parent)).toEqual(['projects/shop-prod']);
    const strict = propose(input({ records, options: { minFindings: 5, minActors: 3, allowedDomains: [] } }));
    expect(strict.proposals).toEqual([]);
  });

  it('only the period counts, and a sweep seeing the same open finding again is one finding', () => {
    const resource = 'projects/shop-prod/locations/europe-west1/services/old';
    const sweep = (i: number) =>
      builtRecord({ project: 'shop-prod', resource, foundBy: 'sweep', actor: '', id: `sweep:${i}|k`, daysAgo: i });
    const r = propose(
      input({
        records: [sweep(1), sweep(2), sweep(3), builtRecord({ project: 'shop-prod', daysAgo: 40 })],
        options: { minFindings: 1, minActors: 9, allowedDomains: [] },
      }),
    );
    expect(r.proposals[0]!.evidence.findings).toBe(1);
    expect(r.proposals[0]!.evidence.actors).toEqual([]);
  });

  it('lists the services under the node it would break today, with the exemption that allows each now', () => {
    const records = [1, 2, 3].map(() => builtRecord({ project: 'shop-prod' }));
    const inventory = service('shop-prod', 'inventory', { ingress: 'INGRESS_TRAFFIC_ALL' });
    const breakglass: KnownExemption = {
      source: 'breakglass',
      id: 'run-ingress-all|…/inventory|2026-12-01T10:00:00Z',
      resource: inventory.name,
      rule: 'run-ingress-all',
      reason: 'Nightly import needs the partner API',
      expires: '2026-12-01T13:00:00Z',
      approvedBy: 'alice@example.com',
    };
    const expired: KnownExemption = { ...breakglass, id: 'old', expires: '2026-11-30T00:00:00Z' };
    const r = propose(
      input({
        records,
        services: [
          inventory,
          service('shop-prod', 'internal', { ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' }),
          service('lab-one', 'outside-the-node', { ingress: 'INGRESS_TRAFFIC_ALL' }),
        ],
        exemptions: [breakglass, expired],
      }),
    );
    const p = r.proposals[0]!;
    expect(p.breaks).toEqual([
      {
        service: inventory.name,
        project: 'shop-prod',
        why: expect.stringMatching(/ingress is all/),
        exemptBy: breakglass.id,
      },
    ]);
    expect(p.exceptions.map((x) => [x.source, x.ref, x.projects])).toEqual([
      ['breakglass', breakglass.id, ['shop-prod']],
    ]);
  });

  it('personal accounts and public members → the domain restriction, with the customer ID left to fill in', () => {
    const records = [
      builtRecord({ project: 'shop-prod', rule: 'run-public-invoker', actor: 'a@example.com' }),
      builtRecord({ project: 'shop-dev', rule: 'iam-personal-account', actor: 'b@example.com' }),
    ];
    const site = service('shop-dev', 'public-site', { grants: ['allUsers@roles/run.invoker'] });
    const r = propose(input({ records, services: [site, service('shop-dev', 'private')] }));
    const p = r.proposals[0]!;
    expect(p.constraint).toBe('iam.allowedPolicyMemberDomains');
    expect(p.parent).toBe('folders/10');
    expect(p.allowedValues).toEqual([CUSTOMER_ID_PLACEHOLDER]);
    expect(p.needsCustomerId).toBe(true);
    expect(p.breaks.map((b) => b.service)).toEqual([site.name]);
    const known = propose(
      input({ records, options: { ...DEFAULT_THRESHOLD, allowedDomains: [], customerId: 'C03xgje4y' } }),
    );
    expect(known.proposals[0]).toMatchObject({ allowedValues: ['C03xgje4y'], needsCustomerId: false });
  });

  it('breakglass deployments → Binary Authorization default policy; a service with it off would break', () => {
    const records = [1, 2, 3].map(() => builtRecord({ project: 'lab-one', rule: 'run-binauthz-breakglass' }));
    const off = service('lab-one', 'no-binauthz', {
      binaryAuthorization: { useDefault: false, policy: '', breakglassJustification: '' },
    });
    const p = propose(input({ records, services: [off, service('lab-one', 'ok')] })).proposals[0]!;
    expect(p).toMatchObject({ constraint: 'run.allowedBinaryAuthorizationPolicies', allowedValues: ['default'] });
    expect(p.breaks.map((b) => [b.service, b.why])).toEqual([
      [off.name, expect.stringMatching(/Binary Authorization is off/)],
    ]);
  });

  it('outsideMember: public, consumer and foreign domains are outside; ours and service accounts are not', () => {
    const o = { allowedDomains: ['example.com'] };
    expect(outsideMember('allUsers', o)).toBe(true);
    expect(outsideMember('user:someone@gmail.com', { allowedDomains: [] })).toBe(true);
    expect(outsideMember('group:partners@partner.example', o)).toBe(true);
    expect(outsideMember('domain:partner.example', o)).toBe(true);
    expect(outsideMember('user:dana@EXAMPLE.com', o)).toBe(false);
    expect(outsideMember('serviceAccount:x@shop-prod.iam.gserviceaccount.com', o)).toBe(false);
  });
});

describe('proposalItems (the weekly report section)', () => {
  it('a one-line title, one or two sentences of evidence, the one-line gcloud command', () => {
    const records = [1, 2, 3].map((i) => builtRecord({ project: 'shop-prod', actor: `u${i}@example.com` }));
    const [item, ...rest] = proposalItems(propose(input({ records })).proposals);
    expect(rest).toEqual([]);
    expect(item!.title).toBe('Enforce constraints/run.allowedIngress on projects/shop-prod');
    expect(item!.evidence).toMatch(/^3 finding\(s\) of run-ingress-all .* by 3 actor\(s\): /);
    expect(item!.evidence.split(/(?<=\.) /).length).toBeLessThanOrEqual(2);
    expect(item!.command).toBe('gcloud org-policies set-policy run.allowedIngress.projects-shop-prod.yaml');
    for (const s of Object.values(item!)) expect(s).not.toContain('\n');
  });

  it('what it breaks and the customer ID to fill still make at most two sentences', () => {
    const records = [1, 2, 3].map(() => builtRecord({ project: 'shop-prod', rule: 'run-public-invoker' }));
    const site = service('shop-prod', 'public-site', { grants: ['allUsers@roles/run.invoker'] });
    const [item] = proposalItems(propose(input({ records, services: [site] })).proposals);
    expect(item!.evidence).toMatch(
      / Caveat: it would break 1 deployed service\(s\) today, and the customer ID must be filled in first\.$/,
    );
    expect(item!.evidence.split(/(?<=\.) /)).toHaveLength(2);
  });
});
