import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as Gax from 'google-gax';
import { AUDIT_LOG_PROTO, PAYLOAD_PROTO_FILES } from '../../functions/backtest/audit-log-proto.js';
import type { LogEntry } from '../../functions/core/types.js';
import { FilterSyntaxError, matches, parseFilter, parseInstant, type FilterNode } from './filter.js';

// A local google.logging.v2.LoggingServiceV2 (ListLogEntries only; the rest answer UNIMPLEMENTED),
// built from the .proto files @google-cloud/logging-api ships plus google-gax's common protos.
// Entries are seeded as sink-exported JSON and served in the wire shape: protoPayload an Any
// holding the encoded AuditLog, as the real API sends it.

type Obj = Record<string, unknown>;
type Type = Gax.protobuf.Type;
type Field = Gax.protobuf.Field;

const require = createRequire(import.meta.url);
// @google-cloud/logging's v2 client is @google-cloud/logging-api's; take its protos and its gax.
const api = createRequire(createRequire(require.resolve('@google-cloud/logging')).resolve('@google-cloud/logging-api'));
const gax = api('google-gax') as typeof Gax;

export const PROTO_DIRS = [
  resolve(dirname(api.resolve('@google-cloud/logging-api')), '..', 'protos'),
  resolve(dirname(api.resolve('google-gax')), '..', 'protos'),
];

function loadService(): grpc.ServiceClientConstructor {
  const def = protoLoader.loadSync('google/logging/v2/logging.proto', {
    includeDirs: PROTO_DIRS,
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    google: { logging: { v2: { LoggingServiceV2: grpc.ServiceClientConstructor } } };
  };
  return pkg.google.logging.v2.LoggingServiceV2;
}

// The same files production decodes with, plus the AuditLog it embeds (no package ships that one).
const root = new gax.protobuf.Root();
root.resolvePath = (_origin, target) => PROTO_DIRS.map((d) => resolve(d, target)).find((p) => existsSync(p)) ?? target;
root.loadSync(PAYLOAD_PROTO_FILES, { keepCase: false });
gax.protobuf.parse(AUDIT_LOG_PROTO, root, { keepCase: false });
root.resolveAll();
const LOG_ENTRY = root.lookupType('google.logging.v2.LogEntry');

// ---------------------------------------------------------------------------------------------
// Sink JSON → the plain object protobufjs' fromObject takes (what proto-loader serializes).
// Written independently of production's reverse direction, so a round trip tests both.

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function instant(s: unknown, where: string): { seconds: string; nanos: number } {
  const ns = typeof s === 'string' ? parseInstant(s) : null;
  if (ns === null) throw new Error(`${where}: not an RFC 3339 timestamp: ${JSON.stringify(s)}`);
  const seconds = ns / 1_000_000_000n - (ns < 0n && ns % 1_000_000_000n !== 0n ? 1n : 0n);
  return { seconds: String(seconds), nanos: Number(ns - seconds * 1_000_000_000n) };
}

function duration(s: unknown, where: string): { seconds: string; nanos: number } {
  const m = typeof s === 'string' ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(s) : null;
  if (!m) throw new Error(`${where}: not a duration: ${JSON.stringify(s)}`);
  const k = m[1] ? -1 : 1;
  return { seconds: String(k * Number(m[2])), nanos: k * Number((m[3] ?? '').padEnd(9, '0')) };
}

function valueWire(v: unknown): Obj {
  if (v === null) return { nullValue: 0 };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(valueWire) } };
  return { structValue: structWire(v as Obj) };
}
const structWire = (o: Obj): Obj => ({
  fields: Object.fromEntries(Object.entries(o).map(([k, x]) => [k, valueWire(x)])),
});

// Well-known types whose JSON is not an object: inside an Any their JSON sits under "value".
const UNDER_VALUE = new Set(
  ['Timestamp', 'Duration', 'Struct', 'Value', 'ListValue', 'FieldMask'].map((n) => `.google.protobuf.${n}`),
);

function anyWire(json: Obj, where: string): Obj {
  const url = json['@type'];
  if (typeof url !== 'string') throw new Error(`${where}: an Any without "@type"`);
  const type = root.lookupType(url.slice(url.lastIndexOf('/') + 1));
  const { '@type': _, ...rest } = json;
  const body = typeToWire(type, UNDER_VALUE.has(type.fullName) ? rest.value : rest, where);
  return { type_url: url, value: Buffer.from(type.encode(type.fromObject(body as Obj)).finish()) };
}

function typeToWire(type: Type, json: unknown, where: string): unknown {
  switch (type.fullName) {
    case '.google.protobuf.Timestamp':
      return instant(json, where);
    case '.google.protobuf.Duration':
      return duration(json, where);
    case '.google.protobuf.Struct':
      return structWire(json as Obj);
    case '.google.protobuf.Value':
      return valueWire(json);
    case '.google.protobuf.ListValue':
      return { values: (json as unknown[]).map(valueWire) };
    case '.google.protobuf.Any':
      return anyWire(json as Obj, where);
    case '.google.protobuf.FieldMask':
      return { paths: String(json).split(',').filter(Boolean).map(snake) };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new Error(`${where}: expected an object for ${type.fullName}`);
  const out: Obj = {};
  for (const [key, v] of Object.entries(json)) {
    // JSON names are lowerCamelCase; the parsed schema keeps camelCase except protobufjs' bundled types.
    const field = type.fields[key] ?? type.fieldsArray.find((f) => camel(f.name) === key);
    if (!field) throw new Error(`${where}.${key}: no such field in ${type.fullName}`);
    if (v !== null) out[field.name] = fieldToWire(field, v, `${where}.${key}`);
  }
  return out;
}

function fieldToWire(field: Field, v: unknown, where: string): unknown {
  const one = (x: unknown, w: string) =>
    field.resolvedType && 'fieldsArray' in field.resolvedType ? typeToWire(field.resolvedType, x, w) : x;
  if (field.map) return Object.fromEntries(Object.entries(v as Obj).map(([k, x]) => [k, one(x, `${where}.${k}`)]));
  if (field.repeated) return (v as unknown[]).map((x, i) => one(x, `${where}[${i}]`));
  return one(v, where);
}

/** Sink JSON → the LogEntry object proto-loader serializes; throws on a field the schema lacks. */
export function toWireEntry(entry: LogEntry): Obj {
  const wire = typeToWire(LOG_ENTRY, entry, 'entry') as Obj;
  LOG_ENTRY.fromObject(wire); // fails here, at seeding, rather than inside a call
  return wire;
}

// ---------------------------------------------------------------------------------------------

export interface LoggingFault {
  code: grpc.status;
  message?: string;
  /** How many calls fail before the method works again (default 1; Infinity for always). */
  times?: number;
}

export interface LoggingStandIn {
  /** "127.0.0.1:PORT" */
  endpoint: string;
  port: number;
  /**
   * Seeds entries given as export-shaped LogEntry JSON (like the fixtures); stored in the wire shape.
   * `rawPayload` replaces each protoPayload on the wire (the filter still sees the JSON): a payload
   * a reader cannot decode, as a new or broken producer would send.
   */
  addEntries(entries: LogEntry[], opts?: { rawPayload?: { typeUrl: string; value: Uint8Array } }): void;
  /** Every ListLogEntries request received (resourceNames, filter, orderBy, pageSize, pageToken), failed ones too. */
  calls: Array<Record<string, unknown>>;
  /** Fails the next N calls with this gRPC status. */
  fail(fault: LoggingFault): void;
  latency(ms: number): void;
  /** Clears entries, calls, faults and latency. */
  reset(): void;
  stop(): Promise<void>;
}

class CallError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

interface Stored {
  json: LogEntry;
  wire: Obj;
  at: bigint;
  insertId: string;
  logName: string;
}

const MAX_PAGE = 1000;
const DEFAULT_PAGE = 50;
const PARENT = /^(projects|organizations|folders|billingAccounts)\/[^/]+$/;

/** Oldest first, then by insertId, as the API documents for equal timestamps. */
const ascending = (a: Stored, b: Stored): number =>
  a.at < b.at ? -1 : a.at > b.at ? 1 : a.insertId < b.insertId ? -1 : a.insertId > b.insertId ? 1 : 0;

export async function startLoggingStandIn(): Promise<LoggingStandIn> {
  const entries: Stored[] = [];
  const calls: Array<Record<string, unknown>> = [];
  const faults: Required<LoggingFault>[] = [];
  const parsed = new Map<string, FilterNode>();
  let latencyMs = 0;

  const filterOf = (text: string): FilterNode => {
    let node = parsed.get(text);
    if (!node) {
      try {
        node = parseFilter(text);
      } catch (err) {
        if (err instanceof FilterSyntaxError) throw new CallError(grpc.status.INVALID_ARGUMENT, err.message);
        throw err;
      }
      parsed.set(text, node);
    }
    return node;
  };

  const list = (req: Obj): Obj => {
    const resourceNames = (req.resourceNames ?? []) as string[];
    const filter = String(req.filter ?? '');
    const orderBy =
      String(req.orderBy ?? '')
        .trim()
        .toLowerCase() || 'timestamp asc';
    const pageSize = Number(req.pageSize ?? 0);
    const pageToken = String(req.pageToken ?? '');
    if (resourceNames.length === 0) throw new CallError(grpc.status.INVALID_ARGUMENT, 'resource_names is required.');
    const badName = resourceNames.find((n) => !PARENT.test(n));
    if (badName) throw new CallError(grpc.status.INVALID_ARGUMENT, `Invalid resource name: "${badName}".`);
    if (orderBy !== 'timestamp asc' && orderBy !== 'timestamp desc') {
      throw new CallError(
        grpc.status.INVALID_ARGUMENT,
        `Invalid order_by: "${String(req.orderBy)}"; only "timestamp asc" and "timestamp desc" are permitted.`,
      );
    }
    if (pageSize < 0 || pageSize > MAX_PAGE)
      throw new CallError(
        grpc.status.INVALID_ARGUMENT,
        `page_size must be between 0 and ${MAX_PAGE}, got ${pageSize}.`,
      );
    const node = filterOf(filter);

    // The token is a cursor (the last entry returned) bound to the query, so entries added between
    // pages neither repeat nor shift, and a token cannot be replayed against another query.
    const query = createHash('sha256')
      .update(JSON.stringify([resourceNames, filter, orderBy]))
      .digest('base64url')
      .slice(0, 16);
    let after: { at: bigint; insertId: string } | null = null;
    if (pageToken) {
      try {
        const t = JSON.parse(Buffer.from(pageToken, 'base64url').toString('utf8')) as {
          q: string;
          at: string;
          id: string;
        };
        if (t.q !== query) throw new Error('query changed');
        after = { at: BigInt(t.at), insertId: String(t.id) };
      } catch {
        throw new CallError(grpc.status.INVALID_ARGUMENT, `Invalid page token: "${pageToken}".`);
      }
    }
    const direction = orderBy === 'timestamp desc' ? -1 : 1;
    const order = (a: Stored, b: Stored) => direction * ascending(a, b);
    const prefixes = resourceNames.map((n) => `${n}/logs/`);
    const cursor = after && ({ at: after.at, insertId: after.insertId } as Stored);
    const matching = entries
      .filter((e) => prefixes.some((p) => e.logName.startsWith(p)))
      .filter((e) => !cursor || order(e, cursor) > 0)
      .filter((e) => matches(node, e.json))
      .sort(order);
    const page = matching.slice(0, pageSize || DEFAULT_PAGE);
    const last = page[page.length - 1];
    const more = matching.length > page.length && last;
    return {
      entries: page.map((e) => e.wire),
      nextPageToken: more
        ? Buffer.from(JSON.stringify({ q: query, at: String(last.at), id: last.insertId })).toString('base64url')
        : '',
    };
  };

  const ListLogEntries: grpc.handleUnaryCall<Obj, Obj> = (call, callback) => {
    const req = call.request;
    calls.push({
      resourceNames: [...((req.resourceNames ?? []) as string[])],
      filter: String(req.filter ?? ''),
      orderBy: String(req.orderBy ?? ''),
      pageSize: Number(req.pageSize ?? 0),
      pageToken: String(req.pageToken ?? ''),
    });
    void (async () => {
      if (latencyMs > 0) await sleep(latencyMs);
      const fault = faults[0];
      if (fault) {
        if (--fault.times <= 0) faults.shift();
        throw new CallError(
          fault.code,
          fault.message || `${grpc.status[fault.code]}: injected by the Cloud Logging stand-in`,
        );
      }
      return list(req);
    })().then(
      (res) => callback(null, res),
      (err: unknown) =>
        callback(
          err instanceof CallError
            ? { code: err.code, details: err.message }
            : { code: grpc.status.INTERNAL, details: `stand-in bug: ${String(err)}` },
        ),
    );
  };

  const server = new grpc.Server();
  server.addService(loadService().service, { ListLogEntries });
  const port = await new Promise<number>((ok, ko) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? ko(err) : ok(p)));
  });

  return {
    endpoint: `127.0.0.1:${port}`,
    port,
    calls,
    addEntries(batch, opts = {}) {
      for (const json of batch) {
        const wire = toWireEntry(json);
        if (opts.rawPayload)
          wire.protoPayload = { type_url: opts.rawPayload.typeUrl, value: Buffer.from(opts.rawPayload.value) };
        const stamp = parseInstant(String(json.timestamp ?? json.receiveTimestamp ?? ''));
        entries.push({
          json: structuredClone(json),
          wire,
          at: stamp ?? 0n,
          insertId: String(json.insertId ?? ''),
          logName: String(json.logName ?? ''),
        });
      }
    },
    fail(fault) {
      faults.push({ code: fault.code, message: fault.message ?? '', times: fault.times ?? 1 });
    },
    latency(ms) {
      latencyMs = ms;
    },
    reset() {
      entries.length = 0;
      calls.length = 0;
      faults.length = 0;
      latencyMs = 0;
    },
    stop: () =>
      new Promise<void>((done) => {
        // Clients may keep their channel open; do not let that hold the shutdown up.
        const timer = setTimeout(() => server.forceShutdown(), 1000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          done();
        });
      }),
  };
}
