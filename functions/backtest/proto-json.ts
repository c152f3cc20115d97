import type * as Gax from 'google-gax';
import type { LogEntry } from '../core/types.js';

// Pure: a LogEntry as the generated client decodes it (proto-loader: camelCase, enums and int64 as
// strings, the payload a packed google.protobuf.Any) → the proto3 JSON a Log Router sink writes.
// The schema comes in; nothing here reads files or the network.

type Obj = Record<string, unknown>;
type Type = Gax.protobuf.Type;
type Field = Gax.protobuf.Field;

/** A payload that cannot be turned into JSON: the entry is skipped, not the stream. */
export class Unconvertible extends Error {}

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

/** A raw LogEntry message → sink JSON, with `root` holding the payload types and `logEntry` the LogEntry type. */
export function entryJson(raw: Obj, schema: { root: Gax.protobuf.Root; logEntry: Type }): LogEntry {
  return messageJson(schema.logEntry, raw, schema.root) as LogEntry;
}
