import type { Fight } from '../core/verdict.js';
import type { FindingState, LedgerWrites } from '../state/types.js';

/** What fight detection reads and writes about a finding: the state store, or a buffer in front of it. */
export interface FightLedger {
  getFight(findingKey: string, now: number): Promise<Fight | null>;
  revertCount(findingKey: string, now: number, windowMs: number): Promise<number>;
  recordRevert(findingKey: string, at: number, windowMs: number): Promise<unknown>;
  setFight(findingKey: string, fight: Fight): Promise<void>;
}

/**
 * Fight detection for one delivery without a round trip per question: answers come from the
 * findings' state read once (beside the Cloud Run reads), and what is recorded is kept to be
 * written with the delivery's checkpoint, in the same commit. `states` null: the store could not be
 * read, so nothing is known about fights and reverts, and runguard reverts (the safe side).
 */
export class BufferedLedger implements FightLedger {
  readonly writes: LedgerWrites = { reverts: [], fights: [] };
  private readonly states: Map<string, FindingState>;

  constructor(states: ReadonlyMap<string, FindingState> | null) {
    this.states = new Map(states ?? []);
  }

  async getFight(findingKey: string, now: number): Promise<Fight | null> {
    const fight = this.states.get(findingKey)?.fight ?? null;
    return fight && fight.until > now ? fight : null;
  }

  async revertCount(findingKey: string, now: number, windowMs: number): Promise<number> {
    return (this.states.get(findingKey)?.reverts ?? []).filter((t) => t > now - windowMs).length;
  }

  async recordRevert(findingKey: string, at: number, windowMs: number): Promise<number> {
    const state = this.state(findingKey);
    state.reverts = [...state.reverts.filter((t) => t > at - windowMs), at];
    this.writes.reverts.push({ findingKey, at, windowMs });
    return state.reverts.length;
  }

  async setFight(findingKey: string, fight: Fight): Promise<void> {
    this.state(findingKey).fight = fight;
    this.writes.fights = [...this.writes.fights.filter((f) => f.findingKey !== findingKey), { findingKey, fight }];
  }

  private state(findingKey: string): FindingState {
    let s = this.states.get(findingKey);
    if (!s) this.states.set(findingKey, (s = { fight: null, reverts: [] }));
    return s;
  }
}
