// Durations in configuration are written as people say them: 90s, 15m, 1h, 7d.
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export const DURATION = /^(\d+)(s|m|h|d)$/;

export function parseDuration(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new Error(`not a duration: ${JSON.stringify(text)} (expected e.g. 90s, 15m, 1h, 7d)`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    if (ms >= UNITS[unit]! && ms % UNITS[unit]! === 0) return `${ms / UNITS[unit]!}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}
