import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// google.cloud.resourcemanager.v3.Projects (SearchProjects, GetProject, ListProjects) and Folders
// (GetFolder, for the ancestry `runguard recommend` walks) over real gRPC, built from the .proto files
// the client package ships, so the real ProjectsClient and FoldersClient can talk to it.

type Obj = Record<string, unknown>;
type State = 'ACTIVE' | 'DELETE_REQUESTED';

export interface ProjectSeed {
  projectId: string;
  /** The project number; assigned in order from 100000000001 when omitted. */
  number?: string;
  /** folders/N or organizations/N (default organizations/123456789012). */
  parent?: string;
  state?: State;
  /** Defaults to the project id. */
  displayName?: string;
}

export interface FolderSeed {
  /** folders/N */
  name: string;
  /** folders/N or organizations/N (default organizations/123456789012). */
  parent?: string;
  /** Defaults to the folder's name. */
  displayName?: string;
}

export interface FaultSpec {
  code: grpc.status;
  /** Defaults to the real API's wording for PERMISSION_DENIED, otherwise a generic message. */
  message?: string;
  /** How many calls fail before the method works again (default 1; Infinity for always). */
  times?: number;
  /** How many calls succeed before the fault starts (default 0): reaches a later page of a listing. */
  after?: number;
}

export interface ResourceManagerStandIn {
  /** "127.0.0.1:PORT" */
  endpoint: string;
  addProject(p: ProjectSeed): void;
  /** A folder GetFolder answers for; projects and folders may name it as their parent. */
  addFolder(f: FolderSeed): void;
  /**
   * Every call received, in order, including ones that failed. Requests as decoded: camelCase, only fields on the wire.
   */
  calls: Array<{ method: string; request: Record<string, unknown> }>;
  fail(method: string, fault: FaultSpec): void;
  latency(ms: number): void;
  /** Clears projects, folders, calls, faults and latency. */
  reset(): void;
  stop(): Promise<void>;
}

/**
 * The proto leaves page sizes to the server ("If unspecified, server picks an appropriate
 * default") and documents no maximum; these are the stand-in's own choices, exported so tests
 * can reason about page counts without guessing.
 */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PARENT = 'organizations/123456789012';

const PROJECT_METHODS = ['SearchProjects', 'GetProject', 'ListProjects'] as const;
const METHODS = [...PROJECT_METHODS, 'GetFolder'] as const;
type MethodName = (typeof METHODS)[number];

const require = createRequire(import.meta.url);
// build/src/index.js → build/
const rmBuild = resolve(dirname(require.resolve('@google-cloud/resource-manager')), '..');
// Common protos (api, iam, longrunning) come from the google-gax the client itself loads.
const gaxEntry = createRequire(resolve(rmBuild, 'src', 'index.js')).resolve('google-gax');
export const PROTO_DIRS = [resolve(rmBuild, 'protos'), resolve(dirname(gaxEntry), '..', 'protos')];

function loadServices(): { projects: grpc.ServiceClientConstructor; folders: grpc.ServiceClientConstructor } {
  const def = protoLoader.loadSync(
    ['google/cloud/resourcemanager/v3/projects.proto', 'google/cloud/resourcemanager/v3/folders.proto'],
    {
      includeDirs: PROTO_DIRS,
      keepCase: false,
      longs: String,
      enums: String,
      defaults: false,
      oneofs: false,
    },
  );
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    google: {
      cloud: {
        resourcemanager: {
          v3: { Projects: grpc.ServiceClientConstructor; Folders: grpc.ServiceClientConstructor };
        };
      };
    };
  };
  const v3 = pkg.google.cloud.resourcemanager.v3;
  return { projects: v3.Projects, folders: v3.Folders };
}

class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

interface Project {
  name: string;
  projectId: string;
  parent: string;
  state: State;
  displayName: string;
}

// --- SearchProjects query -----------------------------------------------------------------------
// Documented semantics: `field:value` terms, case-insensitive, a trailing `*` is a prefix match,
// and several terms match ANY of them (OR). Anything else is refused rather than guessed at, so a
// query the stand-in would misread fails loudly instead of returning plausible results.

const FIELDS: Record<string, (p: Project) => string> = {
  parent: (p) => p.parent,
  'parent.type': (p) => (p.parent.startsWith('folders/') ? 'folder' : 'organization'),
  'parent.id': (p) => p.parent.split('/')[1] ?? '',
  id: (p) => p.projectId,
  projectid: (p) => p.projectId,
  state: (p) => p.state,
  lifecyclestate: (p) => p.state,
  name: (p) => p.displayName,
  displayname: (p) => p.displayName,
};

function parseQuery(query: string): (p: Project) => boolean {
  const terms = query.trim().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return () => true;
  const tests = terms.map((term) => {
    const m = /^([A-Za-z.]+):([A-Za-z0-9_\-/.*]+)$/.exec(term);
    const field = m && FIELDS[m[1]!.toLowerCase()];
    if (!m || !field || (m[2]!.includes('*') && !m[2]!.endsWith('*'))) {
      throw new RpcError(
        grpc.status.INVALID_ARGUMENT,
        `Request contains an invalid argument: unsupported query term "${term}".`,
      );
    }
    const want = m[2]!.toLowerCase();
    const key = m[1]!.toLowerCase();
    if (
      (key === 'state' || key === 'lifecyclestate') &&
      !want.endsWith('*') &&
      want !== 'active' &&
      want !== 'delete_requested'
    ) {
      throw new RpcError(
        grpc.status.INVALID_ARGUMENT,
        `Request contains an invalid argument: unknown state "${m[2]}".`,
      );
    }
    return (p: Project): boolean => {
      const have = field(p).toLowerCase();
      return want.endsWith('*') ? have.length > 0 && have.startsWith(want.slice(0, -1)) : have === want;
    };
  });
  return (p) => tests.some((t) => t(p));
}

// --- page tokens ---------------------------------------------------------------------------------
// Opaque to callers, bound to the query they were issued for (as real APIs do), so a token replayed
// with another query is an error rather than a silently wrong page.

function encodeToken(offset: number, scope: string): string {
  return Buffer.from(JSON.stringify({ o: offset, s: scope })).toString('base64url');
}

function decodeToken(token: string, scope: string): number {
  if (!token) return 0;
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown; s?: unknown };
    if (typeof t.o === 'number' && Number.isInteger(t.o) && t.o >= 0 && t.s === scope) return t.o;
  } catch {
    /* fall through */
  }
  throw new RpcError(grpc.status.INVALID_ARGUMENT, 'Request contains an invalid argument: invalid page token.');
}

function pageSizeOf(req: Obj): number {
  const n = Number(req.pageSize ?? 0);
  if (n < 0)
    throw new RpcError(
      grpc.status.INVALID_ARGUMENT,
      'Request contains an invalid argument: page_size must not be negative.',
    );
  return n === 0 ? DEFAULT_PAGE_SIZE : Math.min(n, MAX_PAGE_SIZE);
}

function page(all: Project[], req: Obj, scope: string): { projects: Project[]; nextPageToken: string } {
  const size = pageSizeOf(req);
  const offset = decodeToken(String(req.pageToken ?? ''), scope);
  const end = offset + size;
  return { projects: all.slice(offset, end), nextPageToken: end < all.length ? encodeToken(end, scope) : '' };
}

const permissionDenied = (permission: string, resource: string): string =>
  `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`;

const PERMISSIONS: Record<MethodName, string> = {
  SearchProjects: 'resourcemanager.projects.get',
  GetProject: 'resourcemanager.projects.get',
  ListProjects: 'resourcemanager.projects.list',
  GetFolder: 'resourcemanager.folders.get',
};

export async function startResourceManagerStandIn(): Promise<ResourceManagerStandIn> {
  const services = loadServices();
  // Insertion order is the search order: stable across pages while projects are only added.
  const projects = new Map<string, Project>();
  const folders = new Map<string, { name: string; parent: string; displayName: string; state: 'ACTIVE' }>();
  const faults = new Map<string, Required<FaultSpec>[]>();
  const calls: ResourceManagerStandIn['calls'] = [];
  let latencyMs = 0;
  let nextNumber = 100000000001n;

  const find = (name: string): Project | undefined => {
    const direct = projects.get(name);
    if (direct) return direct;
    // GetProject also accepts projects/PROJECT_ID.
    const id = name.startsWith('projects/') ? name.slice('projects/'.length) : '';
    return [...projects.values()].find((p) => p.projectId === id);
  };

  const handlers: Record<MethodName, (req: Obj) => Obj> = {
    SearchProjects: (req) => {
      const query = String(req.query ?? '');
      const match = parseQuery(query);
      return page([...projects.values()].filter(match), req, `search:${query}`);
    },
    GetProject: (req) => {
      const name = String(req.name ?? '');
      if (!/^projects\/[^/]+$/.test(name))
        throw new RpcError(grpc.status.INVALID_ARGUMENT, `Request contains an invalid argument: name "${name}".`);
      const p = find(name);
      // Real Resource Manager does not reveal whether a project exists to callers who cannot see it.
      if (!p) throw new RpcError(grpc.status.PERMISSION_DENIED, permissionDenied('resourcemanager.projects.get', name));
      return { ...p };
    },
    ListProjects: (req) => {
      const parent = String(req.parent ?? '');
      if (!/^(folders|organizations)\/\d+$/.test(parent)) {
        throw new RpcError(grpc.status.INVALID_ARGUMENT, `Request contains an invalid argument: parent "${parent}".`);
      }
      const showDeleted = Boolean(req.showDeleted);
      // Direct children only, sorted by display name, as the proto documents.
      const children = [...projects.values()]
        .filter((p) => p.parent === parent && (showDeleted || p.state === 'ACTIVE'))
        .sort((a, b) => a.displayName.localeCompare(b.displayName) || a.name.localeCompare(b.name));
      return page(children, req, `list:${parent}:${showDeleted}`);
    },
    GetFolder: (req) => {
      const name = String(req.name ?? '');
      if (!/^folders\/\d+$/.test(name))
        throw new RpcError(grpc.status.INVALID_ARGUMENT, `Request contains an invalid argument: name "${name}".`);
      const f = folders.get(name);
      if (!f) throw new RpcError(grpc.status.PERMISSION_DENIED, permissionDenied('resourcemanager.folders.get', name));
      return { ...f };
    },
  };

  const takeFault = (method: MethodName, req: Obj): RpcError | undefined => {
    const queue = faults.get(method);
    const fault = queue?.[0];
    if (!queue || !fault) return undefined;
    if (fault.after > 0) {
      fault.after--;
      return undefined;
    }
    if (--fault.times <= 0) queue.shift();
    const resource = String(req.name ?? req.parent ?? 'projects');
    return new RpcError(
      fault.code,
      fault.message ||
        (fault.code === grpc.status.PERMISSION_DENIED
          ? permissionDenied(PERMISSIONS[method], resource)
          : `${grpc.status[fault.code]}: injected by the Resource Manager stand-in`),
    );
  };

  const unary =
    (method: MethodName): grpc.handleUnaryCall<Obj, Obj> =>
    (call, callback) => {
      const request = call.request;
      calls.push({ method, request });
      void (async () => {
        if (latencyMs > 0) await sleep(latencyMs);
        const fault = takeFault(method, request);
        if (fault) throw fault;
        return handlers[method](request);
      })().then(
        (res) => callback(null, res),
        (err: unknown) =>
          callback(
            err instanceof RpcError
              ? { code: err.code, details: err.message }
              : { code: grpc.status.INTERNAL, details: `stand-in bug: ${String(err)}` },
          ),
      );
    };

  const server = new grpc.Server();
  server.addService(services.projects.service, Object.fromEntries(PROJECT_METHODS.map((m) => [m, unary(m)])));
  server.addService(services.folders.service, { GetFolder: unary('GetFolder') });
  const port = await new Promise<number>((ok, ko) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? ko(err) : ok(p)));
  });

  return {
    endpoint: `127.0.0.1:${port}`,
    calls,
    addProject: (seed) => {
      if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(seed.projectId))
        throw new Error(`invalid project id "${seed.projectId}"`);
      if ([...projects.values()].some((p) => p.projectId === seed.projectId))
        throw new Error(`project ${seed.projectId} already exists`);
      const number = seed.number ?? String(nextNumber++);
      if (!/^\d+$/.test(number)) throw new Error(`invalid project number "${number}"`);
      const name = `projects/${number}`;
      if (projects.has(name)) throw new Error(`project number ${number} already exists`);
      const parent = seed.parent ?? DEFAULT_PARENT;
      if (!/^(folders|organizations)\/\d+$/.test(parent)) throw new Error(`invalid parent "${parent}"`);
      projects.set(name, {
        name,
        projectId: seed.projectId,
        parent,
        state: seed.state ?? 'ACTIVE',
        displayName: seed.displayName ?? seed.projectId,
      });
    },
    addFolder: (seed) => {
      if (!/^folders\/\d+$/.test(seed.name)) throw new Error(`invalid folder name "${seed.name}"`);
      if (folders.has(seed.name)) throw new Error(`folder ${seed.name} already exists`);
      const parent = seed.parent ?? DEFAULT_PARENT;
      if (!/^(folders|organizations)\/\d+$/.test(parent)) throw new Error(`invalid parent "${parent}"`);
      folders.set(seed.name, { name: seed.name, parent, displayName: seed.displayName ?? seed.name, state: 'ACTIVE' });
    },
    fail: (method, fault) => {
      if (!(METHODS as readonly string[]).includes(method)) throw new Error(`the stand-in does not serve ${method}`);
      const queue = faults.get(method) ?? [];
      queue.push({ code: fault.code, message: fault.message ?? '', times: fault.times ?? 1, after: fault.after ?? 0 });
      faults.set(method, queue);
    },
    latency: (ms) => {
      latencyMs = ms;
    },
    reset: () => {
      projects.clear();
      folders.clear();
      faults.clear();
      calls.length = 0;
      latencyMs = 0;
      nextNumber = 100000000001n;
    },
    stop: () =>
      new Promise<void>((ok) => {
        // Clients may keep their channel open; do not let that hold the shutdown up.
        const timer = setTimeout(() => server.forceShutdown(), 1000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          ok();
        });
      }),
  };
}
