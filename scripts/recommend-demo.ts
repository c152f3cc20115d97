// `runguard recommend` on the demo: a month of the demo shop's history (built audit entries, the same
// changes `npm start` replays, spread over the last days), Resource Manager and Cloud Run stand-ins
// seeded as the shop stands today, and one breakglass exemption from Slack. Run it:
//   npx tsx scripts/recommend-demo.ts [--json] [--out DIR]
// Tests import the pieces; nothing here leaves 127.0.0.1.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogEntry } from '../functions/core/types.js';
import type { BreakglassExemption } from '../functions/state/types.js';
import { updateServiceEntry } from '../stand-ins/audit-entries.js';
import type { CloudRunStandIn } from '../stand-ins/cloud-run/index.js';
import type { ResourceManagerStandIn } from '../stand-ins/resource-manager/index.js';
import { demoEntries, seedDemo } from './demo.js';

const HOUR = 3_600_000;
export const DEMO_ORG = 'organizations/123456789012';
export const SHOP_FOLDER = 'folders/300';
export const SANDBOX_FOLDER = 'folders/400';
const INVENTORY = 'projects/demo-shop/locations/europe-west1/services/inventory';
const LAB_API = 'projects/demo-lab/locations/us-central1/services/lab-api';

/** The demo's changes, built (not real), each dated `i` days before `now` so they fall in a 30-day window. */
export function builtDemoHistory(now: number): LogEntry[] {
  const entries = demoEntries().map((d) => d.entry);
  entries.push(
    updateServiceEntry({
      name: LAB_API,
      insertId: 'built-binauthz-1',
      actor: 'sam@example.com',
      service: { binaryAuthorization: { useDefault: true, breakglassJustification: 'INC-7 hotfix, not attested yet' } },
    }),
  );
  return entries.map((e, i) => {
    const at = new Date(now - (entries.length - i) * 24 * HOUR).toISOString();
    return { ...e, timestamp: at, receiveTimestamp: at };
  });
}

/** The hierarchy: the shop's two projects in one folder, the real entry's project in another. */
export function seedDemoHierarchy(rm: ResourceManagerStandIn): void {
  rm.addFolder({ name: SHOP_FOLDER, parent: DEMO_ORG, displayName: 'shop' });
  rm.addFolder({ name: SANDBOX_FOLDER, parent: DEMO_ORG, displayName: 'sandbox' });
  rm.addProject({ projectId: 'demo-shop', parent: SHOP_FOLDER });
  rm.addProject({ projectId: 'demo-lab', parent: SHOP_FOLDER });
  rm.addProject({ projectId: 'test-project-1234', parent: SANDBOX_FOLDER });
}

/** Cloud Run as the month left it: reverted where enforced, but Terraform's inventory and the lab are open. */
export function seedDemoToday(run: CloudRunStandIn): void {
  seedDemo(run);
  for (const name of [INVENTORY, LAB_API]) run.seedService({ ...run.service(name)!, ingress: 'INGRESS_TRAFFIC_ALL' });
}

/** The breakglass bob asked for and alice confirmed in the demo: inventory may stay open for a nightly import. */
export function demoBreakglass(now: number): BreakglassExemption {
  const createdAt = new Date(now - HOUR).toISOString();
  const bob = { slackUserId: 'U0BOB', email: 'bob@example.com' };
  const alice = { slackUserId: 'U0ALICE', email: 'alice@example.com' };
  return {
    source: 'breakglass',
    id: `run-ingress-all|${INVENTORY}|${createdAt}`,
    findingKey: `run-ingress-all|${INVENTORY}`,
    rule: 'run-ingress-all',
    resource: INVENTORY,
    subject: 'ingress=INGRESS_TRAFFIC_ALL',
    reason: 'Nightly import needs the partner API; ticket OPS-12',
    expires: new Date(now + 23 * HOUR).toISOString(),
    approvedBy: 'alice@example.com',
    slackUserId: 'U0ALICE',
    requester: 'terraform@demo-shop.iam.gserviceaccount.com',
    createdAt,
    slackMessage: { channel: 'C0RUNGUARD1', ts: '1795000000.000100' },
    principals: ['terraform@demo-shop.iam.gserviceaccount.com'],
    requestedBy: bob,
    approvers: [bob, alice],
  };
}

async function main(args: string[]): Promise<number> {
  process.env.METADATA_SERVER_DETECTION = 'none';
  const { startCloudRunStandIn } = await import('../stand-ins/cloud-run/index.js');
  const { startResourceManagerStandIn } = await import('../stand-ins/resource-manager/index.js');
  const { MemoryStateStore } = await import('../functions/state/memory.js');
  const { runRecommend } = await import('../functions/cli/recommend.js');
  const now = Date.now();
  const run = await startCloudRunStandIn();
  const rm = await startResourceManagerStandIn();
  try {
    seedDemoToday(run);
    seedDemoHierarchy(rm);
    const dir = mkdtempSync(join(tmpdir(), 'runguard-recommend-demo-'));
    const history = join(dir, 'built-demo-history.json');
    writeFileSync(history, JSON.stringify(builtDemoHistory(now), null, 2));
    const store = new MemoryStateStore();
    await store.recordExemption(demoBreakglass(now), now);
    const config = fileURLToPath(new URL('../examples/demo.yaml', import.meta.url));
    return await runRecommend(
      ['--since', '30d', '--config', config, ...args, history],
      {
        stdout: (s) => process.stdout.write(s),
        stderr: (s) => process.stderr.write(s),
        readStdin: () => '',
        env: {
          RUNGUARD_RUN_ENDPOINT: `127.0.0.1:${run.port}`,
          RUNGUARD_RESOURCE_MANAGER_ENDPOINT: rm.endpoint,
        },
        now: () => now,
      },
      { store },
    );
  } finally {
    await rm.stop();
    await run.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
