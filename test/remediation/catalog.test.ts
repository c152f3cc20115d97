import { describe, expect, it } from 'vitest';
import { RESOURCE_TYPES } from '../../functions/core/types.js';
import {
  REMEDIATION_ACTIONS,
  remediationAction,
  SAFE_INGRESS,
  validateRemediationParams,
} from '../../functions/remediation/catalog.js';

describe('the remediation catalog', () => {
  it.each(Object.entries(REMEDIATION_ACTIONS))(
    '%s is registered under its own name with permissions and resource types',
    (key, action) => {
      expect(action.name).toBe(key);
      expect(action.description.length).toBeGreaterThan(10);
      expect(action.permissions.length).toBeGreaterThan(0);
      for (const p of action.permissions) expect(p).toMatch(/^[a-z]+\.[a-zA-Z]+\.[a-zA-Z]+$/);
      for (const t of action.resourceTypes) expect(RESOURCE_TYPES).toContain(t);
    },
  );

  it('declares exactly the permissions each action needs', () => {
    expect(Object.fromEntries(Object.values(REMEDIATION_ACTIONS).map((a) => [a.name, [...a.permissions]]))).toEqual({
      'set-ingress': ['run.services.get', 'run.services.update'],
      'remove-public-members': ['run.services.getIamPolicy', 'run.services.setIamPolicy'],
      'enable-invoker-iam-check': ['run.services.get', 'run.services.update'],
    });
  });

  it('looks actions up by own name only', () => {
    expect(remediationAction('set-ingress')?.name).toBe('set-ingress');
    expect(remediationAction('toString')).toBeUndefined();
  });
});

describe('validateRemediationParams', () => {
  it('refuses set-ingress to INGRESS_TRAFFIC_ALL: remediation never widens access', () => {
    expect(SAFE_INGRESS).not.toContain('INGRESS_TRAFFIC_ALL');
    expect(validateRemediationParams('set-ingress', { safeIngress: 'INGRESS_TRAFFIC_ALL' })).toEqual([
      'safeIngress: "INGRESS_TRAFFIC_ALL" is not allowed: remediation never widens access; ' +
        'use INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
    ]);
  });

  it.each(['INGRESS_TRAFFIC_INTERNAL_ONLY', 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER'])(
    'accepts set-ingress to %s next to the rule’s own params',
    (value) => {
      expect(validateRemediationParams('set-ingress', { safeIngress: value, other: 1 })).toEqual([]);
    },
  );

  it('requires safeIngress and refuses values that are not ingress settings', () => {
    expect(validateRemediationParams('set-ingress', {})).toEqual(['safeIngress: required']);
    expect(validateRemediationParams('set-ingress', { safeIngress: 'internal' })).toHaveLength(1);
  });

  it('lets remove-public-members remove only allUsers and allAuthenticatedUsers', () => {
    expect(
      validateRemediationParams('remove-public-members', { publicMembers: ['allUsers', 'allAuthenticatedUsers'] }),
    ).toEqual([]);
    expect(
      validateRemediationParams('remove-public-members', { publicMembers: ['allUsers', 'user:ceo@example.com'] }),
    ).toEqual([
      'publicMembers[1]: "user:ceo@example.com" is not a public member; ' +
        'only allUsers and allAuthenticatedUsers may be removed',
    ]);
    expect(validateRemediationParams('remove-public-members', { publicMembers: [] })).toEqual([
      'publicMembers: must name at least one public member',
    ]);
  });

  it('names every problem with its path: a list that is not one, a role that is not a name, a missing list', () => {
    expect(validateRemediationParams('remove-public-members', { publicMembers: 'allUsers' })).toEqual([
      'publicMembers: must be a list, got "allUsers"',
    ]);
    expect(validateRemediationParams('remove-public-members', {})).toEqual(['publicMembers: required']);
    expect(
      validateRemediationParams('remove-public-members', {
        publicMembers: ['allUsers', 7],
        roles: ['roles/run.invoker', ''],
      }),
    ).toEqual([
      'publicMembers[1]: 7 is not a public member; only allUsers and allAuthenticatedUsers may be removed',
      'roles[1]: must be a role name, got ""',
    ]);
    expect(validateRemediationParams('remove-public-members', { publicMembers: ['allUsers'], roles: [] })).toEqual([
      'roles: must name at least one role',
    ]);
    expect(validateRemediationParams('set-ingress', { safeIngress: 5 })).toEqual([
      'safeIngress: 5 is not allowed: remediation never widens access; ' +
        'use INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
    ]);
  });

  it('refuses params that are not a map, and reads only their own keys', () => {
    expect(validateRemediationParams('set-ingress', ['INGRESS_TRAFFIC_INTERNAL_ONLY'] as never)).toEqual([
      '(params): must be a map of names to values, got ["INGRESS_TRAFFIC_INTERNAL_ONLY"]',
    ]);
    const inherited = Object.create({ safeIngress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' }) as Record<string, unknown>;
    expect(validateRemediationParams('set-ingress', inherited)).toEqual(['safeIngress: required']);
  });

  it('accepts enable-invoker-iam-check with any rule params, and names an unknown action', () => {
    expect(validateRemediationParams('enable-invoker-iam-check', { anything: true })).toEqual([]);
    expect(validateRemediationParams('delete-service', {})).toEqual([
      'unknown remediation action "delete-service" ' +
        '(known: set-ingress, remove-public-members, enable-invoker-iam-check)',
    ]);
  });
});
