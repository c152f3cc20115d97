import type { Fight } from '../core/verdict.js';
import type { DecisionRecord, HistoryReader } from '../history/types.js';
import type {
  BreakglassExemption,
  ClaimResult,
  ClaimToken,
  FindingState,
  LedgerWrites,
  ExemptionRequest,
  Progress,
  StateStore,
  SweepMark,
  ThreadRef,
} from './types.js';

type Claim = {
  state: 'processing' | 'released' | 'done';
  leaseUntil: number;
  progress: Progress | null;
  token: ClaimToken;
};

/** In-process state: for tests, the CLI and single-instance local runs. Not shared between instances. */
export class MemoryStateStore implements StateStore, HistoryReader {
  private readonly claims = new Map<string, Claim>();
  private readonly reverts = new Map<string, number[]>();
  private readonly fights = new Map<string, Fight>();
  private readonly threads = new Map<string, ThreadRef>();
  private readonly exemptions: BreakglassExemption[] = [];
  private readonly requests = new Map<string, ExemptionRequest>();
  private readonly marks = new Map<string, SweepMark>();
  private readonly sweeps = new Map<string, number>();
  private readonly history = new Map<string, DecisionRecord>();
  private tokens = 0;

  async claim(keys: readonly string[], now: number, leaseMs: number): Promise<ClaimResult> {
    const existing = keys.map((k) => this.claims.get(k)).find((c) => c !== undefined);
    if (existing?.state === 'done') return { status: 'duplicate' };
    if (existing?.state === 'processing' && existing.leaseUntil > now) return { status: 'busy' };
    const claim = this.write(keys, 'processing', now + leaseMs, existing?.progress ?? null);
    return { status: 'claimed', progress: claim.progress, token: claim.token };
  }

  async checkpoint(
    keys: readonly string[],
    token: ClaimToken | null,
    at: { now: number; leaseMs: number; progress: Progress },
    records?: LedgerWrites,
  ): Promise<ClaimToken | null> {
    // What was done is counted even when another delivery holds the claim now: the revert happened.
    for (const r of records?.reverts ?? []) await this.recordRevert(r.findingKey, r.at, r.windowMs);
    for (const f of records?.fights ?? []) await this.setFight(f.findingKey, f.fight);
    await this.recordDecisions(records?.decisions ?? []);
    if (!this.holds(keys, token)) return null;
    return this.write(keys, 'processing', at.now + at.leaseMs, at.progress).token;
  }

  async release(keys: readonly string[], token: ClaimToken | null, progress: Progress): Promise<ClaimToken | null> {
    return this.holds(keys, token) ? this.write(keys, 'released', 0, progress).token : null;
  }

  async complete(keys: readonly string[], token: ClaimToken | null, now: number): Promise<ClaimToken | null> {
    return this.holds(keys, token) ? this.write(keys, 'done', now, null).token : null;
  }

  async findingStates(
    findingKeys: readonly string[],
    now: number,
    windowMs: number,
  ): Promise<Map<string, FindingState>> {
    const out = new Map<string, FindingState>();
    for (const k of findingKeys)
      out.set(k, { fight: await this.getFight(k, now), reverts: this.recent(k, now, windowMs) });
    return out;
  }

  /** The delivery holding `token` holds every key; a null token holds only what nobody has claimed. */
  private holds(keys: readonly string[], token: ClaimToken | null): boolean {
    return keys.every((k) => {
      const c = this.claims.get(k);
      return token === null ? c === undefined : c?.token === token;
    });
  }

  private write(keys: readonly string[], state: Claim['state'], leaseUntil: number, progress: Progress | null): Claim {
    const claim: Claim = { state, leaseUntil, progress, token: `m${++this.tokens}` };
    for (const k of keys) this.claims.set(k, claim);
    return claim;
  }

  async recordRevert(findingKey: string, at: number, windowMs: number): Promise<number> {
    const times = [...this.recent(findingKey, at, windowMs), at];
    this.reverts.set(findingKey, times);
    return times.length;
  }

  async revertCount(findingKey: string, now: number, windowMs: number): Promise<number> {
    return this.recent(findingKey, now, windowMs).length;
  }

  async getFight(findingKey: string, now: number): Promise<Fight | null> {
    const fight = this.fights.get(findingKey);
    return fight && fight.until > now ? fight : null;
  }

  async setFight(findingKey: string, fight: Fight): Promise<void> {
    this.fights.set(findingKey, fight);
  }

  async getThread(key: string, now: number): Promise<ThreadRef | null> {
    const ref = this.threads.get(key);
    return ref && ref.until > now ? ref : null;
  }

  async setThread(key: string, ref: ThreadRef): Promise<void> {
    this.threads.set(key, ref);
  }

  async recordExemption(
    exemption: BreakglassExemption,
    now: number,
  ): Promise<{ created: boolean; exemption: BreakglassExemption }> {
    const active = this.exemptions.find((e) => e.findingKey === exemption.findingKey && Date.parse(e.expires) > now);
    if (active) return { created: false, exemption: active };
    this.exemptions.push(exemption);
    return { created: true, exemption };
  }

  async exemptionsFor(resource: string): Promise<BreakglassExemption[]> {
    return this.exemptions.filter((e) => e.resource === resource);
  }

  async listExemptions(filter: { project?: string } = {}): Promise<BreakglassExemption[]> {
    const prefix = filter.project ? `projects/${filter.project}/` : '';
    return this.exemptions
      .filter((e) => e.resource.startsWith(prefix))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async recordExemptionRequest(request: ExemptionRequest): Promise<void> {
    this.requests.set(request.id, structuredClone(request));
  }

  async exemptionRequest(id: string): Promise<ExemptionRequest | null> {
    const r = this.requests.get(id);
    return r ? structuredClone(r) : null;
  }

  async confirmExemptionRequest(id: string, exemptionId: string): Promise<boolean> {
    const r = this.requests.get(id);
    if (!r || r.confirmedAs !== undefined) return false;
    r.confirmedAs = exemptionId;
    return true;
  }

  async sweepMarks(findingKeys: readonly string[]): Promise<Map<string, SweepMark>> {
    return new Map(findingKeys.flatMap((k) => (this.marks.has(k) ? [[k, { ...this.marks.get(k)! }] as const] : [])));
  }

  async setSweepMarks(marks: ReadonlyMap<string, SweepMark>): Promise<void> {
    for (const [k, m] of marks) this.marks.set(k, { ...m });
  }

  async lastSweep(project: string): Promise<number | null> {
    return this.sweeps.get(project) ?? null;
  }

  async setLastSweep(project: string, startedAt: number): Promise<void> {
    this.sweeps.set(project, startedAt);
  }

  async recordDecisions(records: readonly DecisionRecord[]): Promise<void> {
    // As Firestore keeps it: an absent optional field is absent, not undefined.
    for (const r of records)
      this.history.set(
        r.id,
        Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as DecisionRecord,
      );
  }

  async decisions(range: { since: number; until: number; project?: string }): Promise<DecisionRecord[]> {
    return [...this.history.values()]
      .filter((r) => r.at >= range.since && r.at < range.until && (!range.project || r.project === range.project))
      .sort((a, b) => a.at - b.at || a.id.localeCompare(b.id))
      .map((r) => structuredClone(r));
  }

  async firstDecisionAt(): Promise<number | null> {
    const times = [...this.history.values()].map((r) => r.at);
    return times.length > 0 ? Math.min(...times) : null;
  }

  async listFights(now: number): Promise<Array<{ findingKey: string; fight: Fight }>> {
    return [...this.fights]
      .filter(([, fight]) => fight.until > now)
      .map(([findingKey, fight]) => ({ findingKey, fight: { ...fight } }))
      .sort((a, b) => a.fight.since - b.fight.since || a.findingKey.localeCompare(b.findingKey));
  }

  private recent(findingKey: string, now: number, windowMs: number): number[] {
    return (this.reverts.get(findingKey) ?? []).filter((t) => t > now - windowMs);
  }
}
