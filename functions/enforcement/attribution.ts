import type { Config } from '../config/load.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { maskTouches, parseSubject } from '../core/subject.js';
import type { ChangeEvent, Decision, Finding } from '../core/types.js';
import type { Verdict } from '../core/verdict.js';
import type { CompiledRule } from '../rules/compile.js';
import type { StateStore, SweepMark } from '../state/types.js';
import { markFingerprint, unchangedSince } from './marks.js';
import type { EntryResult } from './pipeline.js';

// Attribution: the live state says what is true now; the change says what it introduced. Each live
// finding is judged against the entry's own state, its update mask and its policy delta:
//   - the entry's state does not produce it, or the mask does not touch its field, or the server's
//     policy delta did not add its grant: it was already open before this change ("standing");
//   - the mask touches it, or the delta added it: this change introduced it;
//   - the entry re-sends the whole state (a v1 ReplaceService, a policy without a delta): it is
//     standing when runguard already alerted it unchanged (the marks), otherwise introduced.
// A standing finding is labelled, not blamed on this change's actor, not counted toward a fight,
// and in alert-only decisions not alerted again while it is unchanged.

export type Evidence = 'introduced' | 'standing' | 'full-state';

/** What the entry alone says about a live finding; `entryKeys` are the findings its own state produces. */
export function evidenceFor(finding: Finding, entry: ChangeEvent, entryKeys: ReadonlySet<string>): Evidence {
  if (!entryKeys.has(finding.key)) return 'standing';
  const subject = finding.subject ? parseSubject(finding.subject) : null;
  if (entry.updateMask.length > 0) {
    if (subject?.kind === 'setting' && !maskTouches(entry.updateMask, subject.field)) return 'standing';
    return 'introduced';
  }
  if (subject?.kind === 'grant' && entry.deltaSource === 'policyDelta') {
    const added = entry.deltas.some(
      (d) => d.action === 'ADD' && d.member === subject.member && d.role === subject.role,
    );
    return added ? 'introduced' : 'standing';
  }
  return 'full-state';
}

export interface AttributionDeps {
  rules: readonly CompiledRule[];
  config: Config;
  state: StateStore;
  log: Logger;
}

export interface Attributed {
  result: EntryResult;
  /** Keys of standing, alert-only findings already alerted unchanged: not alerted again. */
  quiet: Set<string>;
  marks: Map<string, SweepMark>;
}

/** Marks read ahead, beside the claim, for the findings the entry's own state produces. */
export interface Prefetched {
  marks: Map<string, SweepMark>;
  previous: number | null;
}

/**
 * Sets `introduced` on each decision of a judged entry, and says which need no new alert.
 * `entryKeys` are the keys of the findings the entry's own state produces (evaluated once, by the
 * caller, before the live state was read).
 */
export async function attribute(
  result: EntryResult,
  entry: ChangeEvent,
  entryKeys: ReadonlySet<string>,
  deps: AttributionDeps,
  prefetched?: Prefetched,
): Promise<Attributed> {
  const evidence = new Map(result.findings.map((d) => [d.finding.key, evidenceFor(d.finding, entry, entryKeys)]));
  let marks = new Map<string, SweepMark>();
  let previous: number | null = null;
  // The marks are read only where they decide something: a finding the entry re-sends whole, or a
  // standing alert-only finding that may already have been alerted. A change that plainly introduced
  // what it is judged on costs no extra round trip.
  const needsMarks = result.findings.some((d) => {
    const e = evidence.get(d.finding.key);
    return e === 'full-state' || (e !== 'introduced' && d.action !== 'revert');
  });
  // What was read ahead covers the entry's own findings; a live finding beyond them is read now.
  if (needsMarks && prefetched && result.findings.every((d) => entryKeys.has(d.finding.key))) {
    marks = prefetched.marks;
    previous = prefetched.previous;
  } else if (needsMarks) {
    try {
      [marks, previous] = await Promise.all([
        deps.state.sweepMarks(result.findings.map((d) => d.finding.key)),
        deps.state.lastSweep(result.project),
      ]);
    } catch (e) {
      // Without marks every finding the entry re-sends is this change's: the safe side is one alert too many.
      deps.log({
        severity: 'WARNING',
        message: `marks not read for ${result.insertId}: ${describeError(e)}; attributing from the entry alone`,
        event: 'marks-unread',
        insertId: result.insertId,
      });
    }
  }
  const quiet = new Set<string>();
  const findings: Decision[] = result.findings.map((d) => {
    const mark = marks.get(d.finding.key);
    const unchanged = unchangedSince(mark, d, previous);
    const e = evidence.get(d.finding.key);
    const introduced = e === 'introduced' || (e === 'full-state' && !unchanged);
    if (!introduced && d.action !== 'revert' && unchanged) quiet.add(d.finding.key);
    return { ...d, introduced };
  });
  return { result: { ...result, findings }, quiet, marks };
}

/** Remembers what this delivery did to each finding, so the next change and the next sweep know it. */
export async function rememberVerdicts(
  deps: Pick<AttributionDeps, 'state' | 'log'>,
  verdicts: Iterable<Verdict>,
  marks: ReadonlyMap<string, SweepMark>,
  now: number,
): Promise<void> {
  const updated = new Map<string, SweepMark>();
  for (const v of verdicts) {
    const key = v.decision.finding.key;
    updated.set(key, { fingerprint: markFingerprint(v), firstSeen: marks.get(key)?.firstSeen ?? now, lastSeen: now });
  }
  if (updated.size === 0) return;
  try {
    await deps.state.setSweepMarks(updated);
  } catch (e) {
    // What was done stands; the next change may alert once more, which is the safe side.
    deps.log({ severity: 'WARNING', message: `marks not saved: ${describeError(e)}`, event: 'marks-unsaved' });
  }
}

/** The words an alert and a log line use for a standing finding. */
export const STANDING = 'already open before this change';
