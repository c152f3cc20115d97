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

/**
 * What the sweep compares: what was decided and, during a fight, the fight by its start. A fight
 * lasts one window and nothing extends it, so each new fight is news: a fight that goes on is
 * alerted at least once per window.
 */
export function sweepFingerprint(v: Verdict): string {
  return v.fight ? `${fingerprintOf(v.decision)}\nfighting since ${v.fight.since}` : fingerprintOf(v.decision);
}

/** The fingerprint a mark gets after this verdict. */
export function markFingerprint(v: Verdict): string {
  return v.done === 'reverted' ? REVERTED : sweepFingerprint(v);
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
