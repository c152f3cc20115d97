import type { DecisionRecord, HistoryReader } from './types.js';

// Decision records held in memory: for tests, and for a history made from audit entries
// (`runguard recommend FILE…`, the Admin Activity log) where no store holds one.

export class InMemoryHistoryReader implements HistoryReader {
  private readonly records: DecisionRecord[];

  constructor(records: Iterable<DecisionRecord>) {
    // A redelivery writes the same id again: keep one.
    this.records = [...new Map([...records].map((r) => [r.id, r])).values()].sort(
      (a, b) => a.at - b.at || a.id.localeCompare(b.id),
    );
  }

  async decisions(range: { since: number; until: number; project?: string }): Promise<DecisionRecord[]> {
    return this.records.filter(
      (r) => r.at >= range.since && r.at <= range.until && (range.project === undefined || r.project === range.project),
    );
  }
}
