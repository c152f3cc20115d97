import { describe, expect, it } from 'vitest';
import { findingKey, maskTouches, parseSubject, scopeRemediation } from '../../functions/core/subject.js';

describe('finding subjects', () => {
  it('reads grants at the last "@" (members may hold one) and settings at the first "="', () => {
    expect(parseSubject('allUsers@roles/run.invoker')).toEqual({
      kind: 'grant',
      member: 'allUsers',
      role: 'roles/run.invoker',
    });
    expect(parseSubject('user:alice@example.com@organizations/1/roles/custom')).toEqual({
      kind: 'grant',
      member: 'user:alice@example.com',
      role: 'organizations/1/roles/custom',
    });
    expect(parseSubject('template.serviceAccount=1-compute@developer.gserviceaccount.com')).toEqual({
      kind: 'setting',
      field: 'template.serviceAccount',
      value: '1-compute@developer.gserviceaccount.com',
    });
    for (const bad of ['allUsers', 'allUsers@', '=x', 'ingress=', 'a b=c', 'x|y=z', 'allUsers@run.invoker'])
      expect(parseSubject(bad), bad).toBeNull();
  });

  it('keys a finding by rule and resource, and by subject when there is one', () => {
    expect(findingKey('r', 'projects/p')).toBe('r|projects/p');
    expect(findingKey('r', 'projects/p', 'ingress=INGRESS_TRAFFIC_ALL')).toBe(
      'r|projects/p|ingress=INGRESS_TRAFFIC_ALL',
    );
  });

  it('scopes remove-public-members to the one grant, and leaves other actions alone', () => {
    const params = { publicMembers: ['allUsers', 'allAuthenticatedUsers'] };
    expect(scopeRemediation('remove-public-members', params, 'allUsers@roles/run.developer')).toEqual({
      publicMembers: ['allUsers'],
      roles: ['roles/run.developer'],
    });
    expect(scopeRemediation('remove-public-members', params, undefined)).toBe(params);
    expect(scopeRemediation('set-ingress', { safeIngress: 'X' }, 'ingress=INGRESS_TRAFFIC_ALL')).toEqual({
      safeIngress: 'X',
    });
  });

  it('says whether an update mask touches a field, in either spelling', () => {
    expect(maskTouches(['template'], 'ingress')).toBe(false);
    expect(maskTouches(['ingress'], 'ingress')).toBe(true);
    expect(maskTouches(['invoker_iam_disabled'], 'invokerIamDisabled')).toBe(true);
    expect(maskTouches(['template'], 'template.serviceAccount')).toBe(true);
    expect(maskTouches(['template.service_account'], 'template')).toBe(true);
    expect(maskTouches(['*'], 'ingress')).toBe(true);
  });
});
