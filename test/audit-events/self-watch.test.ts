import type { ServicesClient } from '@google-cloud/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleAuditEvent } from '../../functions/audit-events/handler.js';
import { NotifyError } from '../../functions/core/errors.js';
import { selfWatchLogger } from '../../functions/enforcement/self-watch.js';
import { summarize } from '../../functions/reconcile/news.js';
import type { SweepDeps, SweepReport } from '../../functions/reconcile/types.js';
import { createSlackApi } from '../../functions/slack/client.js';
import { renderSweepSummary } from '../../functions/slack/render-sweep.js';
import { type CloudRunStandIn, startCloudRunStandIn } from '../../stand-ins/cloud-run/index.js';
import { type SlackStandIn, startSlackStandIn } from '../../stand-ins/slack/index.js';
import { cloudEventFor, updateServiceEntry } from '../../stand-ins/audit-entries.js';
import { harness, newClient } from '../harness.js';

// Issue 13 §8: failures nobody would hear about reach a person. Where Slack still works, the
// default channel gets one message per kind (rate-limited); the sweep's summary counts them.

const NAME = 'projects/shop-prod/locations/europe-west1/services/watched';
const CHANNEL = '#runguard-alerts';

describe('runguard watches itself', () => {
  let run: CloudRunStandIn;
  let client: ServicesClient;
  let slack: SlackStandIn;
  beforeAll(async () => {
    run = await startCloudRunStandIn();
    client = await newClient(run);
    slack = await startSlackStandIn({ tokens: ['xoxb-watch'], rateLimit: false });
  });
  afterAll(async () => {
    await client?.close();
    await run?.close();
    await slack?.close();
  });

  it('posts one message per kind to the default channel, rate-limited, counting what it held back', async () => {
    const h = harness(run, client);
    const api = await createSlackApi('xoxb-watch', slack.apiUrl, {
      retries: 0,
      factor: 1,
      minTimeout: 5,
      maxTimeout: 10,
      randomize: false,
    });
    const watch = selfWatchLogger(h.deps.log, (text) => api.chat.postMessage({ channel: CHANNEL, text, blocks: [] }), {
      now: () => h.clock.now,
      intervalMs: 15 * 60_000,
    });
    const deps = { ...h.deps, log: watch.log };
    let n = 0;
    const undelivered = async () => {
      run.seedService({ name: NAME, ingress: 'INGRESS_TRAFFIC_ALL' });
      run.seedPolicy(NAME, { bindings: [] });
      h.notifier.failNext.push(new NotifyError('channel_not_found', false));
      const entry = updateServiceEntry({
        name: NAME,
        insertId: `w-${++n}`,
        service: { ingress: 'INGRESS_TRAFFIC_ALL' },
      });
      await handleAuditEvent(cloudEventFor(entry, `m-${n}`), deps);
      await watch.flush();
    };
    const texts = () => slack.messages(CHANNEL).map((m) => m.text);

    await undelivered();
    expect(h.logs.some((l) => l.event === 'alert-undelivered')).toBe(true);
    expect(texts()).toHaveLength(1);
    expect(texts()[0]).toMatch(/runguard health: an alert could not be delivered to Slack.*alert-undelivered/);

    await undelivered(); // within the interval: logged, not posted again
    expect(h.logs.filter((l) => l.event === 'alert-undelivered')).toHaveLength(2);
    expect(texts()).toHaveLength(1);

    // Another kind has its own budget.
    await handleAuditEvent(
      { id: 'bad-1', data: { message: { data: Buffer.from('not json').toString('base64'), messageId: 'bad-1' } } },
      deps,
    );
    await watch.flush();
    expect(texts()).toHaveLength(2);
    expect(texts()[1]).toMatch(/an audit entry could not be read/);

    h.clock.now += 16 * 60_000;
    await undelivered();
    expect(texts()).toHaveLength(3);
    expect(texts()[2]).toMatch(/and 1 more since the last message/);
  });

  it('the sweep summary counts them, and is sent when only runguard itself had trouble', async () => {
    const h = harness(run, client);
    const report: SweepReport = {
      startedAt: h.clock.now,
      finishedAt: h.clock.now + 1000,
      projects: [],
      findings: [],
      unread: [],
      ruleErrors: [{ resource: NAME, rule: 'run-ingress-all', message: 'boom' }],
      undelivered: 2,
      planned: [],
    };
    await summarize(report, { ...h.deps, notify: true } as unknown as SweepDeps);
    expect(h.notifier.summaries).toHaveLength(1);
    const [s] = h.notifier.summaries;
    expect(s!.health).toEqual({ undelivered: 2, ruleErrors: 1, failed: 0, fights: 0 });
    const rendered = renderSweepSummary(s!);
    expect(rendered.text).toMatch(/runguard itself: 2 alerts not delivered, 1 rule error/);
    expect(JSON.stringify(rendered.blocks)).toMatch(/No new findings/);
  });
});
