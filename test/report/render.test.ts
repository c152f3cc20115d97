import { describe, expect, it } from 'vitest';
import { chartSvg } from '../../functions/report/chart-svg.js';
import { reportHtml } from '../../functions/report/html.js';
import { buildReport } from '../../functions/report/model.js';
import { reportRequest } from '../../functions/report/request.js';
import { reportBlocks } from '../../functions/report/slack-blocks.js';
import { blocksToText } from '../../functions/slack/plain-text.js';
import { DAY, exemption, NOW, rec } from './fixtures.js';

// Everything shown came from audit entries and approvers: nothing in it may become markup, a mention
// or a script, wherever it is rendered; and the recommendations slot shows what it is given.

const HOSTILE = '<!channel> <script>alert(1)</script> & "x"';
const report = (recommendations?: Array<{ title: string; evidence: string; command?: string }>) =>
  buildReport({
    records: [rec(NOW - DAY, { actor: HOSTILE, rule: 'run-ingress-all' })],
    exemptions: [exemption(NOW + DAY, { reason: HOSTILE })],
    fights: [
      {
        findingKey: 'run-ingress-all|projects/p/locations/l/services/s',
        fight: { actor: HOSTILE, since: NOW - DAY, until: NOW + DAY, reverts: 3 },
      },
    ],
    since: NOW - 7 * DAY,
    now: NOW,
    ...(recommendations ? { recommendations } : {}),
  });

const RECS = [
  {
    title: 'Restrict Cloud Run ingress in shop-prod',
    evidence: '5 ingress findings by 2 actors this week',
    command: 'gcloud org-policies set-policy run-allowed-ingress.yaml --project shop-prod',
  },
  { title: 'Keep public invokers out', evidence: 'none reverted' },
];

describe('rendering the weekly report', () => {
  it('Slack: escapes what people typed, stays within Block Kit limits', () => {
    const { text, blocks } = reportBlocks(report());
    const json = JSON.stringify(blocks);
    expect(json).not.toContain('<!channel>');
    expect(json).toContain('&lt;!channel&gt;');
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const b of blocks as Array<{ text?: { text: string }; fields?: Array<{ text: string }> }>) {
      expect(b.text?.text.length ?? 0).toBeLessThanOrEqual(3000);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(2000);
    }
    expect(text).toContain('1 findings');
  });

  it('HTML and SVG: escaped, self-contained', () => {
    const html = reportHtml(report());
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;');
    expect(html).not.toMatch(/\b(src|href)=/);
    const svg = chartSvg(report());
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('run-ingress-all');
  });

  it('shows recommendations in Slack and HTML only when there are some', () => {
    expect(blocksToText(reportBlocks(report()).blocks).join('\n')).not.toContain('Recommended guardrails');
    expect(reportHtml(report())).not.toContain('Recommended guardrails');
    const slack = blocksToText(reportBlocks(report(RECS)).blocks).join('\n');
    expect(slack).toContain('Recommended guardrails');
    expect(slack).toContain('Restrict Cloud Run ingress in shop-prod');
    expect(slack).toContain('gcloud org-policies set-policy run-allowed-ingress.yaml --project shop-prod');
    expect(slack).toContain('none reverted');
    const html = reportHtml(report(RECS));
    expect(html).toContain('<h3>Keep public invokers out</h3>');
    expect(html).toContain('<pre><code>gcloud org-policies set-policy');
  });
});

describe('the report request on the reconcile topic', () => {
  const push = (body: unknown) => ({ message: { data: Buffer.from(JSON.stringify(body)).toString('base64') } });
  it('is a message whose data says report: weekly; anything else is a sweep', () => {
    expect(reportRequest(push({ report: 'weekly', since: '14d' }))).toEqual({ report: 'weekly', since: '14d' });
    expect(reportRequest(push({ report: 'weekly' }))).toEqual({ report: 'weekly' });
    expect(reportRequest(push({ trigger: 'schedule', job: 'runguard-reconcile' }))).toBeNull();
    expect(reportRequest({ message: { data: Buffer.from('manual').toString('base64') } })).toBeNull();
    expect(reportRequest(null)).toBeNull();
  });
});
