// The Cloud Logging stand-in: its query-language evaluator on its own, then ListLogEntries driven
// through the real @google-cloud/logging v2 client (paging, ordering, resource names, errors).
import { readdirSync, readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { v2 } from '@google-cloud/logging';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../../functions/core/types.js';
import { sinkFilter } from '../../functions/events/sink-filter.js';
import { FilterSyntaxError, matches, parseFilter, startLoggingStandIn, type LoggingStandIn } from './index.js';

process.env.METADATA_SERVER_DETECTION = 'none';

const CONSTRUCTED = new URL('../../test/fixtures/auditlogs/', import.meta.url);
const fixture = (name: string): LogEntry => JSON.parse(readFileSync(new URL(name, CONSTRUCTED), 'utf8')) as LogEntry;
const allConstructed = (): LogEntry[] =>
  readdirSync(CONSTRUCTED)
    .filter((f) => f.endsWith('.json'))
    .map(fixture);

// NOTICE, activity, 2025-03-12T16:40:03.602114Z
const UPDATE = fixture('run-v2-updateservice--mask-ingress-internal-only--constructed.json');
const FAILED = fixture('run-v2-updateservice--failed-permission-denied--constructed.json'); // ERROR, status.code 7
const DATA_ACCESS = fixture('run-v2-getservice--unhandled-data-access--constructed.json'); // INFO, data_access log
// timestamp …44.210734916Z
const IAM = fixture('iam-v1-setiampolicy--serviceaccount-user-snake-case--constructed.json');

const select = (filter: string, entries: LogEntry[]): string[] => {
  const node = parseFilter(filter);
  return entries.filter((e) => matches(node, e)).map((e) => e.insertId!);
};
const ALL = [UPDATE, FAILED, DATA_ACCESS, IAM];

describe('Logging stand-in: query language', () => {
  it("OR binds tighter than AND (the Logging docs' order, unlike SQL)", () => {
    // SQL precedence would read ERROR OR (NOTICE AND data_access) and select FAILED; Logging reads
    // (ERROR OR NOTICE) AND data_access, which none of these is.
    expect(select('severity=ERROR OR severity=NOTICE AND logName:"data_access"', ALL)).toEqual([]);
    expect(select('severity=ERROR OR severity=INFO AND logName:"data_access"', ALL)).toEqual([DATA_ACCESS.insertId]);
    // The documented example: a OR NOT b AND NOT c OR d == (a OR (NOT b)) AND ((NOT c) OR d).
    const a = 'severity=ERROR',
      b = 'severity=NOTICE',
      c = 'logName:"activity"',
      d = 'severity=INFO';
    expect(select(`${a} OR NOT ${b} AND NOT ${c} OR ${d}`, ALL)).toEqual([DATA_ACCESS.insertId]);
  });

  it('juxtaposition is AND, and NOT applies to the next term only', () => {
    expect(select('severity=NOTICE logName:"activity"', ALL)).toEqual([UPDATE.insertId, IAM.insertId]);
    expect(select('NOT severity=NOTICE logName:"activity"', ALL)).toEqual([FAILED.insertId]);
  });

  it('field=(a OR b) value lists, also under NOT and inside a larger expression', () => {
    const methods =
      'protoPayload.methodName=("google.cloud.run.v2.Services.GetService" OR "google.iam.admin.v1.SetIAMPolicy")';
    expect(select(methods, ALL)).toEqual([DATA_ACCESS.insertId, IAM.insertId]);
    expect(select(`NOT ${methods} AND severity=NOTICE`, ALL)).toEqual([UPDATE.insertId]);
    // The list's closing parenthesis ends it: the AND after it belongs to the outer expression.
    expect(select(`${methods} AND severity=INFO`, ALL)).toEqual([DATA_ACCESS.insertId]);
  });

  it(': is a case-insensitive substring match; = is whole-value (case-insensitive too, per the docs)', () => {
    expect(select('logName:"CloudAudit.googleapis.com%2Factivity"', ALL)).toEqual([
      UPDATE.insertId,
      FAILED.insertId,
      IAM.insertId,
    ]);
    expect(select('logName="cloudaudit.googleapis.com%2Factivity"', ALL)).toEqual([]);
    expect(select('protoPayload.serviceName="IAM.googleapis.com"', ALL)).toEqual([IAM.insertId]);
    expect(select('protoPayload.serviceName:iam', ALL)).toEqual([IAM.insertId]);
    // has on a message searches everything below it
    expect(select('protoPayload.request:"contractor@partner.example"', ALL)).toEqual([IAM.insertId]);
  });

  it('paths step into repeated fields; quoted segments; presence with :*', () => {
    expect(select('protoPayload.authorizationInfo.permission="iam.serviceAccounts.setIamPolicy"', ALL)).toEqual([
      IAM.insertId,
    ]);
    expect(select('resource.labels."email_id":"deployer@"', ALL)).toEqual([IAM.insertId]);
    expect(select('protoPayload.serviceData:*', ALL)).toEqual([IAM.insertId]);
    expect(select('operation:*', ALL)).toEqual([UPDATE.insertId]);
  });

  it('numbers compare as numbers, and an absent field fails both = and !=', () => {
    expect(select('protoPayload.status.code=7', ALL)).toEqual([FAILED.insertId]);
    expect(select('protoPayload.status.code>=7.0', ALL)).toEqual([FAILED.insertId]);
    // UPDATE has no status at all, IAM has status {} (so no code either), DATA_ACCESS has {}.
    expect(select('protoPayload.status.code!=7', ALL)).toEqual([]);
    expect(select('NOT protoPayload.status.code=7', ALL)).toEqual([
      UPDATE.insertId,
      DATA_ACCESS.insertId,
      IAM.insertId,
    ]);
  });

  it('severity compares by rank, not alphabetically', () => {
    // Alphabetically ERROR < INFO < NOTICE; by rank INFO(200) < NOTICE(300) < ERROR(500).
    expect(select('severity>=NOTICE', ALL)).toEqual([UPDATE.insertId, FAILED.insertId, IAM.insertId]);
    expect(select('severity>WARNING', ALL)).toEqual([FAILED.insertId]);
    expect(select('severity<300', ALL)).toEqual([DATA_ACCESS.insertId]);
  });

  it('timestamps compare as instants: offsets and nanoseconds count', () => {
    const inMarch = 'timestamp>="2025-03-13T00:00:00Z" AND timestamp<"2025-03-25T00:00:00Z"';
    expect(select(inMarch, ALL)).toEqual([FAILED.insertId, IAM.insertId]);
    // 16:40:03.602114Z is 17:40:03.602114+01:00: equal instants, different strings.
    expect(select('timestamp="2025-03-12T17:40:03.602114+01:00"', ALL)).toEqual([UPDATE.insertId]);
    // One nanosecond apart, which a millisecond Date cannot tell.
    expect(select('timestamp>"2025-03-21T12:01:44.210734915Z"', [IAM])).toEqual([IAM.insertId]);
    expect(select('timestamp>"2025-03-21T12:01:44.210734916Z"', [IAM])).toEqual([]);
    expect(select('timestamp<="2025-03-21T12:01:44.210734916Z"', [IAM])).toEqual([IAM.insertId]);
  });

  it("runguard's own sink filter with a time window selects the handled activity entries", () => {
    const filter = `${sinkFilter()} AND timestamp>="2025-03-14T00:00:00Z" AND timestamp<"2025-03-27T00:00:00Z"`;
    // By hand from the fixtures: not data_access GetService, not the internal ReplaceInternalService,
    // not the 03-27 Functions entry, nothing before 03-14; folder and organization entries are in.
    expect(select(filter, allConstructed()).sort()).toEqual(
      [
        '7h2j5k8l1m4n',
        'c4d1e8f5a2b7',
        'w5x8y1z4a7b0',
        'm2n5p8q1r4s7',
        't6u9v2w5x8y1',
        '1f4g7h0j3k6l',
        '-8p1q4r7s0t3u',
        '5v8w1x4y7z0a',
        'fk2h8d3e7xq',
        'p0o9i8u7y6t5',
        '-2b5c8d1e4f7g',
        'z1y2x3w4v5u6',
      ].sort(),
    );
  });

  it('quoted strings take escapes; an empty filter matches everything', () => {
    const e = { insertId: 'x', jsonPayload: { msg: 'say "hi"\\now' } };
    expect(select('jsonPayload.msg="say \\"hi\\"\\\\now"', [e])).toEqual(['x']);
    expect(select('', ALL)).toHaveLength(4);
    expect(select('  ', ALL)).toHaveLength(4);
  });

  it.each([
    ['protoPayload.methodName=(', 1, 26, /unexpected end of filter/],
    ['severity=ERROR AND', 1, 19, /unexpected end of filter/],
    ['logName:"unterminated', 1, 9, /unterminated string/],
    ['(severity=ERROR', 1, 16, /unexpected end of filter/],
    ['severity=ERROR)', 1, 15, /unexpected token '\)'/],
    ['a AND\n  b !', 2, 5, /unexpected character '!'/],
    ['severity=ERROR OR OR', 1, 19, /unexpected token 'OR'/],
    ['jsonPayload.x=~"("', 1, 16, /invalid regular expression/],
  ])('rejects %j at line %i, column %i', (filter, line, column, reason) => {
    let error: unknown;
    try {
      parseFilter(filter);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FilterSyntaxError);
    expect(error).toMatchObject({ line, column });
    expect((error as Error).message).toMatch(reason);
  });
});

// ---------------------------------------------------------------------------------------------

interface RawEntry {
  insertId: string;
  timestamp: { seconds: string; nanos: number };
  protoPayload?: { type_url?: string; value?: Uint8Array };
  payload?: string;
}
interface ListClient {
  listLogEntries(
    req: object,
    opts: object,
  ): Promise<[RawEntry[], { pageToken?: string } | null, { nextPageToken?: string }]>;
  listLogEntriesAsync(req: object, opts: object): AsyncIterable<RawEntry>;
  close(): Promise<void>;
}

let standIn: LoggingStandIn;
let client: ListClient;

beforeAll(async () => {
  standIn = await startLoggingStandIn();
  client = new v2.LoggingServiceV2Client({
    apiEndpoint: '127.0.0.1',
    port: standIn.port,
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: 'googleapis.com',
  }) as ListClient;
});
afterAll(async () => {
  await client?.close();
  await standIn?.stop();
});
beforeEach(() => standIn.reset());

const PROJECT = 'projects/test-project-1234';

/** n copies of UPDATE in shuffled order; every 7th shares its predecessor's timestamp (ties go by insertId). */
function many(n: number): { entries: LogEntry[]; expected: string[] } {
  const base = Date.parse('2026-11-10T00:00:00Z');
  const entries = Array.from({ length: n }, (_, i) => {
    const second = i - (i % 7 === 6 ? 1 : 0);
    return {
      ...structuredClone(UPDATE),
      insertId: `e${String(i).padStart(5, '0')}`,
      timestamp: new Date(base + second * 1000).toISOString(),
    };
  });
  const expected = entries.map((e) => e.insertId!);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return { entries, expected };
}

describe('Logging stand-in: ListLogEntries through the real client', () => {
  it('serves protoPayload as an Any holding an encoded AuditLog, as the API does', async () => {
    standIn.addEntries([UPDATE]);
    const [entries] = await client.listLogEntries({ resourceNames: [PROJECT] }, { autoPaginate: false });
    expect(entries).toHaveLength(1);
    expect(entries[0]!.payload).toBe('protoPayload');
    expect(entries[0]!.protoPayload?.type_url).toBe('type.googleapis.com/google.cloud.audit.AuditLog');
    // The method name travels as protobuf bytes inside the Any, not as JSON text.
    const bytes = Buffer.from(entries[0]!.protoPayload!.value!);
    expect(bytes.includes(Buffer.from('google.cloud.run.v2.Services.UpdateService'))).toBe(true);
    expect(bytes.includes(Buffer.from('"methodName"'))).toBe(false);
    expect(entries[0]!.timestamp).toEqual({
      seconds: String(Date.parse('2025-03-12T16:40:03Z') / 1000),
      nanos: 602114000,
    });
  });

  it('pages 2,500 entries 1000 at a time: every entry once, oldest first, ties by insertId', async () => {
    const { entries, expected } = many(2500);
    standIn.addEntries(entries);
    const seen: string[] = [];
    for await (const e of client.listLogEntriesAsync(
      { resourceNames: [PROJECT], pageSize: 1000 },
      { autoPaginate: false },
    ))
      seen.push(e.insertId);
    expect(seen).toEqual(expected);
    expect(standIn.calls.map((c) => c.pageSize)).toEqual([1000, 1000, 1000]);
    expect(standIn.calls[0]!.pageToken).toBe('');
    expect(standIn.calls[1]!.pageToken).not.toBe('');
    expect(standIn.calls[2]!.pageToken).not.toBe(standIn.calls[1]!.pageToken);
  });

  it('orderBy "timestamp desc" is newest first; no pageSize means pages of 50', async () => {
    const { entries, expected } = many(60);
    standIn.addEntries(entries);
    const [page, next] = await client.listLogEntries(
      { resourceNames: [PROJECT], orderBy: 'timestamp desc' },
      { autoPaginate: false },
    );
    expect(page.map((e) => e.insertId)).toEqual([...expected].reverse().slice(0, 50));
    expect(next?.pageToken).toBeTruthy();
  });

  it('resourceNames: only entries whose logName is under one of the parents', async () => {
    const other = {
      ...structuredClone(UPDATE),
      insertId: 'other',
      logName: 'projects/test-project-12345/logs/cloudaudit.googleapis.com%2Factivity',
    };
    const folder = fixture('crm-v2-setiampolicy--folder-add-owner-gmail--constructed.json');
    standIn.addEntries([UPDATE, other, folder]);
    const ids = async (resourceNames: string[]) =>
      (await client.listLogEntries({ resourceNames }, { autoPaginate: false }))[0].map((e) => e.insertId);
    expect(await ids([PROJECT])).toEqual([UPDATE.insertId]); // not the project whose id merely starts the same
    expect(await ids(['projects/test-project-12345', 'folders/418203746512'])).toEqual([
      other.insertId,
      folder.insertId,
    ]);
    expect(standIn.calls[0]).toEqual({ resourceNames: [PROJECT], filter: '', orderBy: '', pageSize: 0, pageToken: '' });
  });

  it('rejects what the API rejects with INVALID_ARGUMENT', async () => {
    standIn.addEntries(many(3).entries);
    const [, next] = await client.listLogEntries({ resourceNames: [PROJECT], pageSize: 1 }, { autoPaginate: false });
    const token = next!.pageToken!;
    const bad: Array<[object, RegExp]> = [
      [{ resourceNames: [PROJECT], filter: 'severity=(ERROR' }, /Unparseable filter: .* at line 1, column 16/],
      [{ resourceNames: [PROJECT], pageSize: 1001 }, /page_size/],
      [{ resourceNames: [PROJECT], pageToken: 'not-a-token' }, /Invalid page token/],
      // a token is bound to its query
      [{ resourceNames: [PROJECT], pageSize: 1, filter: 'severity=NOTICE', pageToken: token }, /Invalid page token/],
      [{ resourceNames: [] }, /resource_names/],
      [{ resourceNames: [PROJECT], orderBy: 'insertId asc' }, /order_by/],
    ];
    for (const [req, message] of bad) {
      await expect(client.listLogEntries(req, { autoPaginate: false })).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringMatching(message),
      });
    }
    // The token still works for the query it came from.
    const [rest] = await client.listLogEntries(
      { resourceNames: [PROJECT], pageSize: 1, pageToken: token },
      { autoPaginate: false },
    );
    expect(rest).toHaveLength(1);
  });

  it('injected faults fail the next N calls, are recorded, then clear; latency delays the answer', async () => {
    standIn.addEntries([UPDATE]);
    standIn.fail({ code: grpc.status.PERMISSION_DENIED, message: 'no logging.logEntries.list', times: 2 });
    for (let i = 0; i < 2; i++) {
      await expect(client.listLogEntries({ resourceNames: [PROJECT] }, { autoPaginate: false })).rejects.toMatchObject({
        code: 7,
        details: 'no logging.logEntries.list',
      });
    }
    expect((await client.listLogEntries({ resourceNames: [PROJECT] }, { autoPaginate: false }))[0]).toHaveLength(1);
    expect(standIn.calls).toHaveLength(3);
    standIn.latency(150);
    const started = Date.now();
    await client.listLogEntries({ resourceNames: [PROJECT] }, { autoPaginate: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('refuses to seed an entry with a field the schema does not have', () => {
    const typo = structuredClone(UPDATE);
    (typo.protoPayload as Record<string, unknown>).methodNmae = 'x';
    expect(() => standIn.addEntries([typo])).toThrow(/methodNmae: no such field in \.google\.cloud\.audit\.AuditLog/);
  });
});
