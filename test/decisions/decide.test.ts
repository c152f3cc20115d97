import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config/load.js';
import type { Finding } from '../../functions/core/types.js';
import { decide } from '../../functions/decisions/decide.js';

const RESOURCE = 'projects/prod-web/locations/europe-west1/services/site';
const finding = (rule: string, remediation: Finding['remediation']): Finding => ({
  rule,
  severity: 'HIGH',
  title: rule,
  message: 'm',
  resource: RESOURCE,
  key: `${rule}|${RESOURCE}`,
  remediation,
});
const ingress = finding('run-ingress-all', {
  action: 'set-ingress',
  params: { safeIngress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER' },
});
const defaultSa = finding('run-default-service-account', null);

const SITE_EXEMPTION =
  '{ resource: "projects/prod-web/locations/*/services/site", rule: "*", reason: "launch week", ' +
  'expires: "2026-12-01T00:00:00Z", approvedBy: bob@example.com }';
const exemptions = parseConfig(
  `exemptions:
  - { resource: "projects/prod-web/**", rule: run-ingress-all, reason: "old", expires: "2026-01-01T00:00:00Z" }
  - ${SITE_EXEMPTION}
`,
  'x',
).config!.exemptions;

const NOV_2026 = Date.parse('2026-11-23T12:00:00Z');
const DEC_2026 = Date.parse('2026-12-02T00:00:00Z');

describe('decide', () => {
  it.each([
    ['enforce, remediation, no dry run', 'enforce', false, ingress, 'revert'],
    ['enforce, remediation, dry run', 'enforce', true, ingress, 'dry-run'],
    ['enforce, no remediation', 'enforce', false, defaultSa, 'alert'],
    ['monitor, remediation', 'monitor', false, ingress, 'alert'],
    ['monitor, dry run', 'monitor', true, ingress, 'alert'],
  ] as const)('%s → %s', (_, mode, dryRun, f, action) => {
    expect(decide(f, { mode, dryRun, exemptions: [], now: NOV_2026 }).action).toBe(action);
  });

  it('honours an active exemption even in enforce mode and says by whom and until when', () => {
    const d = decide(ingress, { mode: 'enforce', dryRun: false, exemptions, now: NOV_2026 });
    expect(d.action).toBe('exempt');
    expect(d.exemption).toMatchObject({ approvedBy: 'bob@example.com', expires: '2026-12-01T00:00:00Z' });
    expect(d.reason).toContain('until 2026-12-01T00:00:00Z by bob@example.com');
    expect(d.expiredExemptions.map((e) => e.reason)).toEqual(['old']);
  });

  it('ignores an expired exemption, reverts, and says the exemption expired', () => {
    const d = decide(ingress, { mode: 'enforce', dryRun: false, exemptions, now: DEC_2026 });
    expect(d.action).toBe('revert');
    expect(d.exemption).toBeNull();
    expect(d.expiredExemptions).toHaveLength(2);
    expect(d.reason).toMatch(/exemption expired 2026-01-01T00:00:00Z, 2026-12-01T00:00:00Z/);
  });

  it('does not apply an exemption for another resource', () => {
    const other = { ...ingress, resource: 'projects/prod-web/locations/europe-west1/services/api' };
    const d = decide(other, { mode: 'enforce', dryRun: false, exemptions, now: NOV_2026 });
    expect(d.action).toBe('revert');
  });

  it('treats an exemption that expires exactly now as expired', () => {
    const at = Date.parse('2026-12-01T00:00:00Z');
    expect(decide(defaultSa, { mode: 'monitor', dryRun: false, exemptions, now: at }).action).toBe('alert');
    expect(decide(defaultSa, { mode: 'monitor', dryRun: false, exemptions, now: at - 1 }).action).toBe('exempt');
  });
});
