import type { ServicesClient } from '@google-cloud/run';
import type { Binding, Ingress, Policy, RunService } from '../core/types.js';
import { requireExternal } from '../clients/external.js';
import { type GaxOperationsModule, servicesOnlyGax } from '../clients/gax-services.js';
import { loopbackClientOptions, loopbackEndpoint } from '../clients/loopback.js';
import { fromV2 } from '../events/run-service.js';
import { RunPortError, toGoogleApiError } from '../core/google-api-error.js';
import type { RunInventory, RunPort, ServiceChange } from './types.js';

// The Cloud Run v2 client behind RunPort. Every failure leaves here as a RunPortError with a code,
// so the executor never reads gRPC numbers or message text.

type Rec = Record<string, unknown>;
type Gax = typeof import('google-gax');
interface OperationLike {
  name?: string | null;
  promise(): Promise<readonly unknown[]>;
}
type WireBinding = { role: string; members: string[]; condition?: Binding['condition'] };

/** The part of ServicesClient RunPort uses; a fake can implement just this. */
export interface ServicesClientLike {
  getService(req: { name: string }): Promise<readonly [object | null | undefined, ...unknown[]]>;
  updateService(
    req: {
      service: { name: string; ingress?: Ingress; invokerIamDisabled?: boolean; etag: string };
      updateMask: { paths: string[] };
    },
    opts?: { longrunning?: typeof POLL },
  ): Promise<readonly [OperationLike, ...unknown[]]>;
  checkUpdateServiceProgress(name: string): Promise<OperationLike>;
  getIamPolicy(req: {
    resource: string;
    options: { requestedPolicyVersion: number };
  }): Promise<readonly [object | null | undefined, ...unknown[]]>;
  setIamPolicy(req: {
    resource: string;
    policy: { version: number; bindings: WireBinding[]; etag: Uint8Array };
  }): Promise<readonly [object | null | undefined, ...unknown[]]>;
}

/** The listing part of ServicesClient (the Locations mixin included) the sweep uses. */
export interface InventoryClientLike {
  listLocationsAsync(
    req: { name: string },
    opts: { autoPaginate: false },
  ): AsyncIterable<{ locationId?: string | null }>;
  listServicesAsync(req: { parent: string; pageSize: number }, opts: { autoPaginate: false }): AsyncIterable<object>;
}

/**
 * Production: no endpoint, ADC and TLS. `endpoint` ("127.0.0.1:PORT") is for tests and local demos:
 * plaintext, so it is refused for anything but loopback. Loaded lazily: the library costs ~300 ms
 * and most events never touch Cloud Run.
 */
export async function createServicesClient(opts: { endpoint?: string } = {}): Promise<ServicesClient> {
  const { ServicesClient: Client } = requireExternal(
    'runServices',
  ) as typeof import('@google-cloud/run/build/src/v2/services_client.js');
  const gax = servicesOnlyGax(
    requireExternal('runGax') as Gax,
    requireExternal('runGaxOperations') as GaxOperationsModule,
  ) as ConstructorParameters<typeof Client>[1];
  if (!opts.endpoint) return decodeOperationsOnce(new Client({}, gax));
  const local = loopbackEndpoint(opts.endpoint, 'Cloud Run');
  return decodeOperationsOnce(new Client(await loopbackClientOptions(local), gax));
}

/**
 * The generated client hands gax protobufjs's `decode` *stub* bound to the Service type, and the
 * stub regenerates the decoder on every call: ~1.8 ms of CPU for each long-running-operation
 * result, twice per update (measured: 100 decodes 176 ms against 1.5 ms). Decode with a Type that
 * has been set up once instead; the messages are the same.
 */
function decodeOperationsOnce(client: ServicesClient): ServicesClient {
  // gax caches the Root it built for the client from this same JSON: the same Type, not a second Root.
  const { protobufFromJSON } = requireExternal('runGax') as Gax;
  const service = protobufFromJSON(requireExternal('runProtos') as Parameters<Gax['protobufFromJSON']>[0]).lookupType(
    'google.cloud.run.v2.Service',
  );
  const decode = (bytes: Uint8Array) => service.decode(bytes);
  const descriptors = (
    client as unknown as {
      descriptors?: { longrunning?: Record<string, { responseDecoder?: unknown; metadataDecoder?: unknown }> };
    }
  ).descriptors;
  for (const d of Object.values(descriptors?.longrunning ?? {})) {
    if (d.responseDecoder) d.responseDecoder = decode;
    if (d.metadataDecoder) d.metadataDecoder = decode;
  }
  return client;
}

/** Any error from the client → RunPortError. */
export const toRunPortError = (err: unknown): RunPortError => toGoogleApiError(err, RunPortError);

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toRunPortError(err);
  }
}

async function orNull<T>(fn: () => Promise<T>): Promise<T | null> {
  try {
    return await call(fn);
  } catch (err) {
    if (err instanceof RunPortError && err.code === 'not-found') return null;
    throw err;
  }
}

// LRO results are protobufjs messages (enums as numbers, int64 as Long); toJSON gives the same
// plain shape unary calls return, so fromV2 sees one form.
const plain = (v: unknown): Rec => {
  const o = (v ?? {}) as Rec & { toJSON?: () => unknown };
  return typeof o.toJSON === 'function' ? (o.toJSON() as Rec) : o;
};

/**
 * How the update's operation is polled. gax's default waits 100 ms and then 1.3× longer each time
 * with no ceiling below 60 s, so a revert whose operation takes 10 s ends ~3 s after it is done
 * (measured in bench/round-trips.bench.ts); capped at 1 s, a revert ends within a second of it.
 */
const POLL = {
  initialRetryDelayMillis: 100,
  retryDelayMultiplier: 1.3,
  maxRetryDelayMillis: 1000,
  initialRpcTimeoutMillis: null,
  rpcTimeoutMultiplier: null,
  maxRpcTimeoutMillis: null,
  totalTimeoutMillis: null,
};

const SNAKE: Record<keyof ServiceChange, string> = { ingress: 'ingress', invokerIamDisabled: 'invoker_iam_disabled' };
const RESUMES = 3;

/**
 * Waits for the update. A failed poll does not mean a failed update (the write was accepted), so
 * an unavailable poll resumes from the operation name a few times before giving up as transient.
 */
async function settle(client: ServicesClientLike, op: OperationLike): Promise<unknown> {
  let last: RunPortError;
  try {
    return (await call(() => op.promise()))[0];
  } catch (err) {
    last = toRunPortError(err);
  }
  for (let i = 0; i < RESUMES && last.code === 'unavailable' && op.name; i++) {
    const name = op.name;
    try {
      return (await call(async () => (await client.checkUpdateServiceProgress(name)).promise()))[0];
    } catch (err) {
      last = toRunPortError(err);
    }
  }
  throw last;
}

const etagString = (v: unknown): string =>
  typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : '';

function toPolicy(v: unknown): Policy {
  const p = (v ?? {}) as Rec;
  const bindings = (Array.isArray(p.bindings) ? p.bindings : []).map((raw: Rec): Binding => {
    const b: Binding = {
      role: String(raw.role ?? ''),
      members: Array.isArray(raw.members) ? raw.members.map(String) : [],
    };
    // Kept whole (description, location too): a conditional binding must be written back as it was.
    if (raw.condition) b.condition = raw.condition as Binding['condition'];
    return b;
  });
  return { bindings, etag: etagString(p.etag) };
}

export function createRunPort(client: ServicesClientLike): RunPort {
  return {
    async getService(name: string): Promise<RunService | null> {
      const res = await orNull(() => client.getService({ name }));
      return res && fromV2(plain(res[0]), name);
    },

    async updateService(name: string, change: ServiceChange, etag: string): Promise<RunService> {
      const paths = (Object.keys(change) as (keyof ServiceChange)[])
        .filter((k) => change[k] !== undefined)
        .map((k) => SNAKE[k]);
      if (paths.length === 0) throw new RunPortError('invalid', 'updateService needs at least one field to change');
      if (!etag)
        throw new RunPortError(
          'invalid',
          'refusing to update a service without its etag: the write would not be guarded',
        );
      const [op] = await call(() =>
        client.updateService({ service: { name, ...change, etag }, updateMask: { paths } }, { longrunning: POLL }),
      );
      return fromV2(plain(await settle(client, op)), name);
    },

    async getIamPolicy(name: string): Promise<Policy | null> {
      // Version 3 so conditional bindings come back as they are, not rewritten to a placeholder role.
      const res = await orNull(() => client.getIamPolicy({ resource: name, options: { requestedPolicyVersion: 3 } }));
      return res && toPolicy(res[0]);
    },

    async setIamPolicy(name: string, policy: Policy): Promise<Policy> {
      // etag is a bytes field; the canonical Policy carries it as base64, as the REST API does.
      if (!policy.etag)
        throw new RunPortError(
          'invalid',
          'refusing to write an IAM policy without its etag: the write would not be guarded',
        );
      const etag = Buffer.from(policy.etag, 'base64');
      const version = policy.bindings.some((b) => b.condition) ? 3 : 1;
      const bindings = policy.bindings.map((b) => ({
        role: b.role,
        members: [...b.members],
        ...(b.condition ? { condition: b.condition } : {}),
      }));
      const [res] = await call(() => client.setIamPolicy({ resource: name, policy: { version, bindings, etag } }));
      return toPolicy(res);
    },
  };
}

export function createRunInventory(client: InventoryClientLike): RunInventory {
  const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
    const out: T[] = [];
    for await (const item of items) out.push(item);
    return out;
  };
  return {
    async listLocations(project: string): Promise<string[]> {
      const locations = await call(() =>
        collect(client.listLocationsAsync({ name: `projects/${project}` }, { autoPaginate: false })),
      );
      return locations.map((l) => l.locationId ?? '').filter((id) => id !== '');
    },
    async listServices(project: string, location: string): Promise<RunService[]> {
      const parent = `projects/${project}/locations/${location}`;
      // autoPaginate:false stops gax warning on async iteration; the iterator still follows page tokens.
      const services = await call(() =>
        collect(client.listServicesAsync({ parent, pageSize: 500 }, { autoPaginate: false })),
      );
      return services.map((s) => fromV2(plain(s), String((s as Rec).name ?? '')));
    },
  };
}
