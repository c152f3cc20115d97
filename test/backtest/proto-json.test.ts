// The pure proto → JSON converter on its own: raw LogEntry messages as the generated client decodes
// them (camelCase, enums and int64 as strings, the payload a packed Any) → the JSON a sink writes.
import { describe, expect, it } from 'vitest';
import { loadSchema } from '../../functions/backtest/audit-log-proto.js';
import { entryJson, Unconvertible } from '../../functions/backtest/proto-json.js';

const schema = loadSchema();
const convert = (raw: Record<string, unknown>) => entryJson(raw, schema) as Record<string, unknown>;
const AUDIT_LOG = 'type.googleapis.com/google.cloud.audit.AuditLog';
const pack = (typeName: string, value: Record<string, unknown>) => {
  const type = schema.root.lookupType(typeName);
  return { type_url: `type.googleapis.com/${typeName}`, value: type.encode(type.fromObject(value)).finish() };
};

describe('entryJson', () => {
  it('writes timestamps as RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits', () => {
    const at = (nanos: number) => convert({ timestamp: { seconds: '1700000000', nanos } }).timestamp;
    expect(at(0)).toBe('2023-11-14T22:13:20Z');
    expect(at(123_000_000)).toBe('2023-11-14T22:13:20.123Z');
    expect(at(123_456_000)).toBe('2023-11-14T22:13:20.123456Z');
    expect(at(123_456_789)).toBe('2023-11-14T22:13:20.123456789Z');
  });

  it('refuses a timestamp out of range as unconvertible', () => {
    expect(() => convert({ timestamp: { seconds: '999999999999999', nanos: 0 } })).toThrow(Unconvertible);
  });

  it('writes durations in seconds, negative ones with their sign', () => {
    const latency = (seconds: string, nanos: number) =>
      (convert({ httpRequest: { latency: { seconds, nanos } } }).httpRequest as Record<string, unknown>).latency;
    expect(latency('3', 0)).toBe('3s');
    expect(latency('0', 250_000_000)).toBe('0.250s');
    expect(latency('-1', -500_000_000)).toBe('-1.500s');
  });

  it('leaves out fields at their proto3 default, as an export does', () => {
    expect(
      convert({
        insertId: '',
        logName: 'projects/p/logs/x',
        severity: 'DEFAULT',
        labels: {},
        httpRequest: { requestSize: '0', status: 0, cacheHit: false },
      }),
    ).toEqual({ logName: 'projects/p/logs/x', httpRequest: {} });
  });

  it('writes enums by name (numbers too) and 64-bit integers as strings', () => {
    expect(convert({ severity: 'NOTICE' }).severity).toBe('NOTICE');
    expect(convert({ severity: 300 }).severity).toBe('NOTICE');
    expect(
      (convert({ httpRequest: { responseSize: '1234' } }).httpRequest as Record<string, unknown>).responseSize,
    ).toBe('1234');
  });

  it('writes Struct and Value as plain JSON', () => {
    const json = convert({
      payload: 'jsonPayload',
      jsonPayload: {
        fields: {
          s: { kind: 'stringValue', stringValue: 'x' },
          n: { kind: 'numberValue', numberValue: 2 },
          l: {
            kind: 'listValue',
            listValue: {
              values: [
                { kind: 'boolValue', boolValue: true },
                { kind: 'nullValue', nullValue: 'NULL_VALUE' },
              ],
            },
          },
          o: { kind: 'structValue', structValue: { fields: { k: { kind: 'stringValue', stringValue: 'v' } } } },
        },
      },
    });
    expect(json.jsonPayload).toEqual({ s: 'x', n: 2, l: [true, null], o: { k: 'v' } });
  });

  it('writes only the oneof member that is set', () => {
    const json = convert({ payload: 'textPayload', textPayload: 'hello', jsonPayload: { fields: {} } });
    expect(json).toEqual({ textPayload: 'hello' });
  });

  it('unpacks an AuditLog payload beside its @type, nested Struct and Status included', () => {
    const protoPayload = pack('google.cloud.audit.AuditLog', {
      methodName: 'google.cloud.run.v2.Services.UpdateService',
      resourceName: 'projects/p/locations/l/services/s',
      authenticationInfo: { principalEmail: 'dev@example.com' },
      status: { code: 7, message: 'denied' },
      request: { fields: { name: { stringValue: 'projects/p/locations/l/services/s' } } },
    });
    const json = convert({ payload: 'protoPayload', protoPayload });
    expect(json.protoPayload).toEqual({
      '@type': AUDIT_LOG,
      methodName: 'google.cloud.run.v2.Services.UpdateService',
      resourceName: 'projects/p/locations/l/services/s',
      authenticationInfo: { principalEmail: 'dev@example.com' },
      status: { code: 7, message: 'denied' },
      request: { name: 'projects/p/locations/l/services/s' },
    });
  });

  it('puts a packed well-known type under "value"', () => {
    const json = convert({ payload: 'protoPayload', protoPayload: pack('google.protobuf.Duration', { seconds: 3 }) });
    expect(json.protoPayload).toEqual({ '@type': 'type.googleapis.com/google.protobuf.Duration', value: '3s' });
  });

  it('says which payload it could not convert: an unknown type, or bytes that do not decode', () => {
    expect(() =>
      convert({
        payload: 'protoPayload',
        protoPayload: { type_url: 'type.googleapis.com/x.Nope', value: new Uint8Array() },
      }),
    ).toThrow(/no schema for payload type type.googleapis.com\/x.Nope/);
    expect(() =>
      convert({ payload: 'protoPayload', protoPayload: { type_url: AUDIT_LOG, value: new Uint8Array([0x0a, 0xff]) } }),
    ).toThrow(Unconvertible);
  });
});
