// A Block Kit message as plain text for a terminal (`npm start`) or a log line: what a person
// would read in Slack, without the formatting.

type Text = { text?: string };
type Element = { type?: string; text?: Text | string };
type Block = { type: string; text?: Text; fields?: Text[]; elements?: Element[] };

const elementText = (e: Element): string => (typeof e.text === 'string' ? e.text : (e.text?.text ?? ''));

export function blocksToText(blocks: readonly unknown[]): string[] {
  const lines: string[] = [];
  for (const raw of blocks as Block[]) {
    switch (raw.type) {
      case 'header':
      case 'section':
        if (raw.text?.text) lines.push(...mrkdwn(raw.text.text).split('\n'));
        if (raw.fields) lines.push(raw.fields.map((f) => mrkdwn(f.text ?? '').replace(/\n/g, ' ')).join('   '));
        break;
      case 'context':
        lines.push((raw.elements ?? []).map((e) => mrkdwn(elementText(e))).join('  '));
        break;
      case 'actions':
        lines.push((raw.elements ?? []).map((e) => `[${elementText(e)}]`).join(' '));
        break;
      case 'divider':
        lines.push('—');
        break;
      default:
        break;
    }
  }
  return lines.filter((l) => l.trim() !== '');
}

/** Links become their label, code fences and emphasis marks go, entities are unescaped. */
function mrkdwn(s: string): string {
  return s
    .replace(/<([^|>]+)\|([^>]+)>/g, '$2')
    .replace(/<([^>]+)>/g, '$1')
    .replace(/```/g, '')
    .replace(/(^|\s)[*_~]([^*_~\n]+)[*_~](?=\s|$|[.,:;])/g, '$1$2')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
