// Text that is safe to put in a Slack message: escaped where Slack parses markup, never longer
// than its limit, never cut through a character. Everything an attacker can influence (actor,
// resource names, messages, justifications, labels) goes through md() or plain() before it is shown.

// Built on first use: setting ICU's segmenter up costs a cold start ~10 ms, and text that fits needs none.
let graphemes: Intl.Segmenter | undefined;

// A lone surrogate is not a character: JSON would carry it as \udXXX and Slack may refuse it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Control characters other than \n and \t render as boxes or break layouts.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F]/g;

export function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD').replace(CONTROL, ' ');
}

/** Folds newlines and runs of white space into one space: headers, fields and the notification are one line. */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * Slack's three control characters, as its formatting reference asks
 * (https://docs.slack.dev/messaging/formatting-message-text#escaping): with them escaped no
 * input can open a link, a mention or a <!channel>.
 */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Keeps whole pieces while they fit in max - 1, then adds "…"; returns the pieces joined when all fit. */
function clipPieces(pieces: Iterable<string>, max: number, total: number): string {
  if (total <= max) {
    let all = '';
    for (const p of pieces) all += p;
    return all;
  }
  let out = '';
  for (const p of pieces) {
    if (out.length + p.length > max - 1) break;
    out += p;
  }
  return `${out}…`;
}

function* segments(s: string, map: (g: string) => string): Iterable<string> {
  graphemes ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  for (const { segment } of graphemes.segment(s)) yield map(segment);
}

const identity = (s: string): string => s;

function clipRaw(raw: string, max: number, map: (g: string) => string): string {
  const clean = wellFormed(raw);
  const total = map === identity ? clean.length : map(clean).length;
  // Escaping never shortens text, so the first max + 1 code units hold everything that can fit;
  // segmenting 100 KB of input to keep 150 characters would be wasted work.
  // Text that fits needs no grapheme boundaries: map replaces single characters, so mapping the whole
  // is mapping each grapheme.
  if (total <= max) return map(clean);
  return clipPieces(segments(clean.slice(0, max + 1), map), max, total);
}

// plain_text is shown as written (Slack parses no <@U…> there: slackapi/node-slack-sdk#712), and
// whether it decodes &lt; is not documented; look-alike brackets read the same under either reading
// and can never form a token.
const defang = (s: string): string => s.replace(/</g, '‹').replace(/>/g, '›');

/** Plain text (header, confirm dialogs): angle brackets defanged, cut to max at a grapheme boundary. */
export function plain(raw: string, max: number): string {
  return clipRaw(defang(raw), max, identity) || '—';
}

/** User-controlled text for a mrkdwn object: escaped, then cut to max without splitting an entity or a grapheme. */
export function md(raw: string, max: number): string {
  return clipRaw(raw, max, escapeMrkdwn) || '—';
}

/** Inline code for identifiers; a backtick inside would end the span early. */
export function code(raw: string, max: number): string {
  return `\`${md(raw.replace(/`/g, "'"), max - 2)}\``;
}

/** A code block; three backticks inside would close it. */
export function codeBlock(raw: string, max: number): string {
  return `\`\`\`${md(raw.replace(/```/g, "'''"), max - 6)}\`\`\``;
}

// Built mrkdwn is cut only between whole links (<…>), entities (&amp;) and graphemes.
const ATOM = /<[^<>]*>|&(?:amp|lt|gt);/g;

function* atoms(s: string): Iterable<string> {
  let last = 0;
  for (const m of s.matchAll(ATOM)) {
    yield* segments(s.slice(last, m.index), identity);
    yield m[0];
    last = m.index + m[0].length;
  }
  yield* segments(s.slice(last), identity);
}

/** A guard for composed mrkdwn whose parts were clipped already: never exceeds max, never breaks markup. */
export function fitMrkdwn(built: string, max: number): string {
  if (built.length <= max) return built || '—';
  return clipPieces(atoms(built), max, built.length) || '—';
}

/** A mrkdwn link; the label is escaped and the URL left out when it is too long to be kept whole. */
export function link(url: string | null, label: string, maxLabel: number, maxUrl: number): string {
  const text = md(label, maxLabel);
  if (!url || url.length > maxUrl || /[\s<>|]/.test(url)) return text;
  return `<${url.replace(/&/g, '&amp;')}|${text}>`;
}

// ---------------------------------------------------------------------------------------------
// Times: always UTC, as people read them; the alert carries the instants, so there is no clock.

const pad = (n: number) => String(n).padStart(2, '0');

function parse(iso: string): Date | null {
  const d = new Date(iso);
  return iso && !Number.isNaN(d.getTime()) ? d : null;
}

/** "2026-03-14 10:01:58 UTC"; the input itself (clipped by the caller) when it is not a time. */
export function utc(iso: string): string {
  const d = parse(iso);
  if (!d) return iso;
  return (
    `${d.toISOString().slice(0, 10)} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`
  );
}

/** "10:02:11 UTC" when `iso` falls on the same UTC day as `sameDayAs`, else the full utc(). */
export function utcTime(iso: string, sameDayAs: string): string {
  const d = parse(iso);
  const ref = parse(sameDayAs);
  if (!d || !ref || d.toISOString().slice(0, 10) !== ref.toISOString().slice(0, 10)) return utc(iso);
  return utc(iso).slice(11);
}

/** "2027-01-31" for a midnight expiry, else "2027-01-31 12:00:00 UTC". */
export function utcDay(iso: string): string {
  const d = parse(iso);
  if (!d) return iso;
  return d.toISOString().endsWith('T00:00:00.000Z') ? d.toISOString().slice(0, 10) : utc(iso);
}
