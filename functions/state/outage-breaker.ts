import { TransientError } from '../core/errors.js';

// In a Firestore outage every call waits out its deadline (20 s by default) before the live path
// goes on without the store; a burst of deliveries would each spend that, call after call, while
// the reverts and alerts they carry wait. After one call finds Firestore not answering, the calls
// of the next `openMs` fail at once with the same kind of error, so deliveries take the no-store
// path (revert, alert, say a duplicate is possible) without the wait. Past `openMs` one call at a
// time goes through as a probe; its success closes the breaker, its failure opens it again.

/** gRPC codes that mean Firestore is not answering, as opposed to a lost race (ABORTED) or a bad request. */
const OUTAGE_CODES = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

/** A TransientError from our own deadline (no cause), or one that wraps a not-answering gRPC code. */
export function isOutage(e: unknown): boolean {
  if (!(e instanceof TransientError)) return false;
  const cause = (e as { cause?: unknown }).cause;
  if (cause === undefined) return true;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return OUTAGE_CODES.has(code as number);
}

export class OutageBreaker {
  /** 0: closed. Otherwise calls before this instant fail at once; after it, one probe at a time. */
  private openUntil = 0;
  private since = 0;
  private probing = false;

  constructor(
    private readonly openMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async run<T>(op: string, call: () => Promise<T>): Promise<T> {
    const t = this.now();
    const halfOpen = this.openUntil !== 0 && t >= this.openUntil;
    if ((this.openUntil !== 0 && t < this.openUntil) || (halfOpen && this.probing)) {
      throw new TransientError(
        `firestore ${op}: not tried — Firestore has not answered since ${new Date(this.since).toISOString()} ` +
          `(calls fail at once for ${Math.round(this.openMs / 1000)} s after a call finds it down, then one is tried)`,
      );
    }
    if (halfOpen) this.probing = true;
    try {
      const value = await call();
      this.openUntil = 0;
      return value;
    } catch (e) {
      if (isOutage(e)) {
        if (this.openUntil === 0) this.since = this.now();
        this.openUntil = this.now() + this.openMs;
      }
      throw e;
    } finally {
      if (halfOpen) this.probing = false;
    }
  }
}
