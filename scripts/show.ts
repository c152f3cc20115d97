import { blocksToText } from '../functions/slack/plain-text.js';
import { blockKitBuilderUrl } from '../functions/slack/links.js';

// How `npm start` shows the loop: the function's log lines and the Slack stand-in's messages,
// as readable text.

const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const dim = paint(2);
const bold = paint(1);
const green = paint(32);
const yellow = paint(33);
const red = paint(31);

export const say = (s: string) => process.stdout.write(`${s}\n`);

const DONE_COLOUR: Record<string, (s: string) => string> = {
  reverted: green,
  'already-safe': green,
  exempt: green,
  fighting: red,
  failed: red,
  'dry-run': yellow,
  alerted: yellow,
  gone: dim,
};

export function printLogLine(text: string): void {
  if (!text.startsWith('{')) {
    if (text.trim()) say(dim(`  ${text}`));
    return;
  }
  const line = JSON.parse(text) as Record<string, string>;
  switch (line.event) {
    case 'decision': {
      const colour = DONE_COLOUR[line.done!] ?? ((s: string) => s);
      say(
        `  ${bold('decided')}    ${line.rule} [${line.ruleSeverity}] ${line.action} → ` +
          `${colour(line.done!)}: ${line.summary}`,
      );
      break;
    }
    case 'skip':
    case 'clean':
    case 'duplicate':
      say(dim(`  ${line.event.padEnd(10)} ${line.message}`));
      break;
    case 'alert':
      break; // Slack is configured in the demo; the message itself is shown when it arrives.
    default:
      say(`  ${line.event ?? 'log'.padEnd(10)} ${line.severity} ${line.message}`);
  }
}

export function printSlackMessage(request: { method: string; args: Record<string, unknown> }): void {
  const {
    channel,
    thread_ts: thread,
    blocks,
  } = request.args as { channel: string; thread_ts?: string; blocks?: unknown[] };
  const kind =
    request.method === 'chat.update'
      ? 'first message of its thread updated'
      : thread
        ? 'reply in thread'
        : 'new message';
  say(`  ${bold('Slack')}      ${channel} — ${kind}`);
  if (request.method === 'chat.update') return;
  for (const l of blocksToText(blocks ?? [])) say(dim('  │ ') + l);
  say(dim(`  └ preview in Block Kit Builder: ${blockKitBuilderUrl((blocks ?? []) as never)}`));
}
