// The Resource Manager stand-in through the real v3 ProjectsClient: paging, queries, faults.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { v3 } from '@google-cloud/resource-manager';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, startResourceManagerStandIn, type ResourceManagerStandIn } from './index.js';

process.env.METADATA_SERVER_DETECTION = 'none';

let standIn: ResourceManagerStandIn;
let client: v3.ProjectsClient;

beforeAll(async () => {
  standIn = await startResourceManagerStandIn();
  const [host, port] = standIn.endpoint.split(':');
  client = new v3.ProjectsClient({
    apiEndpoint: host!,
    port: Number(port),
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: 'googleapis.com',
  });
});
afterAll(async () => {
  await client?.close();
  await standIn?.stop();
});
beforeEach(() => standIn.reset());

const id = (i: number): string => `proj-${String(i).padStart(4, '0')}`;
const searchCalls = (): Record<string, unknown>[] =>
  standIn.calls.filter((c) => c.method === 'SearchProjects').map((c) => c.request);

async function searchAll(query?: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const p of client.searchProjectsAsync(query === undefined ? {} : { query }, { autoPaginate: false }))
    ids.push(p.projectId!);
  return ids;
}

describe('Resource Manager stand-in: SearchProjects paging', () => {
  it('1,200 projects come back each exactly once, over default-size pages chained by their tokens', async () => {
    for (let i = 0; i < 1200; i++) standIn.addProject({ projectId: id(i) });
    const ids = await searchAll();
    expect(ids).toHaveLength(1200);
    expect(new Set(ids).size).toBe(1200);
    expect(new Set(ids)).toEqual(new Set(Array.from({ length: 1200 }, (_, i) => id(i))));

    const reqs = searchCalls();
    expect(reqs).toHaveLength(1200 / DEFAULT_PAGE_SIZE);
    expect(reqs[0]!.pageToken ?? '').toBe('');
    const tokens = reqs.slice(1).map((r) => r.pageToken);
    expect(tokens.every((t) => typeof t === 'string' && t.length > 0)).toBe(true);
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('caps the page size, and the last page has no next token', async () => {
    for (let i = 0; i < MAX_PAGE_SIZE + 20; i++) standIn.addProject({ projectId: id(i) });
    const [first, , firstRes] = await client.searchProjects({ pageSize: 10_000 }, { autoPaginate: false });
    expect(first).toHaveLength(MAX_PAGE_SIZE);
    expect(firstRes!.nextPageToken).toMatch(/.+/);
    const [second, , secondRes] = await client.searchProjects(
      { pageSize: 10_000, pageToken: firstRes!.nextPageToken! },
      { autoPaginate: false },
    );
    expect(second.map((p) => p.projectId)).toEqual(Array.from({ length: 20 }, (_, i) => id(MAX_PAGE_SIZE + i)));
    expect(secondRes!.nextPageToken ?? '').toBe('');
  });

  it('a page token is refused with another query, and garbage tokens are INVALID_ARGUMENT', async () => {
    for (let i = 0; i < 3; i++) standIn.addProject({ projectId: id(i), parent: 'folders/7' });
    const [, , res] = await client.searchProjects({ query: 'parent:folders/7', pageSize: 1 }, { autoPaginate: false });
    const token = res!.nextPageToken!;
    await expect(
      client.searchProjects({ query: 'parent:folders/8', pageToken: token }, { autoPaginate: false }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    await expect(client.searchProjects({ pageToken: 'not-a-token' }, { autoPaginate: false })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    await expect(client.searchProjects({ pageSize: -1 }, { autoPaginate: false })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
  });
});

describe('Resource Manager stand-in: SearchProjects queries', () => {
  beforeEach(() => {
    standIn.addProject({ projectId: 'web-frontend', parent: 'folders/1' });
    standIn.addProject({ projectId: 'web-backend', parent: 'folders/2' });
    standIn.addProject({ projectId: 'data-lake', parent: 'organizations/9', displayName: 'Data Lake' });
    standIn.addProject({ projectId: 'old-thing', parent: 'folders/1', state: 'DELETE_REQUESTED' });
  });

  it('parent matches direct children only, and includes DELETE_REQUESTED (the client must filter)', async () => {
    expect((await searchAll('parent:folders/1')).sort()).toEqual(['old-thing', 'web-frontend']);
    expect(await searchAll('parent:organizations/9')).toEqual(['data-lake']);
    expect(await searchAll('parent:organizations/*')).toEqual(['data-lake']);
  });

  it('several terms match ANY of them; fields and values are case-insensitive; `*` is a prefix', async () => {
    expect((await searchAll('parent:folders/2 parent:organizations/9')).sort()).toEqual(['data-lake', 'web-backend']);
    expect(await searchAll('PARENT:Folders/2')).toEqual(['web-backend']);
    expect((await searchAll('id:web-*')).sort()).toEqual(['web-backend', 'web-frontend']);
    expect(await searchAll('state:delete_requested')).toEqual(['old-thing']);
    expect(await searchAll('name:data*')).toEqual(['data-lake']);
    expect(await searchAll('parent.type:organization')).toEqual(['data-lake']);
  });

  it('an empty query returns everything; enums reach the client as names', async () => {
    const all = [];
    for await (const p of client.searchProjectsAsync({}, { autoPaginate: false })) all.push(p);
    expect(all.map((p) => [p.projectId, p.state])).toEqual([
      ['web-frontend', 'ACTIVE'],
      ['web-backend', 'ACTIVE'],
      ['data-lake', 'ACTIVE'],
      ['old-thing', 'DELETE_REQUESTED'],
    ]);
    expect(all[2]).toMatchObject({
      name: 'projects/100000000003',
      parent: 'organizations/9',
      displayName: 'Data Lake',
    });
  });

  it.each([
    'parent=folders/1',
    '(parent:folders/1)',
    'nosuchfield:x',
    'parent:folders/1 AND state:ACTIVE',
    'state:gone',
    'id:w*b',
  ])('a query it cannot parse (%s) is INVALID_ARGUMENT', async (query) => {
    await expect(client.searchProjects({ query }, { autoPaginate: false })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
  });
});

describe('Resource Manager stand-in: GetProject and ListProjects', () => {
  beforeEach(() => {
    standIn.addProject({ projectId: 'zeta-proj', number: '555', parent: 'folders/1', displayName: 'Zeta' });
    standIn.addProject({ projectId: 'alpha-proj', parent: 'folders/1', displayName: 'Alpha' });
    standIn.addProject({ projectId: 'gone-proj', parent: 'folders/1', state: 'DELETE_REQUESTED' });
    standIn.addProject({ projectId: 'nested-proj', parent: 'folders/2' });
  });

  it(
    'GetProject by number or id; a missing project is PERMISSION_DENIED, ' + 'as the real API hides existence',
    async () => {
      expect((await client.getProject({ name: 'projects/555' }))[0]).toMatchObject({
        projectId: 'zeta-proj',
        state: 'ACTIVE',
      });
      expect((await client.getProject({ name: 'projects/alpha-proj' }))[0]).toMatchObject({
        name: 'projects/100000000001',
      });
      await expect(client.getProject({ name: 'projects/999' })).rejects.toMatchObject({
        code: grpc.status.PERMISSION_DENIED,
        details: "Permission 'resourcemanager.projects.get' denied on resource 'projects/999' (or it may not exist).",
      });
    },
  );

  it('ListProjects: direct children by display name, DELETE_REQUESTED only with showDeleted', async () => {
    const [active] = await client.listProjects({ parent: 'folders/1' }, { autoPaginate: false });
    expect(active.map((p) => p.displayName)).toEqual(['Alpha', 'Zeta']);
    const [all] = await client.listProjects({ parent: 'folders/1', showDeleted: true }, { autoPaginate: false });
    expect(all.map((p) => p.projectId)).toEqual(['alpha-proj', 'gone-proj', 'zeta-proj']);
    await expect(client.listProjects({ parent: 'projects/1' }, { autoPaginate: false })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
  });
});

describe('Resource Manager stand-in: faults, latency, reset', () => {
  it('fail() fails the next N calls with the real wording, then the method works again', async () => {
    standIn.addProject({ projectId: 'only-one' });
    standIn.fail('SearchProjects', { code: grpc.status.PERMISSION_DENIED, times: 2 });
    for (let i = 0; i < 2; i++) {
      await expect(client.searchProjects({}, { autoPaginate: false })).rejects.toMatchObject({
        code: grpc.status.PERMISSION_DENIED,
        details: "Permission 'resourcemanager.projects.get' denied on resource 'projects' (or it may not exist).",
      });
    }
    expect((await client.searchProjects({}, { autoPaginate: false }))[0].map((p) => p.projectId)).toEqual(['only-one']);
    expect(searchCalls()).toHaveLength(3);
    expect(() => standIn.fail('DeleteProject', { code: grpc.status.INTERNAL })).toThrow(/does not serve/);
  });

  it('fail() with after lets that many calls through first, so a later page can fail', async () => {
    standIn.addProject({ projectId: 'only-one' });
    standIn.fail('GetProject', { code: grpc.status.INTERNAL, after: 2 });
    await client.getProject({ name: 'projects/only-one' });
    await client.getProject({ name: 'projects/only-one' });
    await expect(client.getProject({ name: 'projects/only-one' })).rejects.toMatchObject({
      code: grpc.status.INTERNAL,
    });
    expect((await client.getProject({ name: 'projects/only-one' }))[0].projectId).toBe('only-one');
  });

  it('latency() delays answers: a client deadline shorter than it is DEADLINE_EXCEEDED', async () => {
    standIn.latency(400);
    const started = Date.now();
    await expect(client.searchProjects({}, { autoPaginate: false, timeout: 100 })).rejects.toMatchObject({
      code: grpc.status.DEADLINE_EXCEEDED,
    });
    expect(Date.now() - started).toBeLessThan(400);
    standIn.latency(0);
  });

  it('reset() forgets projects, calls and pending faults, and numbers restart', async () => {
    standIn.addProject({ projectId: 'before-reset' });
    standIn.fail('SearchProjects', { code: grpc.status.UNAVAILABLE, times: Infinity });
    standIn.reset();
    expect(standIn.calls).toEqual([]);
    standIn.addProject({ projectId: 'after-reset' });
    const [projects] = await client.searchProjects({}, { autoPaginate: false });
    expect(projects.map((p) => [p.projectId, p.name])).toEqual([['after-reset', 'projects/100000000001']]);
  });

  it('addProject refuses ids the API would refuse, and duplicates', () => {
    expect(() => standIn.addProject({ projectId: 'Bad_Id' })).toThrow(/invalid project id/);
    standIn.addProject({ projectId: 'dup-proj' });
    expect(() => standIn.addProject({ projectId: 'dup-proj' })).toThrow(/already exists/);
    expect(() => standIn.addProject({ projectId: 'other-proj', parent: 'projects/1' })).toThrow(/invalid parent/);
  });
});

describe('Resource Manager stand-in: GetFolder (folder ancestry)', () => {
  let folders: v3.FoldersClient;
  beforeAll(() => {
    const [host, port] = standIn.endpoint.split(':');
    folders = new v3.FoldersClient({
      apiEndpoint: host!,
      port: Number(port),
      sslCreds: grpc.credentials.createInsecure(),
      universeDomain: 'googleapis.com',
    });
  });
  afterAll(async () => {
    await folders?.close();
  });

  it('answers a folder with its parent, so a chain of folders can be walked up to the organization', async () => {
    standIn.addFolder({ name: 'folders/10', displayName: 'shop' });
    standIn.addFolder({ name: 'folders/11', parent: 'folders/10' });
    const [child] = await folders.getFolder({ name: 'folders/11' });
    expect([child.name, child.parent]).toEqual(['folders/11', 'folders/10']);
    const [top] = await folders.getFolder({ name: child.parent! });
    expect([top.parent, top.displayName]).toEqual(['organizations/123456789012', 'shop']);
    expect(standIn.calls.map((c) => c.method)).toEqual(['GetFolder', 'GetFolder']);
  });

  it('an unknown folder is PERMISSION_DENIED, as the API answers outsiders; reset() forgets it', async () => {
    standIn.addFolder({ name: 'folders/12' });
    standIn.reset();
    await expect(folders.getFolder({ name: 'folders/12' })).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
    await expect(folders.getFolder({ name: 'projects/12' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    expect(() => standIn.addFolder({ name: 'folders/x' })).toThrow(/invalid folder name/);
  });

  it('the projects service is unchanged beside it: a project may name a folder as its parent', async () => {
    standIn.addFolder({ name: 'folders/13' });
    standIn.addProject({ projectId: 'in-folder', parent: 'folders/13' });
    const [p] = await client.getProject({ name: 'projects/in-folder' });
    expect(p.parent).toBe('folders/13');
  });
});
