import { decodeRevertRequest, KIND_ATTRIBUTE, REVERT_REQUEST_KIND } from '../core/revert-request.js';
import type { LiveDeps } from '../enforcement/deps.js';
import { executeRevertRequest } from '../enforcement/revert-request.js';

// auditEvents also receives "Revert now" requests from slackInteractions, on their own topic and
// push subscription, marked by the `runguard-kind: revert-request` attribute. Only slackInteractions'
// service account may publish there (Terraform); the request names who clicked and which finding,
// and is carried out with the live path's safety rules (enforcement/revert-request.ts).

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The message of a push delivery when it is marked as a revert request; null for everything else. */
export function revertRequestMessage(data: unknown): { data: string; messageId: string } | null {
  const message = isObj(data) && isObj(data.message) ? data.message : null;
  const attributes = message && isObj(message.attributes) ? message.attributes : null;
  if (!message || attributes?.[KIND_ATTRIBUTE] !== REVERT_REQUEST_KIND) return null;
  return {
    data: typeof message.data === 'string' ? message.data : '',
    messageId: String(message.messageId ?? message.message_id ?? ''),
  };
}

export async function handleRevertRequest(
  message: { data: string; messageId: string },
  deps: LiveDeps,
): Promise<{ status: 'malformed' | 'duplicate' | 'handled'; verdicts: [] }> {
  const request = decodeRevertRequest(Buffer.from(message.data, 'base64'));
  if (!request) {
    deps.log({
      severity: 'ERROR',
      message: `malformed revert request (message ${message.messageId}): acknowledged, nothing done`,
      event: 'malformed',
      messageId: message.messageId,
    });
    return { status: 'malformed', verdicts: [] };
  }
  const result = await executeRevertRequest(request, deps);
  return { status: result.status === 'duplicate' ? 'duplicate' : 'handled', verdicts: [] };
}
