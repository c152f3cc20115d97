// The reconcile sweep's project listing through the real ProjectsClient against the stand-in.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import {
  createProjectLister,
  ProjectListError,
  searchQueryForScope,
  type ProjectLister,
} from '../../functions/clients/projects.js';
import {
  DEFAULT_PAGE_SIZE,
  startResourceManagerStandIn,
  type ResourceManagerStandIn,
} from '../../stand-ins/resource-manager/index.js';

process.env.METADATA_SERVER_DETECTION = 'none';

let standIn: ResourceManagerStandIn;
let lister: ProjectLister;

beforeAll(async () => {
  standIn = await startResourceManagerStandIn();
  lister = await createProjectLister({ endpoint: standIn.endpoint });
});
afterAll(async () => {
  await lister?.close();
  await standIn?.stop();
});
beforeEach(() => standIn.reset());

const searchCalls = (): Record<string, unknown>[] =>
  standIn.calls.filter((c) => c.method === 'SearchProjects').map((c) => c.request);

describe('createProjectLister().list', () => {
  it(
    'follows page tokens through 1,200 active projects, ' + 'each once, skipping DELETE_REQUESTED ones among them',
    async () => {
      const active = new Set<string>();
      for (let i = 0; i < 1250; i++) {
        const projectId = `team-${String(i).padStart(4, '0')}`;
        // Every 25th project is pending deletion: 50 of them, spread over every page.
        const deleting = i % 25 === 24;
        standIn.addProject({
          projectId,
          parent: `folders/${100 + (i % 3)}`,
          state: deleting ? 'DELETE_REQUESTED' : 'ACTIVE',
        });
        if (!deleting) active.add(projectId);
      }
      expect(active.size).toBe(1200);

      const projects = await lister.list();
      const ids = projects.map((p) => p.projectId);
      expect(ids).toHaveLength(1200);
      expect(new Set(ids)).toEqual(active);
      expect(projects.every((p) => p.state === 'ACTIVE')).toBe(true);
      expect(searchCalls()).toHaveLength(Math.ceil(1250 / DEFAULT_PAGE_SIZE));
      expect(
        searchCalls()
          .slice(1)
          .every((r) => typeof r.pageToken === 'string' && r.pageToken !== ''),
      ).toBe(true);
    },
  );

  it('returns the fields the sweep needs, in the documented shapes', async () => {
    standIn.addProject({
      projectId: 'payments-prod',
      number: '415104041262',
      parent: 'folders/77',
      displayName: 'Payments (prod)',
    });
    expect(await lister.list()).toEqual([
      {
        projectId: 'payments-prod',
        name: 'projects/415104041262',
        parent: 'folders/77',
        state: 'ACTIVE',
        displayName: 'Payments (prod)',
      },
    ]);
  });

  it('a project pending deletion is never returned, even when the query asks for it', async () => {
    standIn.addProject({ projectId: 'going-away', state: 'DELETE_REQUESTED' });
    standIn.addProject({ projectId: 'staying-on' });
    expect((await lister.list()).map((p) => p.projectId)).toEqual(['staying-on']);
    expect(await lister.list('state:DELETE_REQUESTED')).toEqual([]);
  });

  it('a query narrows the search and is sent as given', async () => {
    standIn.addProject({ projectId: 'in-folder-a', parent: 'folders/42' });
    standIn.addProject({ projectId: 'in-folder-b', parent: 'folders/43' });
    standIn.addProject({ projectId: 'under-org', parent: 'organizations/9' });
    expect((await lister.list('parent:folders/42')).map((p) => p.projectId)).toEqual(['in-folder-a']);
    expect(searchCalls().at(-1)!.query).toBe('parent:folders/42');
    // No query field at all when there is no query, so the server applies none.
    await lister.list();
    expect(searchCalls().at(-1)).not.toHaveProperty('query');
  });
});

describe('folder scope', () => {
  it('searches everything visible, because parent:folders/N would miss projects in sub-folders', async () => {
    // folders/100 is the deployment scope; folders/200 is a sub-folder of it.
    standIn.addProject({ projectId: 'direct-child', parent: 'folders/100' });
    standIn.addProject({ projectId: 'grandchild', parent: 'folders/200' });
    const query = searchQueryForScope('folders/100');
    expect((await lister.list(query)).map((p) => p.projectId).sort()).toEqual(['direct-child', 'grandchild']);
    // What a parent query would have found instead: the sub-folder's project is lost.
    expect((await lister.list('parent:folders/100')).map((p) => p.projectId)).toEqual(['direct-child']);
  });

  it(
    'organization scope also searches everything visible; ' + 'anything but organizations/N or folders/N is refused',
    () => {
      expect(searchQueryForScope('organizations/123456789012')).toBeUndefined();
      for (const bad of ['projects/p1', 'folders/', 'folders/abc', 'organizations/1/folders/2', '']) {
        expect(() => searchQueryForScope(bad)).toThrow(
          expect.objectContaining({ code: 'invalid' }) as unknown as Error,
        );
      }
    },
  );
});

describe('errors', () => {
  it('PERMISSION_DENIED becomes ProjectListError permission-denied with the API message', async () => {
    standIn.addProject({ projectId: 'hidden-one' });
    standIn.fail('SearchProjects', { code: grpc.status.PERMISSION_DENIED });
    const err = await lister.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProjectListError);
    expect(err).toMatchObject({
      code: 'permission-denied',
      message: expect.stringContaining("Permission 'resourcemanager.projects.get' denied"),
    });
    expect(searchCalls()).toHaveLength(1); // not retried
  });

  it('a query the API cannot parse is invalid', async () => {
    await expect(lister.list('parent=folders/1')).rejects.toMatchObject({ name: 'ProjectListError', code: 'invalid' });
  });

  it(
    'a single UNAVAILABLE on a later page is retried with the same token, ' +
      'and the listing completes without duplicates',
    async () => {
      for (let i = 0; i < DEFAULT_PAGE_SIZE + 5; i++)
        standIn.addProject({ projectId: `svc-${String(i).padStart(3, '0')}` });
      standIn.fail('SearchProjects', { code: grpc.status.UNAVAILABLE, times: 1, after: 1 });
      const ids = (await lister.list()).map((p) => p.projectId);
      expect(ids).toHaveLength(DEFAULT_PAGE_SIZE + 5);
      expect(new Set(ids).size).toBe(ids.length);
      const reqs = searchCalls();
      expect(reqs).toHaveLength(3); // first page, second page (fails), second page again
      expect(reqs[1]!.pageToken).toMatch(/.+/);
      expect(reqs[2]!.pageToken).toBe(reqs[1]!.pageToken);
    },
  );

  it('a lasting outage gives up after a few attempts as unavailable', async () => {
    standIn.fail('SearchProjects', { code: grpc.status.UNAVAILABLE, times: Infinity });
    const started = Date.now();
    await expect(lister.list()).rejects.toMatchObject({
      name: 'ProjectListError',
      code: 'unavailable',
      message: expect.stringContaining('UNAVAILABLE'),
    });
    expect(searchCalls()).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('createProjectLister endpoint', () => {
  it.each([
    '10.0.0.1:443',
    'cloudresourcemanager.googleapis.com:443',
    '127.0.0.1.nip.io:80',
    'localhost.example.com:80',
    '127.0.0.1',
    '[::2]:80',
  ])('refuses plaintext to a non-loopback endpoint (%s)', async (endpoint) => {
    await expect(createProjectLister({ endpoint })).rejects.toThrow(/endpoint must be loopback host:port/);
  });

  it('accepts localhost as loopback and reaches the stand-in', async () => {
    standIn.addProject({ projectId: 'via-localhost' });
    const viaName = await createProjectLister({ endpoint: standIn.endpoint.replace('127.0.0.1', 'localhost') });
    try {
      expect((await viaName.list()).map((p) => p.projectId)).toEqual(['via-localhost']);
    } finally {
      await viaName.close();
    }
  });
});
