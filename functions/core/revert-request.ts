// "Revert now", as a message: slackInteractions (on the internet, holding no Cloud Run permission)
// publishes who asked to revert which finding; auditEvents (which holds the remediation role) does
// it with the live path's safety rules and reports in the alert's thread. Pure.

/** The Pub/Sub message attribute that marks a revert request, on the revert-requests topic. */
export const KIND_ATTRIBUTE = 'runguard-kind';
export const REVERT_REQUEST_KIND = 'revert-request';

export interface RevertRequest {
  v: 1;
  /** Unique per click: the claim key that makes a redelivery harmless. */
  id: string;
  /** `${rule}|${resource}`: what to revert. */
  findingKey: string;
  /** Who clicked: checked as an approver by slackInteractions before publishing. */
  requestedBy: { slackUserId: string; email: string | null };
  /** ISO 8601 instant of the click. */
  requestedAt: string;
  /** The alert the click was on: the result is reported in its thread. */
  slackMessage: { channel: string; ts: string; threadTs?: string };
}

export function encodeRevertRequest(r: RevertRequest): { data: Buffer; attributes: Record<string, string> } {
  return { data: Buffer.from(JSON.stringify(r), 'utf8'), attributes: { [KIND_ATTRIBUTE]: REVERT_REQUEST_KIND } };
}

const str = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** The request in a message body, or null when it is not a well-formed one. */
export function decodeRevertRequest(data: string | Buffer): RevertRequest | null {
  let v: unknown;
  try {
    v = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const r = v as Record<string, unknown>;
  const by = r.requestedBy as Record<string, unknown> | undefined;
  const msg = r.slackMessage as Record<string, unknown> | undefined;
  if (r.v !== 1 || !str(r.id) || !str(r.findingKey) || !str(r.requestedAt)) return null;
  if (!by || !str(by.slackUserId) || !(by.email === null || typeof by.email === 'string')) return null;
  if (!msg || !str(msg.channel) || !str(msg.ts)) return null;
  return {
    v: 1,
    id: r.id,
    findingKey: r.findingKey,
    requestedBy: { slackUserId: by.slackUserId, email: (by.email as string | null) ?? null },
    requestedAt: r.requestedAt,
    slackMessage: { channel: msg.channel, ts: msg.ts, ...(str(msg.threadTs) ? { threadTs: msg.threadTs } : {}) },
  };
}
