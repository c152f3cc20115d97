// createLoggingSource through the real @google-cloud/logging client against the Cloud Logging
// stand-in: what comes out must be the JSON a Log Router sink writes, byte for byte in meaning.
import { readdirSync, readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { v2 } from '@google-cloud/logging';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createLoggingSource,
  LoggingReadError,
  toExportedEntry,
  type AuditEntrySource,
} from '../../functions/backtest/read-entries.js';
import type { LogEntry } from '../../functions/core/types.js';
import { sinkFilter } from '../../functions/events/sink-filter.js';
import { startLoggingStandIn, type LoggingStandIn } from '../../stand-ins/logging/index.js';

process.env.METADATA_SERVER_DETECTION = 'none';

const REAL = new URL('../fixtures/auditlogs/real/', import.meta.url);
const CONSTRUCTED = new URL('../fixtures/auditlogs/', import.meta.url);
const load = (dir: URL): LogEntry[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as LogEntry);
const FIXTURES = [...load(REAL), ...load(CONSTRUCTED)];
/**
 * What a sink would have written for each fixture. Proto3 JSON leaves out a field at its default,
 * so an export never says `"granted": false`; one hand-written fixture does. Everything else must
 * come back exactly as it is on disk.
 */
const EXPORTED = new Map(FIXTURES.map((e) => [e.insertId!, structuredClone(e)]));
delete (EXPORTED.get('-2b5c8d1e4f7g')!.protoPayload!.authorizationInfo as Array<{ granted?: boolean }>)[0]!.granted;
const byId = EXPORTED;
const parentOf = (e: LogEntry): string => /^([^/]+\/[^/]+)\/logs\//.exec(e.logName!)![1]!;
const PROJECT = 'test-project-1234';

async function collect(
  source: AuditEntrySource,
  project: string,
  filter: string,
  pageSize?: number,
): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of source.entries({ project, filter, ...(pageSize ? { pageSize } : {}) })) out.push(e);
  return out;
}

let standIn: LoggingStandIn;
let source: AuditEntrySource;

beforeAll(async () => {
  standIn = await startLoggingStandIn();
  source = await createLoggingSource({ endpoint: standIn.endpoint });
});
afterAll(async () => {
  await source?.close();
  await standIn?.stop();
});
beforeEach(() => standIn.reset());

describe('createLoggingSource: entries as a sink exports them', () => {
  it('every real and constructed fixture comes back deep-equal to its JSON', async () => {
    expect(FIXTURES.length).toBeGreaterThanOrEqual(23);
    standIn.addEntries(FIXTURES);
    const projects = [...new Set(FIXTURES.map(parentOf).filter((p) => p.startsWith('projects/')))];
    let read = 0;
    for (const p of projects) {
      for (const entry of await collect(source, p.slice('projects/'.length), '')) {
        expect(entry).toEqual(byId.get(entry.insertId!));
        read++;
      }
    }
    expect(read).toBe(FIXTURES.filter((e) => e.logName!.startsWith('projects/')).length);
    expect(source.skipped).toEqual([]);
  });

  it('folder and organization entries too, decoded from the raw client the same way', async () => {
    // createLoggingSource reads projects only; this drives the converter with what the client returns.
    const others = FIXTURES.filter((e) => !e.logName!.startsWith('projects/'));
    // The folder and organization IAM policies, and the org policies set on a folder or organization.
    expect(others.length).toBe(5);
    standIn.addEntries(others);
    const client = new v2.LoggingServiceV2Client({
      apiEndpoint: '127.0.0.1',
      port: standIn.port,
      sslCreds: grpc.credentials.createInsecure(),
      universeDomain: 'googleapis.com',
    }) as { listLogEntries(r: object, o: object): Promise<[Record<string, unknown>[]]>; close(): Promise<void> };
    const [raw] = await client.listLogEntries({ resourceNames: others.map(parentOf) }, { autoPaginate: false });
    await client.close();
    expect(raw).toHaveLength(others.length);
    for (const entry of raw.map(toExportedEntry)) expect(entry).toEqual(byId.get(entry.insertId!));
  });

  it(
    'the sink filter with a time window: ' + 'the handled Admin Activity entries of the project, oldest first',
    async () => {
      standIn.addEntries(FIXTURES);
      const filter = `${sinkFilter()} AND timestamp>="2025-03-14T00:00:00Z" AND timestamp<"2025-03-27T00:00:00Z"`;
      const entries = await collect(source, PROJECT, filter);
      // By hand from the fixtures: not the data_access GetService (03-25), not the internal
      // ReplaceInternalService (03-26), not the Functions entry of 03-27, nothing before 03-14, and
      // not the folder and organization entries (another resource).
      expect(entries.map((e) => e.insertId)).toEqual([
        '7h2j5k8l1m4n',
        'c4d1e8f5a2b7',
        'w5x8y1z4a7b0',
        'm2n5p8q1r4s7',
        't6u9v2w5x8y1',
        '5v8w1x4y7z0a',
        'fk2h8d3e7xq',
        'p0o9i8u7y6t5',
        '-2b5c8d1e4f7g',
        'z1y2x3w4v5u6',
      ]);
      expect(standIn.calls).toEqual([
        { resourceNames: [`projects/${PROJECT}`], filter, orderBy: 'timestamp asc', pageSize: 1000, pageToken: '' },
      ]);
    },
  );

  it('follows page tokens: pageSize 3 over 10 entries is 4 calls, each entry once', async () => {
    standIn.addEntries(FIXTURES);
    const filter = `${sinkFilter()} AND timestamp>="2025-03-14T00:00:00Z" AND timestamp<"2025-03-27T00:00:00Z"`;
    const entries = await collect(source, PROJECT, filter, 3);
    expect(new Set(entries.map((e) => e.insertId)).size).toBe(10);
    expect(entries).toHaveLength(10);
    expect(standIn.calls.map((c) => c.pageSize)).toEqual([3, 3, 3, 3]);
    expect(standIn.calls.every((c) => c.filter === filter)).toBe(true);
  });

  it('resourceNames is the project asked for, and only its entries come back', async () => {
    standIn.addEntries(FIXTURES);
    const entries = await collect(source, 'peak-empire-243713', '');
    expect(entries.map((e) => e.insertId)).toEqual(['-sumke9d4ngo']);
    expect(standIn.calls[0]!.resourceNames).toEqual(['projects/peak-empire-243713']);
  });

  it('an entry whose payload cannot be read is skipped and recorded; the stream goes on', async () => {
    const [first, second, third] = FIXTURES.filter((e) => parentOf(e) === `projects/${PROJECT}`).sort((a, b) =>
      a.timestamp!.localeCompare(b.timestamp!),
    );
    standIn.addEntries([first!, third!]);
    standIn.addEntries([second!], {
      rawPayload: { typeUrl: 'type.googleapis.com/example.v1.Unknown', value: Uint8Array.of(8, 1) },
    });
    const garbled = { ...structuredClone(third!), insertId: 'garbled', timestamp: '2030-01-01T00:00:00Z' };
    standIn.addEntries([garbled], {
      rawPayload: {
        typeUrl: 'type.googleapis.com/google.cloud.audit.AuditLog',
        value: Uint8Array.of(0x0a, 0x05, 0x41),
      },
    });
    const entries = await collect(source, PROJECT, `timestamp<="${third!.timestamp}" OR insertId=garbled`);
    expect(entries.map((e) => e.insertId)).toEqual([first!.insertId, third!.insertId]);
    expect(source.skipped).toEqual([
      { insertId: second!.insertId, reason: 'no schema for payload type type.googleapis.com/example.v1.Unknown' },
      {
        insertId: 'garbled',
        reason: expect.stringMatching(/^cannot decode type\.googleapis\.com\/google\.cloud\.audit\.AuditLog: /),
      },
    ]);
    // A new iteration starts a new count.
    await collect(source, PROJECT, `insertId="${first!.insertId}"`);
    expect(source.skipped).toEqual([]);
  });
});

describe('createLoggingSource: failures', () => {
  it('PERMISSION_DENIED becomes LoggingReadError permission-denied naming the project', async () => {
    standIn.addEntries(FIXTURES);
    standIn.fail({
      code: grpc.status.PERMISSION_DENIED,
      message: "Permission 'logging.logEntries.list' denied on resource (or it may not exist).",
    });
    const error = await collect(source, PROJECT, '').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoggingReadError);
    expect(error).toMatchObject({ code: 'permission-denied' });
    expect((error as Error).message).toMatch(/test-project-1234/);
    expect((error as Error).message).toMatch(/logging\.logEntries\.list/);
    expect(standIn.calls).toHaveLength(1); // not retried
  });

  it('a filter the API cannot parse is invalid, with the position the API gave', async () => {
    const error = await collect(source, PROJECT, 'protoPayload.methodName=("a" OR').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'LoggingReadError', code: 'invalid' });
    expect((error as Error).message).toMatch(/test-project-1234.*column 32/);
  });

  it(
    'UNAVAILABLE is retried by the library; ' + 'when it persists it is unavailable, after a bounded number of tries',
    async () => {
      standIn.addEntries(FIXTURES);
      standIn.fail({ code: grpc.status.UNAVAILABLE, times: 2 });
      expect(await collect(source, 'peak-empire-243713', '')).toHaveLength(1);
      expect(standIn.calls).toHaveLength(3);

      standIn.reset();
      standIn.fail({ code: grpc.status.UNAVAILABLE, times: Infinity });
      const error = await collect(source, PROJECT, '').catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'LoggingReadError', code: 'unavailable' });
      expect((error as Error).message).toMatch(/test-project-1234/);
      expect(standIn.calls).toHaveLength(5); // gax's maxRetries: 5 attempts in all
    },
  );

  it.each(['logging.googleapis.com:443', '10.0.0.1:8080', '127.0.0.1', 'http://127.0.0.1:80', '127.0.0.2:80'])(
    'refuses the plaintext endpoint %j before loading the library',
    async (endpoint) => {
      await expect(createLoggingSource({ endpoint })).rejects.toThrow(/loopback/);
    },
  );
});
