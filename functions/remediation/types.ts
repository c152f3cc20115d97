import type { Ingress, Policy, RunService } from '../core/types.js';

/**
 * The Cloud Run Admin API as remediation needs it: small enough to fake, shaped like v2.
 * Implementations throw RunPortError for every failure except "not found", which is null.
 */
export interface RunPort {
  /** The live service in the canonical v2 shape (env values redacted), or null when it does not exist. */
  getService(name: string): Promise<RunService | null>;
  /** The service's IAM policy with its etag, or null when the service does not exist. */
  getIamPolicy(name: string): Promise<Policy | null>;
  /**
   * Changes exactly the fields in `change` (the update mask is their names), guarded by `etag`;
   * waits for the operation and returns the service as it now is.
   */
  updateService(name: string, change: ServiceChange, etag: string): Promise<RunService>;
  /** Writes the policy guarded by `policy.etag`; returns the policy as it now is. */
  setIamPolicy(name: string, policy: Policy): Promise<Policy>;
}

/** The read side the sweep needs: where Cloud Run runs, and what runs there. Throws RunPortError. */
export interface RunInventory {
  /** Region ids (e.g. "us-central1") where Cloud Run is offered to the project. */
  listLocations(project: string): Promise<string[]>;
  /** Every service in one region, every page, in the canonical v2 shape (env values redacted). */
  listServices(project: string, location: string): Promise<RunService[]>;
}

export type ServiceChange = { ingress?: Ingress; invokerIamDisabled?: boolean };

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

export interface RemediationOutcome {
  action: string;
  /**
   * reverted: runguard changed it and the re-read confirms; already-safe: nothing to change (idempotent
   * second run); gone: the resource no longer exists; failed: could not (error says why).
   */
  status: 'reverted' | 'already-safe' | 'gone' | 'failed';
  /** In words, for the alert: "set ingress to INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER (was INGRESS_TRAFFIC_ALL)". */
  summary: string;
  /** What the re-read says is true now, in words: "ingress is INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER". */
  now: string;
  /** True when a re-read after the write shows the insecure setting gone. */
  verified: boolean;
  /** Writes attempted (more than 1 after etag conflicts). */
  attempts: number;
  error?: { code: RunPortErrorCode; message: string; permission?: string };
}
