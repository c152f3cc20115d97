import { describeError } from '../core/errors.js';
import type { BreakglassExemption, StateStore } from '../state/types.js';

/**
 * How long this instance may serve breakglass exemptions it read, when the state store cannot be
 * reached. An exemption ends only by expiring, and its expiry is checked at decision time, so a
 * cached one never outlives its grant; what a cached list can miss is an exemption granted since it
 * was read. Ten minutes covers a blip or the start of an outage for the resources this instance
 * has just seen, while keeping that window short: past it runguard reverts (the safe side) and says
 * it could not read the exemptions.
 */
export const BREAKGLASS_CACHE_MS = 10 * 60_000;
const MAX_RESOURCES = 1000;

export interface BreakglassRead {
  exemptions: BreakglassExemption[];
  /** Set when the store could not be read: what the alert must say. */
  unread: string | null;
}

/** Reads breakglass exemptions from the store, and falls back to what this instance read recently. */
export class BreakglassCache {
  private readonly entries = new Map<string, { at: number; exemptions: BreakglassExemption[] }>();

  /** `ttlMs` 0: no cache. */
  constructor(private readonly ttlMs = BREAKGLASS_CACHE_MS) {}

  async read(state: StateStore, resource: string, now: number): Promise<BreakglassRead> {
    try {
      const exemptions = await state.exemptionsFor(resource);
      if (this.ttlMs <= 0) return { exemptions, unread: null };
      this.entries.delete(resource); // re-inserted last: the map's order is the eviction order
      this.entries.set(resource, { at: now, exemptions });
      if (this.entries.size > MAX_RESOURCES) this.entries.delete(this.entries.keys().next().value!);
      return { exemptions, unread: null };
    } catch (e) {
      const cached = this.entries.get(resource);
      const age = cached ? now - cached.at : Infinity;
      if (cached && age <= this.ttlMs)
        return {
          exemptions: cached.exemptions,
          unread:
            `breakglass exemptions as this instance read them ${Math.round(age / 1000)} s ago ` +
            `(state store unreachable: ${describeError(e)})`,
        };
      return {
        exemptions: [],
        unread:
          `breakglass exemptions could not be read (state store unreachable: ${describeError(e)}); ` +
          `only the configuration's exemptions applied`,
      };
    }
  }
}
