import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../functions/core/log.js';
import { createReportDeps } from '../../functions/report/deps.js';
import { handleWeeklyReport } from '../../functions/report/run.js';
import { blocksToText } from '../../functions/slack/plain-text.js';
import type { MemoryStateStore } from '../../functions/state/memory.js';
import { type ResourceManagerStandIn, startResourceManagerStandIn } from '../../stand-ins/resource-manager/index.js';
import { useCloudRunStandIn } from '../../stand-ins/cloud-run/use.js';
import { useSlackStandIn } from '../../stand-ins/slack/use.js';
import { demoBreakglass, SHOP_FOLDER, seedDemoHierarchy, seedDemoToday } from '../../scripts/recommend-demo.js';
import { builtRecord } from '../recommend/built-history.js';

// The scheduled weekly report's "recommended guardrails": the functions' own wiring (createReportDeps,
// from the environment alone) reads runguard's decision history from its store, the hierarchy from
// the Resource Manager stand-in and what is deployed from the Cloud Run stand-in, and the Slack message
// carries the proposal. A Resource Manager that cannot be reached costs the section, never the report.

const DAY = 86_400_000;
const CHANNEL = 'C0RUNGUARD1';
const { standIn: run } = useCloudRunStandIn({ client: null });
const slack = useSlackStandIn({ rateLimit: false });
let rm: ResourceManagerStandIn;
beforeAll(async () => {
  rm = await startResourceManagerStandIn();
});
afterAll(async () => {
  await rm?.stop();
});

const dir = mkdtempSync(join(tmpdir(), 'runguard-report-recommend-'));
const CONFIG = join(dir, 'runguard.yaml');
writeFileSync(
  CONFIG,
  `slack:\n  defaultChannel: "${CHANNEL}"\nreconcile:\n  locations: [europe-west1, us-central1]\n` +
    'projects:\n  - { match: "demo-*", mode: enforce }\n',
);

async function reportWith(rmEndpoint: string) {
  const logs: LogLine[] = [];
  const deps = await createReportDeps(
    {
      RUNGUARD_CONFIG: CONFIG,
      RUNGUARD_STATE_STORE: 'memory',
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_API_URL: slack.apiUrl,
      RUNGUARD_RUN_ENDPOINT: `127.0.0.1:${run.port}`,
      RUNGUARD_RESOURCE_MANAGER_ENDPOINT: rmEndpoint,
    },
    (l) => logs.push(l),
  );
  const now = deps.now();
  const store = deps.state as MemoryStateStore;
  // Ingress opened four times in the shop folder's two projects by three actors over the month.
  const actors = ['terraform@demo-shop.iam.gserviceaccount.com', 'dana@example.com', 'sam@example.com'];
  await store.recordDecisions(
    ['demo-shop', 'demo-shop', 'demo-lab', 'demo-lab'].map((project, i) => ({
      ...builtRecord({ project, actor: actors[i % 3]! }),
      at: now - (i + 2) * DAY,
    })),
  );
  await store.recordExemption(demoBreakglass(now), now);
  return { ...(await handleWeeklyReport({ report: 'weekly' }, deps)), logs };
}

describe('the weekly report recommends guardrails', () => {
  it('proposes the ingress constraint on the folder that covers the findings, in the Slack message', async () => {
    slack.reset();
    run.reset();
    rm.reset();
    seedDemoToday(run);
    seedDemoHierarchy(rm);
    const { report, posted } = await reportWith(rm.endpoint);
    expect(posted).toBe(true);
    const ingress = report.recommendations?.find((r) => r.title.includes('run.allowedIngress'));
    expect(ingress?.title).toBe(`Enforce constraints/run.allowedIngress on ${SHOP_FOLDER}`);
    // The breakglass-exempt inventory and the open lab-api are what it would break today.
    expect(ingress?.evidence).toMatch(/4 finding/);
    expect(ingress?.evidence).toMatch(/would break 2 deployed service/);
    expect(ingress?.command).toMatch(/gcloud org-policies set-policy/);
    const [message] = slack.messages(CHANNEL);
    const text = blocksToText(message!.blocks ?? []).join('\n');
    expect(text).toContain(`constraints/run.allowedIngress on ${SHOP_FOLDER}`);
  });

  it('posts the report without the section when Resource Manager cannot be reached, and says why', async () => {
    slack.reset();
    const { report, posted, logs } = await reportWith('127.0.0.1:9');
    expect(posted).toBe(true);
    expect(report.recommendations ?? []).toEqual([]);
    expect(logs.some((l) => l.severity === 'WARNING' && /recommend/.test(String(l.message)))).toBe(true);
    expect(slack.messages(CHANNEL)).toHaveLength(1);
  });
});
