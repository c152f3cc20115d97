import { createHmac, timingSafeEqual } from 'node:crypto';

// Slack's request signing ("Verifying requests from Slack"), after bolt-js's verify-request.ts:
// X-Slack-Signature is 'v0=' + hex(HMAC-SHA256(signing secret, 'v0:' + X-Slack-Request-Timestamp +
// ':' + the raw body)); a request more than five minutes away from now is a replay. Pure: the clock
// comes in. A reason names what was wrong, never the secret or the signature that was expected.

export type HeaderBag = Record<string, string | string[] | undefined>;

export interface VerifyInput {
  signingSecret: string;
  rawBody: Buffer;
  headers: HeaderBag;
  /** Now, in milliseconds since the epoch. */
  now: number;
}

export type VerifyResult = { ok: true } | { ok: false; status: 401 | 400; reason: string };

/** How far a request's timestamp may be from now, either way (Slack's documented window). */
export const MAX_SKEW_SECONDS = 5 * 60;
/** Interaction payloads are a few kilobytes; nothing this large is hashed. */
export const MAX_BODY_BYTES = 256 * 1024;

const TIMESTAMP = /^\d{1,12}$/;
const SIGNATURE = /^v0=[0-9a-f]{64}$/;

const refuse = (status: 401 | 400, reason: string): VerifyResult => ({ ok: false, status, reason });

/** One header's single value, whatever the case of its name; absent, empty and repeated headers are all undefined. */
export function header(headers: HeaderBag, name: string): string | undefined {
  const values = Object.entries(headers).filter(([k, v]) => k.toLowerCase() === name && v !== undefined);
  if (values.length !== 1) return undefined;
  const v = values[0]![1];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function verifySlackRequest({ signingSecret, rawBody, headers, now }: VerifyInput): VerifyResult {
  if (!signingSecret) return refuse(401, 'no signing secret is configured: every request is refused');
  if (!Buffer.isBuffer(rawBody)) return refuse(400, 'the raw request body is not available');
  if (rawBody.length > MAX_BODY_BYTES)
    return refuse(400, `body of ${rawBody.length} bytes is larger than ${MAX_BODY_BYTES}`);

  const timestamp = header(headers, 'x-slack-request-timestamp');
  const signature = header(headers, 'x-slack-signature');
  if (timestamp === undefined) return refuse(401, 'missing or repeated X-Slack-Request-Timestamp header');
  if (signature === undefined) return refuse(401, 'missing or repeated X-Slack-Signature header');
  if (!TIMESTAMP.test(timestamp)) return refuse(401, 'X-Slack-Request-Timestamp is not a number of seconds');

  const age = Math.floor(now / 1000) - Number(timestamp);
  if (age > MAX_SKEW_SECONDS)
    return refuse(
      401,
      `request timestamp is ${age} s old (more than ${MAX_SKEW_SECONDS} s): a replay or a wrong clock`,
    );
  if (-age > MAX_SKEW_SECONDS)
    return refuse(401, `request timestamp is ${-age} s in the future (more than ${MAX_SKEW_SECONDS} s)`);

  if (!signature.startsWith('v0=')) return refuse(401, 'X-Slack-Signature has an unsupported version (expected v0=)');
  if (!SIGNATURE.test(signature))
    return refuse(401, 'X-Slack-Signature is not v0= followed by 64 lower-case hex digits');

  const expected = createHmac('sha256', signingSecret).update(`v0:${timestamp}:`).update(rawBody).digest();
  const given = Buffer.from(signature.slice(3), 'hex');
  // Both are 32 bytes here (the pattern above); the length check keeps timingSafeEqual from throwing regardless.
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return refuse(401, 'signature does not match');
  return { ok: true };
}
