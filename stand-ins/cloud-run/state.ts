import { status } from '@grpc/grpc-js';
import { randomBytes, randomUUID } from 'node:crypto';
import { canonicalService, MUTABLE_SERVICE_FIELDS, type Obj } from './protos.js';

/** A gRPC error the server hands back as-is (code + details), as the real API would. */
export class StandInError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

export interface Binding {
  role: string;
  members: string[];
  condition?: Obj | null;
}
export interface Policy {
  version: number;
  bindings: Binding[];
  auditConfigs: Obj[];
  etag: Buffer;
}

const SERVICE_NAME = /^projects\/([^/]+)\/locations\/([^/]+)\/services\/([^/]+)$/;
const PARENT = /^projects\/([^/]+)\/locations\/([^/]+)$/;
// Member forms IAM accepts; anything else is INVALID_ARGUMENT, so typos in tests fail loudly.
const MEMBER = new RegExp(
  '^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|principal|principalSet|' +
    'deleted:user|deleted:serviceAccount|deleted:group):.+)$',
);

function parseName(name: unknown): { project: string; location: string; id: string } {
  const m = typeof name === 'string' ? SERVICE_NAME.exec(name) : null;
  if (!m)
    throw new StandInError(
      status.INVALID_ARGUMENT,
      `Invalid resource name '${String(name)}': expected projects/*/locations/*/services/*`,
    );
  return { project: m[1]!, location: m[2]!, id: m[3]! };
}

function notFound(name: string): StandInError {
  const { project, location, id } = parseName(name);
  // Wording of the real v2 API.
  return new StandInError(
    status.NOT_FOUND,
    `Resource '${id}' of kind 'SERVICE' in region '${location}' in project '${project}' does not exist.`,
  );
}

function timestamp(ms = Date.now()): Obj {
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function setPath(target: Obj, path: string[], source: Obj): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    if (source[head] === undefined) delete target[head];
    else target[head] = structuredClone(source[head]);
    return;
  }
  const next = (target[head] ??= {}) as Obj;
  setPath(next, rest, (source[head] ?? {}) as Obj);
}

/** In-memory Cloud Run services and their IAM policies, keyed by full resource name. */
export class RunState {
  readonly services = new Map<string, Obj>();
  readonly policies = new Map<string, Policy>();
  private writes = 0;

  // Etags only need to change on every write; a counter guarantees that, the random part keeps
  // tests from hard-coding values.
  private serviceEtag(): string {
    return `"${(++this.writes).toString(36)}${randomBytes(4).toString('hex')}"`;
  }

  private policyEtag(): Buffer {
    const buf = randomBytes(8);
    buf.writeUInt32BE(++this.writes, 0);
    return buf;
  }

  reset(): void {
    this.services.clear();
    this.policies.clear();
  }

  /** Stores a service as if it had been created (or replaced) out of band; fills output-only fields. */
  seedService(partial: Obj, commit = true): Obj {
    const { project, location, id } = parseName(partial.name);
    const now = timestamp();
    const svc = canonicalService({
      uid: randomUUID(),
      generation: '1',
      createTime: now,
      creator: 'seed@stand-in.invalid',
      uri: `https://${id}-${project}.${location}.run.app`,
      // The real API defaults an unspecified ingress to ALL.
      ingress: 'INGRESS_TRAFFIC_ALL',
      ...partial,
      updateTime: now,
      etag: this.serviceEtag(),
    });
    svc.observedGeneration = svc.generation;
    svc.urls = [svc.uri];
    if (commit) {
      this.services.set(svc.name as string, svc);
      if (!this.policies.has(svc.name as string)) this.setPolicyRaw(svc.name as string, {});
    }
    return svc;
  }

  getService(name: string): Obj {
    parseName(name);
    const svc = this.services.get(name);
    if (!svc) throw notFound(name);
    return svc;
  }

  createService(parent: string, serviceId: string, service: Obj, validateOnly = false): Obj {
    if (!PARENT.test(parent)) throw new StandInError(status.INVALID_ARGUMENT, `Invalid parent '${parent}'`);
    const name = `${parent}/services/${serviceId}`;
    if (this.services.has(name)) {
      throw new StandInError(status.ALREADY_EXISTS, `Resource '${serviceId}' already exists.`);
    }
    const given = Object.fromEntries(Object.entries(service).filter(([k]) => MUTABLE_SERVICE_FIELDS.has(k)));
    return this.seedService({ ...given, name, creator: 'caller@stand-in.invalid' }, !validateOnly);
  }

  /** update_mask paths (snake_case or camelCase, dotted for nested) replace just those fields. */
  updateService(service: Obj, maskPaths: string[] | undefined, validateOnly = false): Obj {
    const name = service.name as string;
    const current = this.getService(name);
    if (service.etag && service.etag !== current.etag) {
      throw new StandInError(
        status.ABORTED,
        `Resource '${parseName(name).id}' has been modified (etag mismatch). Read it again and retry.`,
      );
    }
    const next = structuredClone(current);
    const paths =
      maskPaths && maskPaths.length > 0
        ? maskPaths.flatMap((p) => (p === '*' ? [...MUTABLE_SERVICE_FIELDS] : [p.split('.').map(camel).join('.')]))
        : Object.keys(service).filter((k) => MUTABLE_SERVICE_FIELDS.has(k));
    for (const path of paths) {
      const segments = path.split('.');
      if (!MUTABLE_SERVICE_FIELDS.has(segments[0]!)) {
        throw new StandInError(status.INVALID_ARGUMENT, `update_mask path '${path}' is not a mutable Service field`);
      }
      setPath(next, segments, service);
    }
    next.generation = String(BigInt(current.generation as string) + 1n);
    next.observedGeneration = next.generation;
    next.updateTime = timestamp();
    next.lastModifier = 'caller@stand-in.invalid';
    next.etag = this.serviceEtag();
    const stored = canonicalService(next);
    if (!validateOnly) this.services.set(name, stored);
    return stored;
  }

  deleteService(name: string, etag: string | undefined, validateOnly = false): Obj {
    const current = this.getService(name);
    if (etag && etag !== current.etag) {
      throw new StandInError(status.ABORTED, `Resource '${parseName(name).id}' has been modified (etag mismatch).`);
    }
    if (!validateOnly) {
      this.services.delete(name);
      this.policies.delete(name);
    }
    return { ...current, deleteTime: timestamp() };
  }

  /** Sorted by name; page tokens are opaque offsets bound to the parent, as with the real API. */
  listServices(parent: string, pageSize: number, pageToken: string): { services: Obj[]; nextPageToken: string } {
    const m = PARENT.exec(parent);
    if (!m) throw new StandInError(status.INVALID_ARGUMENT, `Invalid parent '${parent}'`);
    // service.proto: "Location must be a valid Google Cloud region, and cannot be the "-" wildcard."
    if (m[2] === '-')
      throw new StandInError(
        status.INVALID_ARGUMENT,
        `Location must be a valid Google Cloud region, and cannot be the "-" wildcard: '${parent}'`,
      );
    const prefix = `${parent}/services/`;
    const all = [...this.services.keys()].filter((n) => n.startsWith(prefix)).sort();
    let offset = 0;
    if (pageToken) {
      const [off, tokenParent] = Buffer.from(pageToken, 'base64url').toString().split('|');
      if (tokenParent !== parent || !/^\d+$/.test(off ?? '')) {
        throw new StandInError(status.INVALID_ARGUMENT, 'Invalid page token');
      }
      offset = Number(off);
    }
    const size = pageSize > 0 ? Math.min(pageSize, 1000) : 100;
    const page = all.slice(offset, offset + size);
    const end = offset + page.length;
    return {
      services: page.map((n) => this.services.get(n)!),
      nextPageToken: end < all.length ? Buffer.from(`${end}|${parent}`).toString('base64url') : '',
    };
  }

  getPolicy(resource: string): Policy {
    this.getService(resource);
    return this.policies.get(resource)!;
  }

  setPolicy(resource: string, policy: Partial<Policy> & { etag?: Buffer | string }): Policy {
    const current = this.getPolicy(resource);
    const etag = typeof policy.etag === 'string' ? Buffer.from(policy.etag, 'base64') : policy.etag;
    if (etag && etag.length > 0 && !etag.equals(current.etag)) {
      // Wording of the real IAM API.
      throw new StandInError(
        status.ABORTED,
        'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
      );
    }
    for (const member of (policy.bindings ?? []).flatMap((b) => b.members ?? [])) {
      if (!MEMBER.test(member))
        throw new StandInError(status.INVALID_ARGUMENT, `Invalid member '${member}' in policy binding.`);
    }
    return this.setPolicyRaw(resource, policy);
  }

  /** Writes without checks; seeding and the real write path share the normalisation. */
  setPolicyRaw(resource: string, policy: Partial<Policy>): Policy {
    const stored: Policy = {
      version: policy.version || 1,
      // IAM drops bindings left without members.
      bindings: (policy.bindings ?? [])
        .filter((b) => (b.members ?? []).length > 0)
        .map((b) => ({ role: b.role, members: [...b.members], ...(b.condition ? { condition: b.condition } : {}) })),
      auditConfigs: policy.auditConfigs ?? [],
      etag: this.policyEtag(),
    };
    this.policies.set(resource, stored);
    return stored;
  }
}
