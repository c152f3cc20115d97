import { describe, expect, it } from 'vitest';
import type { SweepSummary } from '../../functions/core/notify.js';
import { renderAlert } from '../../functions/slack/render.js';
import { renderSweepSummary } from '../../functions/slack/render-sweep.js';
import { blocksToText } from '../../functions/slack/plain-text.js';
import { alertFor } from './alerts.js';

const finding = (i: number, severity = 'HIGH') => ({
  severity,
  rule: 'run-ingress-all',
  resource: `projects/team-${i}/locations/us-central1/services/web`,
  project: `team-${i}`,
  message: 'ingress opened to all traffic',
  done: 'alerted',
  summary: 'alert only: project is monitored',
});

function summary(over: Partial<SweepSummary> = {}): SweepSummary {
  return {
    startedAt: Date.parse('2026-11-23T03:00:00Z'),
    finishedAt: Date.parse('2026-11-23T03:00:42Z'),
    projects: 12,
    services: 340,
    news: [finding(1)],
    ongoing: 3,
    unread: [],
    ...over,
  };
}

describe('a sweep alert', () => {
  it('says the setting was found by the sweep, not who changed it', () => {
    const alert = alertFor({ done: 'alerted' });
    alert.change = {
      ...alert.change,
      insertId: '',
      messageId: undefined,
      method: '',
      actor: '',
      tool: 'unknown',
      foundBy: 'sweep',
    };
    const text = blocksToText(renderAlert(alert).blocks).join('\n');
    expect(text).toContain('found by sweep');
    expect(text).toContain('runguard sweep');
    expect(text).not.toContain('unknown tool');
    expect(text).not.toMatch(/Who\*?\s*\n\s*unknown/);
  });
});

describe('the sweep summary', () => {
  it('leads with the worst severity and the count, lists the new findings in short form, and counts the rest', () => {
    const { text, blocks } = renderSweepSummary(summary({ news: [finding(1, 'MEDIUM'), finding(2, 'CRITICAL')] }));
    expect(text).toBe('runguard sweep: 2 new findings in 12 projects');
    const all = blocksToText(blocks).join('\n');
    expect(all).toMatch(/^🔴 runguard sweep: 2 new findings/);
    expect(all).toContain('team-2/us-central1/web');
    expect(all).toContain('340 services in 12 projects in 42 s · 3 already alerted and unchanged');
  });

  it('lists at most 15 findings and says how many more there are', () => {
    const all = blocksToText(
      renderSweepSummary(summary({ news: Array.from({ length: 20 }, (_, i) => finding(i)) })).blocks,
    ).join('\n');
    expect(all.match(/run-ingress-all/g)).toHaveLength(15);
    expect(all).toContain('…and 5 more (each has its own alert)');
  });

  it('says what could not be read, and keeps text from the API inert', () => {
    const news = [{ ...finding(1), message: 'ingress <!channel> opened' }];
    const unread = [{ project: 'locked', what: '42 regions', reason: 'permission run.services.list denied' }];
    const { blocks } = renderSweepSummary(summary({ news, unread }));
    const json = JSON.stringify(blocks);
    expect(json).not.toContain('<!channel>');
    expect(blocksToText(blocks).join('\n')).toContain('Could not read');
    expect(blocksToText(blocks).join('\n')).toContain('permission run.services.list denied');
  });
});
