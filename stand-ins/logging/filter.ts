// The part of the Cloud Logging query language runguard sends, evaluated over LogEntry JSON as a
// sink exports it (the field paths of the language are those JSON names). Semantics follow
// https://cloud.google.com/logging/docs/view/logging-query-language:
// - precedence NOT > OR > (juxtaposition) > AND: `a OR NOT b AND NOT c OR d` is
//   `(a OR (NOT b)) AND ((NOT c) OR d)`; logical operators are upper case only;
// - string comparisons are case-insensitive (regular expressions are not);
// - `:` is "has": a substring of the field, or of any field below it; `field:*` tests presence;
// - a path through a repeated field matches when any element does;
// - a bare value (no field) searches every field with `:`.

export type Op = '=' | '!=' | ':' | '<' | '<=' | '>' | '>=' | '=~' | '!~';

export type FilterNode =
  | { kind: 'all' }
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'compare'; path: string[]; op: Op; value: string; regex?: RegExp }
  | { kind: 'search'; value: string };

export class FilterSyntaxError extends Error {
  constructor(
    reason: string,
    readonly offset: number,
    readonly line: number,
    readonly column: number,
  ) {
    super(`Unparseable filter: ${reason} at line ${line}, column ${column}`);
  }
}

type TokenKind = 'word' | 'string' | 'op' | '(' | ')' | 'AND' | 'OR' | 'NOT' | 'eof';
interface Token {
  kind: TokenKind;
  text: string;
  segments: string[];
  at: number;
}

const OPS: readonly Op[] = ['>=', '<=', '!=', '=~', '!~', '=', ':', '<', '>'];
const WORD_END = /[\s()"=:<>!]/;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };

function fail(src: string, at: number, reason: string): never {
  const before = src.slice(0, at).split('\n');
  throw new FilterSyntaxError(reason, at, before.length, before[before.length - 1]!.length + 1);
}

function readString(src: string, start: number): [string, number] {
  let out = '';
  for (let i = start + 1; i < src.length; i++) {
    const c = src[i]!;
    if (c === '"') return [out, i + 1];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = src[++i];
    if (e === undefined) break;
    if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 1, i + 5))) {
      out += String.fromCharCode(parseInt(src.slice(i + 1, i + 5), 16));
      i += 4;
    } else {
      out += ESCAPES[e] ?? e;
    }
  }
  return fail(src, start, 'unterminated string');
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    if (c === '(' || c === ')') {
      out.push({ kind: c, text: c, segments: [], at });
      i++;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      out.push({ kind: 'op', text: op, segments: [], at });
      i += op.length;
      continue;
    }
    if (c === '"') {
      const [text, end] = readString(src, i);
      out.push({ kind: 'string', text, segments: [text], at });
      i = end;
      continue;
    }
    if (c === '!') fail(src, i, "unexpected character '!'");
    // A word is a bare value or a field path; a path segment may be quoted: labels."a.b/c".
    const segments = [''];
    while (i < src.length) {
      const ch = src[i]!;
      if (ch === '"' && segments.length > 1 && segments[segments.length - 1] === '') {
        const [text, end] = readString(src, i);
        segments[segments.length - 1] = text;
        i = end;
        continue;
      }
      if (WORD_END.test(ch)) break;
      if (ch === '.') segments.push('');
      else segments[segments.length - 1] += ch;
      i++;
    }
    const text = src.slice(at, i);
    const kind = text === 'AND' || text === 'OR' || text === 'NOT' ? text : 'word';
    out.push({ kind, text, segments, at });
  }
  out.push({ kind: 'eof', text: 'end of filter', segments: [], at: src.length });
  return out;
}

/** Parses a filter; an empty one matches everything. Throws FilterSyntaxError naming the position. */
export function parseFilter(src: string): FilterNode {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const take = (): Token => tokens[pos++]!;
  const unexpected = (t: Token): never =>
    fail(src, t.at, `syntax error, unexpected ${t.kind === 'eof' ? 'end of filter' : `token '${t.text}'`}`);
  const startsTerm = (t: Token) => t.kind === 'word' || t.kind === 'string' || t.kind === '(' || t.kind === 'NOT';

  // One grammar for whole expressions and for value lists (field=(a OR b)); only leaves differ.
  const expression = (leaf: (t: Token) => FilterNode): FilterNode => {
    const sequence = (): FilterNode => {
      let node = factor();
      while (startsTerm(peek())) node = { kind: 'and', left: node, right: factor() };
      return node;
    };
    const factor = (): FilterNode => {
      let node = term();
      while (peek().kind === 'OR') {
        take();
        node = { kind: 'or', left: node, right: term() };
      }
      return node;
    };
    const term = (): FilterNode => {
      const t = take();
      if (t.kind === 'NOT') return { kind: 'not', operand: term() };
      if (t.kind === '(') {
        const inner = expression(leaf);
        if (take().kind !== ')') unexpected(tokens[pos - 1]!);
        return inner;
      }
      if (t.kind === 'word' || t.kind === 'string') return leaf(t);
      return unexpected(t);
    };
    let node = sequence();
    while (peek().kind === 'AND') {
      take();
      node = { kind: 'and', left: node, right: sequence() };
    }
    return node;
  };

  const restriction = (t: Token): FilterNode => {
    if (peek().kind !== 'op') return { kind: 'search', value: t.text };
    if (t.kind !== 'word' || t.segments.some((s) => s === '')) return fail(src, t.at, `invalid field path '${t.text}'`);
    const op = take().text as Op;
    const compare = (v: Token): FilterNode => {
      const node: FilterNode = { kind: 'compare', path: t.segments, op, value: v.text };
      if (op === '=~' || op === '!~') {
        try {
          node.regex = new RegExp(v.text);
        } catch {
          fail(src, v.at, `invalid regular expression ${JSON.stringify(v.text)}`);
        }
      }
      return node;
    };
    const v = take();
    if (v.kind === 'word' || v.kind === 'string') return compare(v);
    if (v.kind !== '(') return unexpected(v);
    // field=(a OR b): the same grammar inside the parentheses, with values as its leaves.
    const list = expression(compare);
    const close = take();
    return close.kind === ')' ? list : unexpected(close);
  };

  if (peek().kind === 'eof') return { kind: 'all' };
  const node = expression(restriction);
  if (peek().kind !== 'eof') unexpected(peek());
  return node;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

const SEVERITY: Record<string, number> = {
  DEFAULT: 0,
  DEBUG: 100,
  INFO: 200,
  NOTICE: 300,
  WARNING: 400,
  ERROR: 500,
  CRITICAL: 600,
  ALERT: 700,
  EMERGENCY: 800,
};
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Nanoseconds since the epoch, or null when `s` is not an RFC 3339 instant. */
export function parseInstant(s: string): bigint | null {
  const m = RFC3339.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, frac = '', , sign, oh, om] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  if (Number.isNaN(ms)) return null;
  const offsetMin = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) : 0;
  return (BigInt(ms) - BigInt(offsetMin) * 60_000n) * 1_000_000n + BigInt(frac.padEnd(9, '0'));
}

/** Every value at `path`, stepping into each element of a repeated field on the way. */
function resolvePath(entry: unknown, path: string[]): unknown[] {
  let current: unknown[] = [entry];
  for (const key of path) {
    current = current
      .flatMap((v) => (Array.isArray(v) ? v : [v]))
      .filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && key in v)
      .map((v) => v[key]);
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== null && v !== undefined);
}

function leaves(v: unknown): unknown[] {
  if (Array.isArray(v)) return v.flatMap(leaves);
  if (typeof v === 'object' && v !== null) return Object.values(v).flatMap(leaves);
  return [v];
}

function has(actual: unknown, wanted: string): boolean {
  const needle = wanted.toLowerCase();
  return leaves(actual).some((l) => l !== null && String(l).toLowerCase().includes(needle));
}

const asNumber = (v: unknown): number | null => {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
};
const sign = (d: number | bigint): number => (d > 0 ? 1 : d < 0 ? -1 : 0);

/** <0, 0, >0, or null where the two cannot be ordered (an object against a value). */
function compareValues(path: string[], actual: unknown, wanted: string): number | null {
  if (typeof actual === 'object') return null;
  if (path.length === 1 && path[0] === 'severity') {
    const a = SEVERITY[String(actual).toUpperCase()] ?? asNumber(actual);
    const w = SEVERITY[wanted.toUpperCase()] ?? asNumber(wanted);
    if (a !== null && a !== undefined && w !== null && w !== undefined) return sign(a - w);
  }
  const at = typeof actual === 'string' ? parseInstant(actual) : null;
  const wt = parseInstant(wanted);
  if (at !== null && wt !== null) return sign(at - wt);
  const an = asNumber(actual);
  const wn = asNumber(wanted);
  if (an !== null && wn !== null) return sign(an - wn);
  const a = String(actual).toLowerCase();
  const w = wanted.toLowerCase();
  return a < w ? -1 : a > w ? 1 : 0;
}

function test(node: Extract<FilterNode, { kind: 'compare' }>, actual: unknown): boolean {
  if (node.op === ':') return has(actual, node.value);
  if (node.op === '=~' || node.op === '!~') return typeof actual !== 'object' && node.regex!.test(String(actual));
  const c = compareValues(node.path, actual, node.value);
  if (c === null) return false;
  switch (node.op) {
    case '=':
    case '!=':
      return c === 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

/** Does the exported-JSON entry match? A comparison on an absent field is false, `!=` included. */
export function matches(node: FilterNode, entry: unknown): boolean {
  switch (node.kind) {
    case 'all':
      return true;
    case 'and':
      return matches(node.left, entry) && matches(node.right, entry);
    case 'or':
      return matches(node.left, entry) || matches(node.right, entry);
    case 'not':
      return !matches(node.operand, entry);
    case 'search':
      return has(entry, node.value);
    case 'compare': {
      const values = resolvePath(entry, node.path);
      if (node.op === ':' && node.value === '*') return values.length > 0;
      if (values.length === 0) return false;
      // Negated operators hold when no value matches the positive form.
      if (node.op === '!=' || node.op === '!~') return !values.some((v) => test(node, v));
      return values.some((v) => test(node, v));
    }
  }
}
