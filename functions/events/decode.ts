import type { DecodedEntry, Envelope, LogEntry } from '../core/types.js';

// Turns whatever carried the entries (a file, stdin, a Pub/Sub push, a CloudEvent) into LogEntries.
// Every item comes out either as an entry or as an error that names it: nothing is dropped and
// nothing throws, so one bad message never hides the good ones beside it.

type Json = unknown;
type Unwrapped =
  | { envelope: Envelope; entry: LogEntry; messageId?: string }
  | { error: string; envelope?: Envelope; messageId?: string };

const isObject = (v: Json): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Decodes a whole input: one JSON value (an item or an array of items), or JSON Lines. */
export function decodeInput(text: string): DecodedEntry[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  let whole: Json;
  try {
    whole = JSON.parse(trimmed);
  } catch (e) {
    if (someLineIsJson(trimmed)) return decodeLines(text);
    return [{ index: 1, error: `not JSON (${(e as Error).message})` }];
  }
  const items = Array.isArray(whole) ? whole : [whole];
  return items.map((item, i) => toDecoded(i + 1, unwrap(item)));
}

// Some line holding a whole object on its own means JSON Lines (with broken lines among them);
// none means one broken document.
function someLineIsJson(text: string): boolean {
  return text.split('\n').some((line) => {
    try {
      return isObject(JSON.parse(line));
    } catch {
      return false;
    }
  });
}

function decodeLines(text: string): DecodedEntry[] {
  const out: DecodedEntry[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '') continue;
    const index = out.length + 1;
    try {
      out.push(toDecoded(index, unwrap(JSON.parse(line))));
    } catch (e) {
      out.push({ index, error: `line ${n + 1}: not JSON (${(e as Error).message})` });
    }
  }
  return out;
}

/** Decodes one item that is already parsed, e.g. the data of a CloudEvent a function received. */
export function decodeItem(item: Json, index = 1): DecodedEntry {
  return toDecoded(index, unwrap(item));
}

function toDecoded(index: number, u: Unwrapped): DecodedEntry {
  const messageId = u.messageId === undefined ? {} : { messageId: u.messageId };
  if ('error' in u) return { index, ...(u.envelope ? { envelope: u.envelope } : {}), ...messageId, error: u.error };
  return { index, envelope: u.envelope, ...messageId, entry: u.entry };
}

function unwrap(item: Json): Unwrapped {
  if (!isObject(item)) return { error: `expected a JSON object, got ${describe(item)}` };
  if ('protoPayload' in item || 'insertId' in item || 'logName' in item)
    return { envelope: 'log-entry', entry: item as LogEntry };
  // A CloudEvent (structured mode): the Pub/Sub push body is its data.
  if ('specversion' in item) {
    if (!isObject(item.data))
      return { envelope: 'cloudevent', error: `cloudevent ${str(item.id)}: data missing or not an object` };
    return fromPush(item.data, 'cloudevent', str(item.id));
  }
  if ('message' in item) return fromPush(item, 'pubsub-push');
  // A bare PubsubMessage, as a 1st-gen background function receives it.
  if ('data' in item && typeof item.data === 'string') return fromMessage(item, 'pubsub-message');
  const keys = Object.keys(item).slice(0, 5).join(', ') || 'none';
  return { error: `not a LogEntry, Pub/Sub message or CloudEvent (keys: ${keys})` };
}

function fromPush(body: Record<string, unknown>, envelope: Envelope, eventId?: string): Unwrapped {
  if (!isObject(body.message))
    return { envelope, ...(eventId ? { messageId: eventId } : {}), error: 'message missing or not an object' };
  return fromMessage(body.message, envelope, eventId);
}

function fromMessage(message: Record<string, unknown>, envelope: Envelope, fallbackId?: string): Unwrapped {
  const id = str(message.messageId ?? message.message_id) || fallbackId;
  const withId = id ? { messageId: id } : {};
  if (typeof message.data !== 'string' || message.data === '') {
    return { envelope, ...withId, error: 'message.data missing or empty' };
  }
  const json = base64Json(message.data);
  if ('error' in json) return { envelope, ...withId, error: `message.data: ${json.error}` };
  if (!isObject(json.value))
    return { envelope, ...withId, error: `message.data: expected a LogEntry object, got ${describe(json.value)}` };
  return { envelope, ...withId, entry: json.value as LogEntry };
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function base64Json(data: string): { value: Json } | { error: string } {
  if (!BASE64.test(data)) return { error: 'not base64' };
  const text = Buffer.from(data, 'base64').toString('utf8');
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: `decoded base64 is not JSON (${(e as Error).message})` };
  }
}

const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? 'a string' : typeof v;
}
