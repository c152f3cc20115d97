import type { Decision } from '../core/types.js';
import type { Verdict } from '../core/verdict.js';
import type { SweepMark } from '../state/types.js';

// What the sweep and the live path remember of a finding between runs (StateStore.sweepMarks):
// the decision and the finding's words. A change to either is news; a revert leaves a tombstone,
// so a finding that comes back after runguard fixed it is news again, never "already open".

/** The decision and the finding's words, as one string. */
export function fingerprintOf(d: Decision): string {
  return [
    d.action,
    d.finding.severity,
    d.finding.message,
    d.exemption ? `${d.exemption.approvedBy}|${d.exemption.expires}` : '',
  ].join('\n');
}

/** The fingerprint a mark gets after this verdict. */
export function markFingerprint(v: Verdict): string {
  return v.done === 'reverted' ? REVERTED : fingerprintOf(v.decision);
}

const REVERTED = 'reverted by runguard';

/**
 * True when the mark says the finding is still as it was last alerted: same fingerprint, and seen
 * since the previous complete sweep of its project began (so it did not go away between).
 */
export function unchangedSince(mark: SweepMark | undefined, d: Decision, previousSweep: number | null): boolean {
  return (
    mark !== undefined &&
    mark.fingerprint === fingerprintOf(d) &&
    (previousSweep === null || mark.lastSeen >= previousSweep)
  );
}
