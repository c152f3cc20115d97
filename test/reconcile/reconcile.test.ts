import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createProjectLister } from '../../functions/clients/projects.js';
import { handleReconcile, type ReconcileDeps } from '../../functions/reconcile/run.js';
import { createRunInventory } from '../../functions/remediation/run-client.js';
import { useCloudRunStandIn } from '../../stand-ins/cloud-run/use.js';
import { type ResourceManagerStandIn, startResourceManagerStandIn } from '../../stand-ins/resource-manager/index.js';
import { harness } from '../harness.js';

// The scheduled sweep from its scope: which projects Resource Manager shows, which the
// configuration names, and what happens when the listing fails.

const CONFIG = `
projects:
  - { match: "shop-prod", mode: enforce }
  - { match: "sandbox-*", mode: "off" }
reconcile: { locations: [us-central1] }
`;
const svc = (project: string) => `projects/${project}/locations/us-central1/services/web`;

const { standIn: run, client } = useCloudRunStandIn();
let rm: ResourceManagerStandIn;
beforeAll(async () => {
  rm = await startResourceManagerStandIn();
});
afterAll(async () => {
  await rm?.stop();
});
beforeEach(() => {
  run.reset();
  rm.reset();
  for (const p of ['shop-prod', 'team-a', 'team-b', 'sandbox-1', 'leaving']) {
    run.seedService({ name: svc(p), ingress: 'INGRESS_TRAFFIC_ALL' });
    run.seedPolicy(svc(p), { bindings: [] });
  }
  rm.addProject({ projectId: 'team-a', parent: 'folders/200' });
  rm.addProject({ projectId: 'team-b', parent: 'folders/300' });
  rm.addProject({ projectId: 'sandbox-1', parent: 'folders/200' });
  rm.addProject({ projectId: 'leaving', parent: 'folders/200', state: 'DELETE_REQUESTED' });
});

function deps(scope: string): { deps: ReconcileDeps; h: ReturnType<typeof harness> } {
  const h = harness(run, client, CONFIG);
  return {
    h,
    deps: {
      ...h.deps,
      inventory: createRunInventory(client),
      scope,
      getProjectLister: () => createProjectLister({ endpoint: rm.endpoint }),
    },
  };
}

describe('reconcile: what is in scope', () => {
  it(
    'an organization: every active project Resource Manager shows, ' +
      'plus the ones the configuration names; off projects skipped',
    async () => {
      const { deps: d, h } = deps('organizations/100');
      const { projects, report } = await handleReconcile(d);
      expect(projects).toEqual(['sandbox-1', 'shop-prod', 'team-a', 'team-b']);
      expect(report.projects.map((p) => p.project).sort()).toEqual(['shop-prod', 'team-a', 'team-b']);
      expect(report.findings.map((f) => [f.project, f.done]).sort()).toEqual([
        ['shop-prod', 'reverted'],
        ['team-a', 'alerted'],
        ['team-b', 'alerted'],
      ]);
      expect(run.service(svc('leaving'))!.ingress).toBe('INGRESS_TRAFFIC_ALL');
      expect(h.notifier.summaries).toHaveLength(1);
    },
  );

  it('a single project: that project only, without asking Resource Manager', async () => {
    const { deps: d } = deps('projects/team-b');
    const { projects, report } = await handleReconcile(d);
    expect(projects).toEqual(['team-b']);
    expect(report.findings.map((f) => f.project)).toEqual(['team-b']);
    expect(rm.calls).toHaveLength(0);
  });

  it('a listing that fails still sweeps the named projects, and says what it could not list', async () => {
    rm.fail('SearchProjects', {
      code: grpc.status.PERMISSION_DENIED,
      message: "Permission 'resourcemanager.projects.get' denied",
      times: Infinity,
    });
    const { deps: d, h } = deps('folders/200');
    const { projects, report, listError } = await handleReconcile(d);
    expect(projects).toEqual(['shop-prod']);
    expect(listError).toMatch(/could not list the projects in folders\/200: .*resourcemanager\.projects\.get/);
    expect(report.unread[0]).toMatchObject({ project: 'folders/200', what: 'project list' });
    expect(h.logs.some((l) => l.event === 'sweep-list-failed' && l.severity === 'ERROR')).toBe(true);
  });
});
