import { GoogleApiError, RunPortError } from './google-api-error.js';

/** A notifier's failure: `transient` when it is worth redelivering. */
export class NotifyError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'NotifyError';
  }
}

/** A failure worth a redelivery: the function throws it and Pub/Sub tries again later. */
export class TransientError extends Error {
  readonly transient = true;
  constructor(message: string) {
    super(message);
    this.name = 'TransientError';
  }
}

export function isTransient(e: unknown): boolean {
  return (e instanceof TransientError || e instanceof NotifyError || e instanceof GoogleApiError) && e.transient;
}

export const describeError = (e: unknown): string =>
  e instanceof RunPortError ? `${e.code}: ${e.message}` : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
