// Slack's request signing ("Verifying requests from Slack"): X-Slack-Signature is
// 'v0=' + hex(HMAC-SHA256(signing secret, 'v0:' + X-Slack-Request-Timestamp + ':' + raw body)).
import { createHmac } from 'node:crypto';

export function signSlackRequest(secret: string, timestamp: number | string, rawBody: string | Buffer): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(rawBody);
  return `v0=${hmac.digest('hex')}`;
}

/** Headers for a signed interaction/slash-command request as Slack sends them (timestamp defaults to now). */
export function slackSignatureHeaders(
  secret: string,
  rawBody: string | Buffer,
  timestamp: number = Math.floor(Date.now() / 1000),
): Record<string, string> {
  return {
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signSlackRequest(secret, timestamp, rawBody),
  };
}
