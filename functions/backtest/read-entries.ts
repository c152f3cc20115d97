import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type * as Gax from 'google-gax';
import { loopbackClientOptions, loopbackEndpoint } from '../clients/loopback.js';
import type { LogEntry } from '../core/types.js';
import { GoogleApiError, type GoogleApiErrorCode, toGoogleApiError } from '../core/google-api-error.js';

// Reads Admin Activity audit entries back from Cloud Logging for `runguard backtest`, and turns
// each into the JSON a Log Router sink writes to Pub/Sub, so the backtest feeds the same decoder
// the live function does.
//
// Client choice: the generated LoggingServiceV2Client, not Logging's getEntriesStream. Both hand
// back the payload as a packed google.protobuf.Any (neither library ships the AuditLog schema), so
// the wrapper adds nothing we keep; it does add a 24-hour timestamp clause to filters without one,
// defaults to newest-first, and builds two more clients. The generated client sends exactly our
// request. We walk the pages with its listLogEntries (each call hands back the next request), not
// listLogEntriesAsync: that iterator re-merges its call settings for every page, which in gax 5
// turns `maxRetries` into "Cannot set both totalTimeoutMillis and maxRetries" (INVALID_ARGUMENT),
// and without maxRetries an outage is retried silently for the whole 60 s call timeout.

export interface AuditEntryQuery {
  /** Project id whose entries to read (resourceNames: ["projects/P"]). */
  project: string;
  /** A Cloud Logging query, used as given (the sink filter AND a timestamp bound). */
  filter: string;
  /** Page size per ListLogEntries call (default 1000, the API's maximum). */
  pageSize?: number;
}

export interface SkippedEntry {
  insertId: string;
  reason: string;
}

export interface AuditEntrySource {
  /**
   * Every matching entry, oldest first (orderBy "timestamp asc"), following page tokens; as
   * LogEntry JSON exactly as a Log Router sink would write it to Pub/Sub. An entry whose payload
   * cannot be converted is not yielded but appended to `skipped`; the stream goes on.
   * An API failure ends the iteration with a LoggingReadError.
   */
  entries(query: AuditEntryQuery): AsyncIterable<LogEntry>;
  /** Entries the latest `entries()` iteration read but could not convert; cleared when one starts. */
  readonly skipped: readonly SkippedEntry[];
  close(): Promise<void>;
}

/** A failure of Cloud Logging's entries.list, naming the project it was reading. */
export class LoggingReadError extends GoogleApiError {
  override readonly name = 'LoggingReadError';
}

/**
 * google/cloud/audit/audit_log.proto as googleapis publishes it (2025 revision, comments and
 * options dropped). Nothing installed ships it: not @google-cloud/logging, not logging-api, not
 * google-gax's common protos. Its imports (attribute_context, status, struct, any) come from
 * google-gax. Field numbers checked against the descriptor in the Cloud SDK's audit_log_pb2.py.
 */
export const AUDIT_LOG_PROTO = `
syntax = "proto3";
package google.cloud.audit;
import "google/protobuf/any.proto";
import "google/protobuf/struct.proto";
import "google/rpc/context/attribute_context.proto";
import "google/rpc/status.proto";
message AuditLog {
  string service_name = 7;
  string method_name = 8;
  string resource_name = 11;
  ResourceLocation resource_location = 20;
  google.protobuf.Struct resource_original_state = 19;
  int64 num_response_items = 12;
  google.rpc.Status status = 2;
  AuthenticationInfo authentication_info = 3;
  repeated AuthorizationInfo authorization_info = 9;
  PolicyViolationInfo policy_violation_info = 25;
  RequestMetadata request_metadata = 4;
  google.protobuf.Struct request = 16;
  google.protobuf.Struct response = 17;
  google.protobuf.Struct metadata = 18;
  google.protobuf.Any service_data = 15;
}
message AuthenticationInfo {
  string principal_email = 1;
  string authority_selector = 2;
  google.protobuf.Struct third_party_principal = 4;
  string service_account_key_name = 5;
  repeated ServiceAccountDelegationInfo service_account_delegation_info = 6;
  string principal_subject = 8;
}
message AuthorizationInfo {
  enum PermissionType { PERMISSION_TYPE_UNSPECIFIED = 0; ADMIN_READ = 1; ADMIN_WRITE = 2; DATA_READ = 3; DATA_WRITE = 4; }
  string resource = 1;
  string permission = 2;
  bool granted = 3;
  google.rpc.context.AttributeContext.Resource resource_attributes = 5;
  PermissionType permission_type = 7;
}
message RequestMetadata {
  string caller_ip = 1;
  string caller_supplied_user_agent = 2;
  string caller_network = 3;
  google.rpc.context.AttributeContext.Request request_attributes = 7;
  google.rpc.context.AttributeContext.Peer destination_attributes = 8;
}
message ResourceLocation {
  repeated string current_locations = 1;
  repeated string original_locations = 2;
}
message ServiceAccountDelegationInfo {
  message FirstPartyPrincipal { string principal_email = 1; google.protobuf.Struct service_metadata = 2; }
  message ThirdPartyPrincipal { google.protobuf.Struct third_party_claims = 1; }
  string principal_subject = 3;
  oneof Authority { FirstPartyPrincipal first_party_principal = 1; ThirdPartyPrincipal third_party_principal = 2; }
}
message PolicyViolationInfo { OrgPolicyViolationInfo org_policy_violation_info = 1; }
message OrgPolicyViolationInfo {
  google.protobuf.Struct payload = 1;
  string resource_type = 2;
  map<string, string> resource_tags = 3;
  repeated ViolationInfo violation_info = 4;
}
message ViolationInfo {
  enum PolicyType { POLICY_TYPE_UNSPECIFIED = 0; BOOLEAN_CONSTRAINT = 1; LIST_CONSTRAINT = 2; CUSTOM_CONSTRAINT = 3; }
  string constraint = 1;
  string error_message = 2;
  string checked_value = 3;
  PolicyType policy_type = 4;
}
`;

/** Payload types beyond AuditLog that audit entries carry (serviceData of IAM changes). */
export const PAYLOAD_PROTO_FILES = [
  'google/logging/v2/log_entry.proto',
  'google/rpc/context/attribute_context.proto',
  'google/rpc/status.proto',
  'google/iam/v1/logging/audit_data.proto',
];

type Obj = Record<string, unknown>;
type Type = Gax.protobuf.Type;
type Field = Gax.protobuf.Field;

interface Schema {
  root: Gax.protobuf.Root;
  logEntry: Type;
}

let schema: Schema | undefined;

/**
 * One protobufjs Root holding LogEntry, AuditLog and AuditData, built with the protobufjs and
 * proto files of the google-gax that @google-cloud/logging's generated client itself loads
 * (its v2 is @google-cloud/logging-api, on gax 5; the Logging class still pulls gax 4).
 */
function loadSchema(): Schema {
  if (schema) return schema;
  const here = createRequire(import.meta.url);
  const api = createRequire(createRequire(here.resolve('@google-cloud/logging')).resolve('@google-cloud/logging-api'));
  const gax = api('google-gax') as typeof Gax;
  const apiProtos = resolve(dirname(api.resolve('@google-cloud/logging-api')), '..', 'protos');
  const gaxProtos = resolve(dirname(api.resolve('google-gax')), '..', 'protos');
  const root = new gax.protobuf.Root();
  root.resolvePath = (_origin, target) => resolve(target.startsWith('google/logging/') ? apiProtos : gaxProtos, target);
  root.loadSync(PAYLOAD_PROTO_FILES, { keepCase: false });
  gax.protobuf.parse(AUDIT_LOG_PROTO, root, { keepCase: false });
  root.resolveAll();
  schema = { root, logEntry: root.lookupType('google.logging.v2.LogEntry') };
  return schema;
}

/** A payload that cannot be turned into JSON: the entry is skipped, not the stream. */
class Unconvertible extends Error {}

const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const wkt = (...names: string[]) => new Set(names.map((n) => `.google.protobuf.${n}`));
/** Wrapper types: their JSON is the bare wrapped value. */
const WRAPPERS = wkt(
  'DoubleValue',
  'FloatValue',
  'Int64Value',
  'UInt64Value',
  'Int32Value',
  'UInt32Value',
  'BoolValue',
  'StringValue',
  'BytesValue',
);
/** Well-known types with their own JSON form: packed in an Any, that form sits under "value". */
const UNDER_VALUE = new Set([
  ...WRAPPERS,
  ...wkt('Timestamp', 'Duration', 'Struct', 'Value', 'ListValue', 'FieldMask', 'Empty'),
]);

function fraction(nanos: number): string {
  if (!nanos) return '';
  const digits = String(nanos).padStart(9, '0');
  return `.${nanos % 1e6 === 0 ? digits.slice(0, 3) : nanos % 1e3 === 0 ? digits.slice(0, 6) : digits}`;
}

/** RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits: the proto3 JSON form Google exports. */
function timestampJson(v: Obj): string {
  const date = new Date(Number(String(v.seconds ?? 0)) * 1000);
  if (Number.isNaN(date.getTime())) throw new Unconvertible(`timestamp out of range: ${String(v.seconds)}`);
  return `${date.toISOString().slice(0, 19)}${fraction(Number(v.nanos ?? 0))}Z`;
}

function durationJson(v: Obj): string {
  const seconds = BigInt(String(v.seconds ?? 0));
  const nanos = Number(v.nanos ?? 0);
  const negative = seconds < 0n || nanos < 0;
  return `${negative ? '-' : ''}${negative && seconds < 0n ? -seconds : seconds}${fraction(Math.abs(nanos))}s`;
}

/** google.protobuf.Value; `kind` is the oneof both proto-loader and toObject({oneofs:true}) set. */
function valueJson(v: Obj): unknown {
  switch (v.kind) {
    case 'nullValue':
      return null;
    case 'numberValue':
      return Number(v.numberValue);
    case 'stringValue':
      return String(v.stringValue);
    case 'boolValue':
      return Boolean(v.boolValue);
    case 'structValue':
      return structJson((v.structValue ?? {}) as Obj);
    case 'listValue':
      return ((((v.listValue ?? {}) as Obj).values ?? []) as Obj[]).map(valueJson);
    default:
      return null;
  }
}

function structJson(v: Obj): Obj {
  return Object.fromEntries(Object.entries((v.fields ?? {}) as Record<string, Obj>).map(([k, x]) => [k, valueJson(x)]));
}

function anyJson(v: Obj, root: Gax.protobuf.Root): Obj {
  const url = String(v.type_url ?? v.typeUrl ?? '');
  if (!url) return {};
  const name = url.slice(url.lastIndexOf('/') + 1);
  let type: Type;
  try {
    type = root.lookupType(name);
  } catch {
    throw new Unconvertible(`no schema for payload type ${url}`);
  }
  let decoded: Obj;
  try {
    decoded = type.toObject(type.decode(v.value as Uint8Array), {
      longs: String,
      enums: String,
      defaults: false,
      oneofs: true,
    });
  } catch (err) {
    throw new Unconvertible(`cannot decode ${url}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const json = messageJson(type, decoded, root);
  return UNDER_VALUE.has(type.fullName) ? { '@type': url, value: json } : { '@type': url, ...(json as Obj) };
}

function messageJson(type: Type, v: Obj, root: Gax.protobuf.Root): unknown {
  switch (type.fullName) {
    case '.google.protobuf.Timestamp':
      return timestampJson(v);
    case '.google.protobuf.Duration':
      return durationJson(v);
    case '.google.protobuf.Struct':
      return structJson(v);
    case '.google.protobuf.Value':
      return valueJson(v);
    case '.google.protobuf.ListValue':
      return ((v.values ?? []) as Obj[]).map(valueJson);
    case '.google.protobuf.Any':
      return anyJson(v, root);
    case '.google.protobuf.FieldMask':
      return ((v.paths ?? []) as string[]).map(camel).join(',');
    case '.google.protobuf.Empty':
      return {};
  }
  if (WRAPPERS.has(type.fullName)) return singleJson(type.fields.value!, v.value ?? 0, root);
  const out: Obj = {};
  for (const field of type.fieldsArray) {
    const x = v[field.name];
    if (x === null || x === undefined) continue;
    if (field.partOf) {
      // A oneof member (or proto3 `optional`) is present exactly when the oneof names it.
      const chosen = v[field.partOf.name];
      if (chosen !== undefined && chosen !== field.name) continue;
    } else if (isDefault(field, x)) {
      continue; // proto3 JSON leaves out fields at their default, as the export does
    }
    out[camel(field.name)] = fieldJson(field, x, root);
  }
  return out;
}

function isDefault(field: Field, x: unknown): boolean {
  if (field.map) return Object.keys(x as Obj).length === 0;
  if (field.repeated) return (x as unknown[]).length === 0;
  if (field.resolvedType && 'fieldsArray' in field.resolvedType) return false; // a set message, even empty, is written
  if (field.resolvedType) return x === 0 || (field.resolvedType as Gax.protobuf.Enum).values[String(x)] === 0;
  if (x instanceof Uint8Array) return x.length === 0;
  return x === '' || x === false || x === 0 || (INT64.has(field.type) && String(x) === '0');
}

function fieldJson(field: Field, x: unknown, root: Gax.protobuf.Root): unknown {
  if (field.map) return Object.fromEntries(Object.entries(x as Obj).map(([k, e]) => [k, singleJson(field, e, root)]));
  if (field.repeated) return (x as unknown[]).map((e) => singleJson(field, e, root));
  return singleJson(field, x, root);
}

function singleJson(field: Field, x: unknown, root: Gax.protobuf.Root): unknown {
  const t = field.resolvedType;
  if (t && 'fieldsArray' in t) return messageJson(t, x as Obj, root);
  if (t) return typeof x === 'number' ? ((t as Gax.protobuf.Enum).valuesById[x] ?? x) : x;
  if (INT64.has(field.type)) return String(x);
  if (field.type === 'bytes') return typeof x === 'string' ? x : Buffer.from(x as Uint8Array).toString('base64');
  if ((field.type === 'double' || field.type === 'float') && !Number.isFinite(x)) return String(x);
  return x;
}

/** A LogEntry as the generated client decodes it (proto-loader: camelCase, enums and int64 as strings) → sink JSON. */
export function toExportedEntry(raw: Obj): LogEntry {
  const { root, logEntry } = loadSchema();
  return messageJson(logEntry, raw, root) as LogEntry;
}

/** The one call this module makes; typed here because @google-cloud/logging types `v2` as any. */
export interface ListClient {
  /** With autoPaginate:false: one page, and the request for the next one (null after the last). */
  listLogEntries(request: Obj, options: Obj): Promise<readonly [Obj[], Obj | null | undefined, ...unknown[]]>;
  close(): Promise<void>;
}

// A person runs the backtest and can run it again: under a second of backoff, then say so, rather
// than the library's minute of silent retries that looks like a hang. gax's `maxRetries` counts
// the first try too: 5 is 5 calls.
const MAX_ATTEMPTS = 5;

/**
 * Production: ADC and TLS (no endpoint). `endpoint` "127.0.0.1:PORT" is for tests and demos:
 * plaintext, so anything but loopback is refused, before the library is loaded. The library is
 * loaded lazily: @google-cloud/logging brings both gax majors and costs 0.6–0.9 s here.
 */
export async function createLoggingSource(opts: { endpoint?: string } = {}): Promise<AuditEntrySource> {
  const local = opts.endpoint !== undefined ? loopbackEndpoint(opts.endpoint, 'Cloud Logging') : undefined;
  const { v2 } = (await import('@google-cloud/logging')) as {
    v2: { LoggingServiceV2Client: new (o?: Obj) => ListClient };
  };
  loadSchema();
  // gax 4 and 5 both dedupe to the one @grpc/grpc-js, so the loopback credentials fit either.
  return sourceFor(new v2.LoggingServiceV2Client(local ? await loopbackClientOptions(local) : {}));
}

/** The source over any client with listLogEntries; exported so a fake client can drive it. */
export function sourceFor(client: ListClient): AuditEntrySource {
  const skipped: SkippedEntry[] = [];
  return {
    skipped,
    close: () => client.close(),
    async *entries(query: AuditEntryQuery): AsyncIterable<LogEntry> {
      skipped.length = 0;
      const request = {
        resourceNames: [`projects/${query.project}`],
        filter: query.filter,
        orderBy: 'timestamp asc',
        pageSize: query.pageSize ?? 1000,
      };
      // A page may be empty yet have a next one (the API ran out of search time): keep going.
      for (let next: Obj | null | undefined = request; next; ) {
        let page: Obj[];
        try {
          [page, next] = await client.listLogEntries(next, { autoPaginate: false, maxRetries: MAX_ATTEMPTS });
        } catch (err) {
          throw toLoggingReadError(err, query.project);
        }
        for (const raw of page) {
          let entry: LogEntry;
          try {
            entry = toExportedEntry(raw);
          } catch (err) {
            if (!(err instanceof Unconvertible)) throw err;
            skipped.push({ insertId: String(raw.insertId ?? ''), reason: err.message });
            continue;
          }
          yield entry;
        }
      }
    },
  };
}

// The API's message, after what runguard was doing; a conflict or a vanished resource reads as "could not read".
const WHAT: Record<GoogleApiErrorCode, string> = {
  'permission-denied': 'permission denied reading the audit logs of project',
  invalid: 'Cloud Logging rejected the query for project',
  unavailable: 'Cloud Logging was unavailable reading project',
  conflict: 'could not read the audit logs of project',
  'not-found': 'could not read the audit logs of project',
  unknown: 'could not read the audit logs of project',
};

/** Any error from the client → LoggingReadError naming the project. */
export function toLoggingReadError(err: unknown, project: string): LoggingReadError {
  if (err instanceof LoggingReadError) return err;
  const e = toGoogleApiError(err);
  return new LoggingReadError(e.code, `${WHAT[e.code]} "${project}": ${e.message}`, e.grpcCode, e.permission);
}
