// One coded error for every Google API failure (Cloud Run, Resource Manager, Cloud Logging), after
// bolt-js's errors.ts: callers switch on `code` or read `transient`, never gRPC numbers or message
// text. toGoogleApiError is the one place that reads them.

/**
 * What went wrong, by kind, so callers switch on `code`, never on message text.
 * - unavailable: transient (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, RESOURCE_EXHAUSTED, network); retry later
 * - conflict: the etag was stale (ABORTED, FAILED_PRECONDITION with etag); re-read and retry
 * - permission-denied: runguard lacks `permission` (PERMISSION_DENIED, UNAUTHENTICATED)
 * - not-found: the resource vanished mid-operation
 * - invalid / unknown: permanent
 */
export type GoogleApiErrorCode = 'unavailable' | 'conflict' | 'permission-denied' | 'not-found' | 'invalid' | 'unknown';

export class GoogleApiError extends Error {
  /** Worth trying again later: the request may never have arrived, or the service was briefly unable. */
  readonly transient: boolean;
  constructor(
    readonly code: GoogleApiErrorCode,
    message: string,
    /** The gRPC status the API answered with, when there was one. */
    readonly grpcCode: number | null = null,
    /** For permission-denied: the permission named by the API, e.g. run.services.setIamPolicy. */
    readonly permission: string | null = null,
  ) {
    super(message);
    this.name = 'GoogleApiError';
    this.transient = code === 'unavailable';
  }
}

/** A failure of the Cloud Run Admin API behind RunPort and RunInventory. */
export class RunPortError extends GoogleApiError {
  override readonly name = 'RunPortError';
}

const BY_GRPC: ReadonlyMap<number, GoogleApiErrorCode> = new Map([
  [14, 'unavailable'], // UNAVAILABLE
  [4, 'unavailable'], // DEADLINE_EXCEEDED (also what gax reports when its retries run out)
  [13, 'unavailable'], // INTERNAL
  [8, 'unavailable'], // RESOURCE_EXHAUSTED
  [10, 'conflict'], // ABORTED
  [7, 'permission-denied'], // PERMISSION_DENIED
  [16, 'permission-denied'], // UNAUTHENTICATED
  [5, 'not-found'], // NOT_FOUND
  [3, 'invalid'], // INVALID_ARGUMENT
  [11, 'invalid'], // OUT_OF_RANGE
]);
const FAILED_PRECONDITION = 9;
// System errors from sockets and DNS: the request may never have arrived, so it is worth retrying.
const NETWORK = /^(ECONN|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE|ENETUNREACH|EHOSTUNREACH|ERR_SOCKET)/;

type Kind<E extends GoogleApiError> = new (
  code: GoogleApiErrorCode,
  message: string,
  grpcCode?: number | null,
  permission?: string | null,
) => E;

/**
 * Any error from a Google client (a gax/grpc error, a socket error, a bug) → a GoogleApiError of
 * `kind`; one already of that kind passes through. Messages are the API's own (its `details` when
 * set); they name resources, never secrets.
 */
export function toGoogleApiError(err: unknown): GoogleApiError;
export function toGoogleApiError<E extends GoogleApiError>(err: unknown, kind: Kind<E>): E;
export function toGoogleApiError(err: unknown, kind: Kind<GoogleApiError> = GoogleApiError): GoogleApiError {
  if (err instanceof kind) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const message =
    typeof e.details === 'string' && e.details ? e.details : err instanceof Error ? err.message : String(err);
  const grpcCode = typeof e.code === 'number' ? e.code : null;
  if (grpcCode === null) {
    return new kind(typeof e.code === 'string' && NETWORK.test(e.code) ? 'unavailable' : 'unknown', message);
  }
  const code =
    grpcCode === FAILED_PRECONDITION
      ? /etag/i.test(message)
        ? 'conflict'
        : 'unknown'
      : (BY_GRPC.get(grpcCode) ?? 'unknown');
  const info = (e.errorInfoMetadata ?? {}) as Record<string, unknown>;
  const permission =
    code !== 'permission-denied'
      ? null
      : typeof info.permission === 'string'
        ? info.permission
        : (/Permission '([^']+)' denied/.exec(message)?.[1] ?? null);
  return new kind(code, message, grpcCode, permission);
}
