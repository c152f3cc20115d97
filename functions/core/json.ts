// Reading untyped JSON (audit entries keep whatever casing and shape their producer used) without
// trusting it: a wrong type reads as absent, never as a crash.

export type Rec = Record<string, unknown>;

/** The value as an object, or undefined for anything else (null and arrays included). */
export const rec = (v: unknown): Rec | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : undefined;

/** The value as a string, or '' for anything else. */
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
