import type { InteractionSlack } from './slack-port.js';

// The alert message between the click and the modal's submission, so the submission can rewrite it
// in place (chat.update replaces blocks whole; Slack's view_submission does not carry the message).
// The click brings the message: it is remembered in this instance. A submission that lands on
// another instance reads it back with conversations.history / .replies (scopes channels:history,
// groups:history); when that is not possible the caller says its piece in the thread instead.

export interface RememberedMessage {
  text: string;
  blocks: unknown[];
}

export interface MessageMemory {
  remember(channel: string, ts: string, message: RememberedMessage): void;
  recall(channel: string, ts: string, threadTs?: string): Promise<RememberedMessage | null>;
}

const TTL_MS = 60 * 60_000;
const MAX_ENTRIES = 500;

export function createMessageMemory(slack: InteractionSlack, now: () => number): MessageMemory {
  const entries = new Map<string, { message: RememberedMessage; until: number }>();
  return {
    remember(channel, ts, message) {
      const key = `${channel}|${ts}`;
      entries.delete(key);
      entries.set(key, { message, until: now() + TTL_MS });
      // A Map iterates in insertion order: the first key is the oldest.
      while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
    },
    async recall(channel, ts, threadTs) {
      const hit = entries.get(`${channel}|${ts}`);
      if (hit && hit.until > now()) return hit.message;
      try {
        const window = { channel, latest: ts, oldest: ts, inclusive: true, limit: 1 };
        const res = threadTs
          ? await slack.conversations.replies({ ...window, ts: threadTs })
          : await slack.conversations.history(window);
        const found = (res.messages ?? []).find((m) => m.ts === ts);
        return found && Array.isArray(found.blocks) ? { text: found.text ?? '', blocks: found.blocks } : null;
      } catch {
        return null;
      }
    },
  };
}
