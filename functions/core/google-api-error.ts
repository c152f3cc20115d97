/**
 * What went wrong, by kind, so callers switch on `code`, never on message text.
 * - unavailable: transient (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, RESOURCE_EXHAUSTED, network); retry later
 * - conflict: the etag was stale (ABORTED, FAILED_PRECONDITION with etag); re-read and retry
 * - permission-denied: runguard lacks `permission`
 * - not-found: the resource vanished mid-operation
 * - invalid / unknown: permanent
 */
export type RunPortErrorCode = 'unavailable' | 'conflict' | 'permission-denied' | 'not-found' | 'invalid' | 'unknown';

export class RunPortError extends Error {
  constructor(
    readonly code: RunPortErrorCode,
    message: string,
    readonly grpcCode: number | null = null,
    /** For permission-denied: the permission named by the API, e.g. run.services.setIamPolicy. */
    readonly permission: string | null = null,
  ) {
    super(message);
    this.name = 'RunPortError';
  }
}
