import { MAX_BLOCKS, SECTION_TEXT } from '../slack/limits.js';
import { ACKNOWLEDGE_ACTION_ID, ACTIONS_BLOCK_ID, REVERT_NOW_ACTION_ID } from '../slack/render-actions.js';
import { md } from '../slack/render-text.js';

// Reading and rewriting the alert message a button was on (as renderAlert built it). Pure.

type Block = Record<string, unknown>;
const isBlock = (b: unknown): b is Block => typeof b === 'object' && b !== null && !Array.isArray(b);

/** `<!date^…>` shows the instant in each reader's own time zone, with UTC as the fallback text. */
export function slackDate(ms: number): string {
  const iso = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${iso}>`;
}

export function acknowledgedText(
  slackUserId: string,
  expires: number,
  justification: string,
  confirmedBy?: string,
): string {
  const by = confirmedBy ? `<@${slackUserId}>, confirmed by <@${confirmedBy}>,` : `<@${slackUserId}>`;
  const head = `🛡️ Acknowledged by ${by} until ${slackDate(expires)}: `;
  return head + md(justification, SECTION_TEXT - head.length - 10);
}

const OURS = new Set([ACKNOWLEDGE_ACTION_ID, REVERT_NOW_ACTION_ID]);
const hasOurButton = (b: Block) =>
  Array.isArray(b.elements) && b.elements.some((e) => isBlock(e) && OURS.has(String(e.action_id)));

export function section(text: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text, verbatim: true } };
}

/**
 * The message's blocks with its buttons replaced by `note` (keepButtons: the note goes above them,
 * so a failed revert can be tried again). Never more blocks than Slack takes.
 */
export function withNote(blocks: readonly unknown[], note: Block, keepButtons = false): unknown[] {
  const isActions = (b: unknown) =>
    isBlock(b) && b.type === 'actions' && (b.block_id === ACTIONS_BLOCK_ID || hasOurButton(b));
  const body = blocks.filter((b) => !isActions(b));
  const actions = keepButtons ? blocks.filter(isActions) : [];
  const room = MAX_BLOCKS - 1 - actions.length;
  return [...body.slice(0, room), note, ...actions];
}
