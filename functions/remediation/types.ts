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
