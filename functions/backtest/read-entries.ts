import { loopbackClientOptions, loopbackEndpoint } from '../clients/loopback.js';
import type { LogEntry } from '../core/types.js';
import { GoogleApiError, type GoogleApiErrorCode, toGoogleApiError } from '../core/google-api-error.js';
import { loadSchema } from './audit-log-proto.js';
import { entryJson, Unconvertible } from './proto-json.js';

// Reads Admin Activity audit entries back from Cloud Logging for `runguard backtest`, and turns
// each into the JSON a Log Router sink writes to Pub/Sub, so the backtest feeds the same decoder
// the live function does. The schema is audit-log-proto.ts; the conversion, pure, is proto-json.ts.
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

type Obj = Record<string, unknown>;

/** A LogEntry as the generated client decodes it (proto-loader: camelCase, enums and int64 as strings) → sink JSON. */
export function toExportedEntry(raw: Obj): LogEntry {
  return entryJson(raw, loadSchema());
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
