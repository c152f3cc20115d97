import { describe, expect, it } from 'vitest';
import { emptyService } from '../../functions/core/service.js';
import type { Binding, Policy } from '../../functions/core/types.js';
import {
  describePublicAccess,
  describeRemoval,
  ingressFix,
  invokerCheckFix,
  withoutPublicMembers,
} from '../../functions/remediation/plan.js';

const INVOKER = 'roles/run.invoker';
const PUBLIC = ['allUsers', 'allAuthenticatedUsers'];
const policy = (...bindings: Binding[]): Policy => ({ bindings, etag: 'BwY=' });
const COND = {
  expression: 'request.time < timestamp("2030-01-01T00:00:00Z")',
  title: 'until 2030',
  description: 'kept verbatim',
};

describe('withoutPublicMembers', () => {
  const cases: {
    name: string;
    in: Policy;
    members?: string[];
    out: Binding[];
    removed: { role: string; member: string }[];
  }[] = [
    {
      name: 'removes allUsers from the invoker role and keeps the other members in order',
      in: policy({ role: INVOKER, members: ['user:a@example.com', 'allUsers', 'group:g@example.com'] }),
      out: [{ role: INVOKER, members: ['user:a@example.com', 'group:g@example.com'] }],
      removed: [{ role: INVOKER, member: 'allUsers' }],
    },
    {
      name: 'drops a binding left empty and keeps the order of the others',
      in: policy(
        { role: 'roles/a', members: ['user:a@example.com'] },
        { role: INVOKER, members: ['allUsers'] },
        { role: 'roles/z', members: ['user:z@example.com'] },
      ),
      out: [
        { role: 'roles/a', members: ['user:a@example.com'] },
        { role: 'roles/z', members: ['user:z@example.com'] },
      ],
      removed: [{ role: INVOKER, member: 'allUsers' }],
    },
    {
      name: 'removes public members from every role, both kinds',
      in: policy(
        { role: INVOKER, members: ['allAuthenticatedUsers', 'allUsers'] },
        { role: 'roles/run.viewer', members: ['allUsers', 'user:v@example.com'] },
      ),
      out: [{ role: 'roles/run.viewer', members: ['user:v@example.com'] }],
      removed: [
        { role: INVOKER, member: 'allAuthenticatedUsers' },
        { role: INVOKER, member: 'allUsers' },
        { role: 'roles/run.viewer', member: 'allUsers' },
      ],
    },
    {
      name: 'removes only the members asked for',
      in: policy({ role: INVOKER, members: ['allUsers', 'allAuthenticatedUsers'] }),
      members: ['allUsers'],
      out: [{ role: INVOKER, members: ['allAuthenticatedUsers'] }],
      removed: [{ role: INVOKER, member: 'allUsers' }],
    },
    {
      name: 'keeps the condition of a conditional binding it edits, whole',
      in: policy({ role: INVOKER, members: ['allUsers', 'user:c@example.com'], condition: COND }),
      out: [{ role: INVOKER, members: ['user:c@example.com'], condition: COND }],
      removed: [{ role: INVOKER, member: 'allUsers' }],
    },
    {
      name: 'keeps two bindings of the same role apart (one conditional)',
      in: policy(
        { role: INVOKER, members: ['allUsers', 'user:a@example.com'] },
        { role: INVOKER, members: ['user:b@example.com'], condition: COND },
      ),
      out: [
        { role: INVOKER, members: ['user:a@example.com'] },
        { role: INVOKER, members: ['user:b@example.com'], condition: COND },
      ],
      removed: [{ role: INVOKER, member: 'allUsers' }],
    },
    {
      name: 'does not mistake look-alike members for public ones',
      in: policy({
        role: INVOKER,
        members: ['user:allUsers@example.com', 'domain:allusers.example', 'principalSet://x/allUsers'],
      }),
      out: [
        {
          role: INVOKER,
          members: ['user:allUsers@example.com', 'domain:allusers.example', 'principalSet://x/allUsers'],
        },
      ],
      removed: [],
    },
    { name: 'leaves an empty policy empty', in: policy(), out: [], removed: [] },
  ];

  it.each(cases)('$name', (c) => {
    const frozen = structuredClone(c.in);
    const got = withoutPublicMembers(c.in, c.members ?? PUBLIC);
    expect(got.policy).toEqual({ bindings: c.out, etag: 'BwY=' });
    expect(got.removed).toEqual(c.removed);
    expect(c.in).toEqual(frozen); // pure: the input is not modified
  });
});

describe('describing removals and access in words', () => {
  it.each([
    {
      removed: [{ role: INVOKER, member: 'allUsers' }],
      after: policy(
        { role: INVOKER, members: ['user:a@example.com', 'user:b@example.com'] },
        { role: 'roles/other', members: ['user:c@example.com'] },
      ),
      words: 'removed allUsers from roles/run.invoker; kept 2 other members',
    },
    {
      removed: [{ role: INVOKER, member: 'allUsers' }],
      after: policy(),
      words: 'removed allUsers from roles/run.invoker; kept no other members',
    },
    {
      removed: [
        { role: INVOKER, member: 'allUsers' },
        { role: 'roles/run.viewer', member: 'allUsers' },
        { role: INVOKER, member: 'allAuthenticatedUsers' },
      ],
      after: policy({ role: INVOKER, members: ['user:a@example.com'] }),
      words:
        'removed allUsers from roles/run.invoker and roles/run.viewer, ' +
        'allAuthenticatedUsers from roles/run.invoker; kept 1 other member',
    },
  ])('$words', ({ removed, after, words }) => {
    expect(describeRemoval(removed, after)).toBe(words);
  });

  it('says who holds which role publicly, or that no one does', () => {
    expect(describePublicAccess(policy({ role: INVOKER, members: ['allUsers'] }), PUBLIC)).toBe(
      'allUsers holds roles/run.invoker',
    );
    expect(describePublicAccess(policy({ role: INVOKER, members: ['user:a@example.com'] }), PUBLIC)).toBe(
      'no allUsers and allAuthenticatedUsers in the IAM policy',
    );
  });
});

describe('service fixes', () => {
  const svc = (over: Partial<ReturnType<typeof emptyService>>) => ({
    ...emptyService('projects/p/locations/l/services/s'),
    ...over,
  });

  it.each([
    { ingress: 'INGRESS_TRAFFIC_ALL', safe: false },
    { ingress: 'INGRESS_TRAFFIC_UNSPECIFIED', safe: false }, // the API's default is ALL
    { ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY', safe: true },
    { ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER', safe: true },
    { ingress: 'INGRESS_TRAFFIC_NONE', safe: true },
  ] as const)('ingress $ingress is safe: $safe', ({ ingress, safe }) => {
    expect(ingressFix('INGRESS_TRAFFIC_INTERNAL_ONLY').isSafe(svc({ ingress }))).toBe(safe);
  });

  it('writes only the one field and says what it did', () => {
    const fix = ingressFix('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    expect(fix.change).toEqual({ ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER' });
    expect(fix.done(svc({ ingress: 'INGRESS_TRAFFIC_ALL' }))).toBe(
      'set ingress to INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER (was INGRESS_TRAFFIC_ALL)',
    );
    expect(invokerCheckFix.change).toEqual({ invokerIamDisabled: false });
    expect(invokerCheckFix.isSafe(svc({ invokerIamDisabled: true }))).toBe(false);
    expect(invokerCheckFix.now(svc({}))).toBe('the invoker IAM check is on');
  });
});
