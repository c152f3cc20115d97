import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { CHART } from '../../functions/report/chart-svg.js';
import type { ReportSlackApi } from '../../functions/report/post.js';
import { handleWeeklyReport } from '../../functions/report/run.js';
import { blocksToText } from '../../functions/slack/plain-text.js';
import { createSlackApi, SLACK_RETRIES } from '../../functions/slack/client.js';
import { MemoryStateStore } from '../../functions/state/memory.js';
import { useSlackStandIn } from '../../stand-ins/slack/use.js';
import { DAY, exemption, NOW, rec } from './fixtures.js';

// The scheduled report end to end against the Slack stand-in: the chart goes up through
// files.uploadV2 (upload URL on 127.0.0.1, bytes posted there, upload completed into the channel)
// with the summary blocks, and what arrives is a PNG of the chart's size that decodes.

const slack = useSlackStandIn({ rateLimit: false });

async function seeded(): Promise<MemoryStateStore> {
  const store = new MemoryStateStore();
  await store.recordDecisions([
    rec(NOW - 3 * DAY, { actor: 'deployer@ci-prod.iam.gserviceaccount.com' }),
    rec(NOW - 3 * DAY + 60_000, { actor: 'deployer@ci-prod.iam.gserviceaccount.com', rule: 'run-public-invoker' }),
    rec(NOW - 2 * DAY, { actor: 'alice@example.com', project: 'pay-prod', done: 'alerted' }),
  ]);
  await store.recordExemption(exemption(NOW + 2 * DAY, { id: 'exm-checkout' }), NOW - DAY);
  await store.setFight('run-ingress-all|projects/shop-prod/locations/europe-west1/services/api', {
    actor: 'terraform@infra.iam.gserviceaccount.com',
    since: NOW - DAY,
    until: NOW + DAY,
    reverts: 3,
  });
  return store;
}

function ihdr(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

const logs: unknown[] = [];
const deps = async (channel: string) => ({
  state: await seeded(),
  slack: {
    api: (await createSlackApi('xoxb-test-token', slack.apiUrl, {
      ...SLACK_RETRIES,
      retries: 0,
    })) as unknown as ReportSlackApi,
    channel,
  },
  log: (l: unknown) => logs.push(l),
  now: () => NOW,
});

describe('the weekly report in Slack', () => {
  it('uploads the chart with files.uploadV2 and shares it with the summary blocks', async () => {
    slack.reset();
    const { posted } = await handleWeeklyReport({ report: 'weekly' }, await deps('C0RUNGUARD1'));
    expect(posted).toBe(true);
    const calls = slack.requests.map((r) => r.method);
    expect(calls).toEqual(['files.getUploadURLExternal', 'files.completeUploadExternal']);
    const files = [...slack.files.values()];
    expect(files).toHaveLength(1);
    const file = files[0]!;
    expect(file.channel).toBe('C0RUNGUARD1');
    const png = file.bytes!;
    expect(png.length).toBe(file.length);
    expect(png.length).toBeGreaterThan(10_000);
    expect(ihdr(png)).toEqual({ width: CHART.width, height: CHART.height });
    const decoded = PNG.sync.read(png);
    expect([decoded.width, decoded.height]).toEqual([CHART.width, CHART.height]);
    // Not a blank page: the bars' colours are in it, not only white and greys.
    const colours = new Set<number>();
    for (let i = 0; i < decoded.data.length; i += 4 * 97) {
      const [r, g, b] = [decoded.data[i]!, decoded.data[i + 1]!, decoded.data[i + 2]!];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colours.add((r << 16) | (g << 8) | b);
    }
    expect(colours.size).toBeGreaterThan(1);

    const [message] = slack.messages('C0RUNGUARD1');
    expect(message!.ts).toBe(file.ts);
    const text = blocksToText(message!.blocks ?? []).join('\n');
    expect(text).toContain('deployer@ci-prod.iam.gserviceaccount.com: 2 (2 reverted)');
    expect(text).toContain('pay-prod');
    expect(text).toContain('projects/pay-prod/locations/us-central1/services/checkout');
    expect(text).toContain('bob@example.com');
    expect(text).toContain('terraform@infra.iam.gserviceaccount.com');
  });

  it('to a channel named #name: the summary is posted, and the chart goes into its thread', async () => {
    slack.reset();
    await handleWeeklyReport({ report: 'weekly' }, await deps('#runguard-alerts'));
    expect(slack.requests.map((r) => r.method)).toEqual([
      'chat.postMessage',
      'files.getUploadURLExternal',
      'files.completeUploadExternal',
    ]);
    const [message] = slack.messages('#runguard-alerts');
    expect(blocksToText(message!.blocks ?? []).join('\n')).toContain('Top actors');
    const file = [...slack.files.values()][0]!;
    expect(message!.replies.map((r) => r.ts)).toEqual([file.ts]);
    expect(ihdr(file.bytes!).width).toBe(CHART.width);
  });
});
