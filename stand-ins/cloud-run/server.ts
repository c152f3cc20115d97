import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadGrpcPackage, packService, type Obj } from './protos.js';
import { RunState, StandInError, type Binding, type Policy } from './state.js';

export type MethodName =
  | 'GetService'
  | 'ListServices'
  | 'CreateService'
  | 'UpdateService'
  | 'DeleteService'
  | 'GetIamPolicy'
  | 'SetIamPolicy'
  | 'GetOperation'
  | 'ListLocations';

export interface CallRecord {
  method: MethodName;
  /** As decoded by proto-loader: camelCase, enums as names, only fields present on the wire. */
  request: Obj;
  metadata: Record<string, grpc.MetadataValue>;
  at: number;
}

export interface FaultSpec {
  code: grpc.status;
  /** Defaults to the real API's wording for PERMISSION_DENIED, otherwise a generic message. */
  message?: string;
  /** How many calls fail before the method works again (default 1; Infinity for always). */
  times?: number;
}

export type BeforeHook = (request: Obj, standIn: CloudRunStandIn) => void | Promise<void>;

// A type alias, not an interface: only aliases are assignable to gax's index-signature ClientOptions.
export type ClientOptions = {
  apiEndpoint: string;
  port: number;
  sslCreds: grpc.ChannelCredentials;
  universeDomain: string;
};

export interface StartOptions {
  /** Long-running operations report done:false for this many GetOperation polls (default 0). */
  pendingPolls?: number;
  /** Long-running operations take this long to finish, as real Cloud Run's do (default 0: done at once). */
  operationMs?: number;
}

export interface CloudRunStandIn {
  port: number;
  /** Exactly what `new ServicesClient(clientOptions)` needs to talk to this stand-in. */
  clientOptions: ClientOptions;
  /** Every call received, in order, including ones that failed. */
  calls: CallRecord[];
  callsTo(method: MethodName): CallRecord[];
  seedService(service: Obj): Obj;
  seedPolicy(name: string, policy: { bindings?: Binding[]; version?: number }): Policy;
  service(name: string): Obj | undefined;
  policy(name: string): Policy | undefined;
  fail(method: MethodName, fault: FaultSpec): void;
  latency(ms: number): void;
  /** Runs before the method does its work (after faults); returns a remover. */
  onBefore(method: MethodName, hook: BeforeHook, opts?: { times?: number }): () => void;
  pendingPolls(n: number): void;
  /** Long-running operations started from now on take this long (ms) before GetOperation reports them done. */
  operationDuration(ms: number): void;
  /** The regions ListLocations answers with (default: DEFAULT_LOCATIONS). */
  setLocations(locations: readonly string[]): void;
  /** Clears services, policies, calls, faults, hooks, latency and pending operations. */
  reset(): void;
  close(): Promise<void>;
}

const PERMISSIONS: Record<MethodName, string> = {
  GetService: 'run.services.get',
  ListServices: 'run.services.list',
  CreateService: 'run.services.create',
  UpdateService: 'run.services.update',
  DeleteService: 'run.services.delete',
  GetIamPolicy: 'run.services.getIamPolicy',
  SetIamPolicy: 'run.services.setIamPolicy',
  GetOperation: 'run.operations.get',
  ListLocations: 'run.locations.list',
};

/** The message real GCP returns for a missing IAM permission. */
export function permissionDeniedMessage(permission: string, resource: string): string {
  return `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`;
}

function resourceOf(req: Obj): string {
  const svc = req.service as Obj | undefined;
  return String(req.name ?? req.resource ?? svc?.name ?? req.parent ?? '');
}

// structuredClone turns a Buffer into a plain Uint8Array, so the etag is copied by hand.
function clonePolicy(p: Policy): Policy {
  return {
    version: p.version,
    bindings: structuredClone(p.bindings),
    auditConfigs: structuredClone(p.auditConfigs),
    etag: Buffer.from(p.etag),
  };
}

interface PendingOp {
  pollsLeft: number;
  doneAt: number;
  done: Obj;
  pending: Obj;
}

/** Cloud Run regions as `gcloud run regions list` printed them in 2025: what a project sees by default. */
export const DEFAULT_LOCATIONS: readonly string[] = [
  'africa-south1',
  'asia-east1',
  'asia-east2',
  'asia-northeast1',
  'asia-northeast2',
  'asia-northeast3',
  'asia-south1',
  'asia-south2',
  'asia-southeast1',
  'asia-southeast2',
  'australia-southeast1',
  'australia-southeast2',
  'europe-central2',
  'europe-north1',
  'europe-north2',
  'europe-southwest1',
  'europe-west1',
  'europe-west10',
  'europe-west12',
  'europe-west2',
  'europe-west3',
  'europe-west4',
  'europe-west6',
  'europe-west8',
  'europe-west9',
  'me-central1',
  'me-central2',
  'me-west1',
  'northamerica-northeast1',
  'northamerica-northeast2',
  'northamerica-south1',
  'southamerica-east1',
  'southamerica-west1',
  'us-central1',
  'us-east1',
  'us-east4',
  'us-east5',
  'us-south1',
  'us-west1',
  'us-west2',
  'us-west3',
  'us-west4',
];

export async function startCloudRunStandIn(opts: StartOptions = {}): Promise<CloudRunStandIn> {
  const { services, operations, locations: locationsService } = loadGrpcPackage();
  let regions: readonly string[] = DEFAULT_LOCATIONS;
  const state = new RunState();
  const ops = new Map<string, PendingOp>();
  const faults = new Map<MethodName, Required<FaultSpec>[]>();
  const hooks = new Map<MethodName, { hook: BeforeHook; left: number }[]>();
  let latencyMs = 0;
  let pendingPolls = opts.pendingPolls ?? 0;
  let operationMs = opts.operationMs ?? 0;
  const calls: CallRecord[] = [];

  const operation = (svc: Obj): Obj => {
    const [, project, , location] = String(svc.name).split('/');
    const name = `projects/${project}/locations/${location}/operations/${randomUUID()}`;
    // Real Cloud Run puts the Service in metadata while running and in response once done.
    const pending = { name, done: false, metadata: packService(svc) };
    const done = { ...pending, done: true, response: packService(svc) };
    if (pendingPolls <= 0 && operationMs <= 0) return done;
    ops.set(name, { pollsLeft: pendingPolls, doneAt: Date.now() + operationMs, pending, done });
    return pending;
  };

  const handlers: Record<MethodName, (req: Obj) => Obj> = {
    GetService: (req) => state.getService(req.name as string),
    ListServices: (req) =>
      state.listServices(String(req.parent ?? ''), Number(req.pageSize ?? 0), String(req.pageToken ?? '')),
    CreateService: (req) =>
      operation(
        state.createService(
          String(req.parent ?? ''),
          String(req.serviceId ?? ''),
          (req.service ?? {}) as Obj,
          Boolean(req.validateOnly),
        ),
      ),
    UpdateService: (req) =>
      operation(
        state.updateService(
          (req.service ?? {}) as Obj,
          (req.updateMask as { paths?: string[] } | undefined)?.paths,
          Boolean(req.validateOnly),
        ),
      ),
    DeleteService: (req) =>
      operation(state.deleteService(req.name as string, req.etag as string | undefined, Boolean(req.validateOnly))),
    GetIamPolicy: (req) => state.getPolicy(req.resource as string) as unknown as Obj,
    SetIamPolicy: (req) =>
      state.setPolicy(req.resource as string, (req.policy ?? {}) as Partial<Policy>) as unknown as Obj,
    ListLocations: (req) => {
      const m = /^projects\/([^/]+)$/.exec(String(req.name ?? ''));
      if (!m) throw new StandInError(grpc.status.INVALID_ARGUMENT, `Invalid resource name '${String(req.name ?? '')}'`);
      // One page: the real list is ~40 regions, below any page size.
      return {
        locations: regions.map((id) => ({
          name: `projects/${m[1]}/locations/${id}`,
          locationId: id,
          displayName: id,
          labels: {},
        })),
        nextPageToken: '',
      };
    },
    GetOperation: (req) => {
      const op = ops.get(req.name as string);
      if (!op) throw new StandInError(grpc.status.NOT_FOUND, `Operation '${String(req.name)}' not found.`);
      if (op.pollsLeft-- > 0 || Date.now() < op.doneAt) return op.pending;
      return op.done;
    },
  };

  const takeFault = (method: MethodName, req: Obj): StandInError | undefined => {
    const queue = faults.get(method);
    const fault = queue?.[0];
    if (!queue || !fault) return undefined;
    if (--fault.times <= 0) queue.shift();
    return new StandInError(
      fault.code,
      fault.message ||
        (fault.code === grpc.status.PERMISSION_DENIED
          ? permissionDeniedMessage(PERMISSIONS[method], resourceOf(req))
          : `${grpc.status[fault.code]}: injected by the Cloud Run stand-in`),
    );
  };

  const unary =
    (method: MethodName): grpc.handleUnaryCall<Obj, Obj> =>
    (call, callback) => {
      const request = call.request;
      calls.push({ method, request, metadata: call.metadata.getMap(), at: Date.now() });
      void (async () => {
        if (latencyMs > 0) await sleep(latencyMs);
        const fault = takeFault(method, request);
        if (fault) throw fault;
        for (const entry of [...(hooks.get(method) ?? [])]) {
          if (entry.left-- <= 0) continue;
          await entry.hook(request, standIn);
        }
        return handlers[method](request);
      })().then(
        (res) => callback(null, res),
        (err: unknown) =>
          callback(
            err instanceof StandInError
              ? { code: err.code, details: err.message }
              : { code: grpc.status.INTERNAL, details: `stand-in bug: ${String(err)}` },
          ),
      );
    };

  const server = new grpc.Server();
  server.addService(
    services.service,
    Object.fromEntries(
      (
        [
          'GetService',
          'ListServices',
          'CreateService',
          'UpdateService',
          'DeleteService',
          'GetIamPolicy',
          'SetIamPolicy',
        ] as const
      ).map((m) => [m, unary(m)]),
    ),
  );
  server.addService(operations.service, { GetOperation: unary('GetOperation') });
  server.addService(locationsService.service, { ListLocations: unary('ListLocations') });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });

  const standIn: CloudRunStandIn = {
    port,
    clientOptions: {
      apiEndpoint: '127.0.0.1', // not '127.0.0.1:PORT': gax appends the port itself
      port,
      sslCreds: grpc.credentials.createInsecure(),
      universeDomain: 'googleapis.com', // skips the ADC / metadata-server probe
    },
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    seedService: (svc) => structuredClone(state.seedService(svc)),
    seedPolicy: (name, policy) => {
      state.getService(name); // a policy without its service cannot exist
      return clonePolicy(state.setPolicyRaw(name, policy));
    },
    service: (name) => structuredClone(state.services.get(name)),
    policy: (name) => {
      const p = state.policies.get(name);
      return p && clonePolicy(p);
    },
    fail: (method, fault) => {
      const queue = faults.get(method) ?? [];
      queue.push({ code: fault.code, message: fault.message ?? '', times: fault.times ?? 1 });
      faults.set(method, queue);
    },
    latency: (ms) => {
      latencyMs = ms;
    },
    onBefore: (method, hook, o = {}) => {
      const entry = { hook, left: o.times ?? Infinity };
      hooks.set(method, [...(hooks.get(method) ?? []), entry]);
      return () =>
        hooks.set(
          method,
          (hooks.get(method) ?? []).filter((e) => e !== entry),
        );
    },
    pendingPolls: (n) => {
      pendingPolls = n;
    },
    operationDuration: (ms) => {
      operationMs = ms;
    },
    setLocations: (list) => {
      regions = [...list];
    },
    reset: () => {
      state.reset();
      ops.clear();
      faults.clear();
      hooks.clear();
      calls.length = 0;
      latencyMs = 0;
      regions = DEFAULT_LOCATIONS;
      pendingPolls = opts.pendingPolls ?? 0;
      operationMs = opts.operationMs ?? 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        // Clients may keep their channel open; do not let that hold the shutdown up.
        const timer = setTimeout(() => server.forceShutdown(), 1000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
  return standIn;
}
