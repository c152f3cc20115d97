// The executor must stay within what the catalog declares: Terraform's custom role is generated
// from the declarations, so a call outside them fails in production, not here — unless this test catches it.
import { describe, expect, it } from 'vitest';
import { emptyService } from '../../functions/core/service.js';
import type { Policy, RunService } from '../../functions/core/types.js';
import { REMEDIATION_ACTIONS } from '../../functions/remediation/catalog.js';
import { remediate } from '../../functions/remediation/execute.js';
import type { RunPort, ServiceChange } from '../../functions/remediation/types.js';

const NAME = 'projects/p/locations/l/services/s';

const PERMISSION: Record<keyof RunPort, string> = {
  getService: 'run.services.get',
  updateService: 'run.services.update',
  getIamPolicy: 'run.services.getIamPolicy',
  setIamPolicy: 'run.services.setIamPolicy',
};

/** An in-memory RunPort, insecure in every way, that records which methods were called. */
function recordingPort(): { port: RunPort; called: Set<keyof RunPort> } {
  const called = new Set<keyof RunPort>();
  let service: RunService = {
    ...emptyService(NAME),
    ingress: 'INGRESS_TRAFFIC_ALL',
    invokerIamDisabled: true,
    etag: 'e1',
  };
  let policy: Policy = {
    bindings: [{ role: 'roles/run.invoker', members: ['allUsers', 'user:a@example.com'] }],
    etag: 'AAE=',
  };
  const port: RunPort = {
    getService: async () => (called.add('getService'), structuredClone(service)),
    updateService: async (_name: string, change: ServiceChange) => {
      called.add('updateService');
      service = { ...service, ...change, etag: 'e2' };
      return structuredClone(service);
    },
    getIamPolicy: async () => (called.add('getIamPolicy'), structuredClone(policy)),
    setIamPolicy: async (_name: string, next: Policy) => {
      called.add('setIamPolicy');
      policy = { ...structuredClone(next), etag: 'AAI=' };
      return structuredClone(policy);
    },
  };
  return { port, called };
}

const PARAMS: Record<string, Record<string, unknown>> = {
  'set-ingress': { safeIngress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' },
  'remove-public-members': { publicMembers: ['allUsers', 'allAuthenticatedUsers'] },
  'enable-invoker-iam-check': {},
};

describe('remediation stays within its declared permissions', () => {
  it.each(Object.values(REMEDIATION_ACTIONS))(
    '$name uses every permission it declares and no other',
    async (action) => {
      const { port, called } = recordingPort();
      const out = await remediate(action.name, NAME, PARAMS[action.name]!, port, { sleep: async () => {} });
      expect(out.status).toBe('reverted');
      expect([...called].map((m) => PERMISSION[m]).sort()).toEqual([...action.permissions].sort());
    },
  );

  it.each(['delete-service', 'toString'])('refuses the unknown action %s without calling anything', async (name) => {
    const { port, called } = recordingPort();
    const out = await remediate(name, NAME, {}, port);
    expect(out).toMatchObject({ status: 'failed', attempts: 0, error: { code: 'invalid' } });
    expect(out.summary).toBe(
      `could not ${name}: refused: unknown remediation action "${name}" ` +
        '(known: set-ingress, remove-public-members, enable-invoker-iam-check)',
    );
    expect(called.size).toBe(0);
  });

  it('has params for every catalog action, so a new action cannot skip this test', () => {
    expect(Object.keys(PARAMS).sort()).toEqual(Object.keys(REMEDIATION_ACTIONS).sort());
  });
});
