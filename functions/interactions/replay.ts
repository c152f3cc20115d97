import { MAX_SKEW_SECONDS } from './verify.js';

// Slack's signature has no nonce: a captured request verifies again for as long as its timestamp
// is inside the 5-minute window. Slack does not retry interaction requests, so a signature seen
// twice is a replay. Remembered per instance (a replay that reaches another instance still meets
// the store's own "one active exemption per finding" and remediate()'s idempotence).

export interface ReplayGuard {
  /** True the first time a signature is seen within the window; false for a repeat. */
  firstSeen(signature: string, now: number): boolean;
}

const WINDOW_MS = 2 * MAX_SKEW_SECONDS * 1000;
const MAX_ENTRIES = 50_000;

export function createReplayGuard(): ReplayGuard {
  const seen = new Map<string, number>();
  return {
    firstSeen(signature, now) {
      const until = seen.get(signature);
      if (until !== undefined && until > now) return false;
      // Entries are added in time order: expired ones are at the front.
      for (const [sig, t] of seen) {
        if (t > now && seen.size < MAX_ENTRIES) break;
        seen.delete(sig);
      }
      seen.delete(signature);
      seen.set(signature, now + WINDOW_MS);
      return true;
    },
  };
}
