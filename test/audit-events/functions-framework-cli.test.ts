import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CloudRunStandIn, startCloudRunStandIn } from '../../stand-ins/cloud-run/index.js';
import { type FunctionProcess, startFunctionProcess } from '../../stand-ins/function-process.js';
import { updateServiceEntry } from '../../stand-ins/audit-entries.js';

// `npx functions-framework --target=auditEvents --signature-type=cloudevent` from the repository
// root, configured only through the environment the README documents: the deployed wiring.

const NAME = 'projects/shop-prod/locations/europe-west1/services/cli-served';

describe('the built auditEvents function served by the Functions Framework CLI', () => {
  let standIn: CloudRunStandIn;
  let ff: FunctionProcess;
  let port: number;
  const stdout = () => ff.output();

  beforeAll(async () => {
    standIn = await startCloudRunStandIn();
    const dir = mkdtempSync(join(tmpdir(), 'runguard-ff-'));
    writeFileSync(join(dir, 'runguard.yaml'), 'projects:\n  - { match: "shop-prod", mode: enforce }\n');
    ff = await startFunctionProcess({
      target: 'auditEvents',
      signatureType: 'cloudevent',
      env: { RUNGUARD_CONFIG: join(dir, 'runguard.yaml'), RUNGUARD_RUN_ENDPOINT: `127.0.0.1:${standIn.port}` },
    });
    port = ff.port;
  });

  afterAll(async () => {
    await ff?.stop();
    await standIn?.close();
  });

  it('reverts when an Eventarc-style binary CloudEvent arrives, and logs the decision as structured JSON', async () => {
    standIn.seedService({ name: NAME, ingress: 'INGRESS_TRAFFIC_ALL' });
    standIn.seedPolicy(NAME, { bindings: [] });
    const entry = updateServiceEntry({ name: NAME, insertId: 'ff-cli-1', service: { ingress: 'INGRESS_TRAFFIC_ALL' } });
    const body = {
      subscription: 'projects/ops/subscriptions/runguard',
      message: { data: Buffer.from(JSON.stringify(entry)).toString('base64'), messageId: 'ff-msg-1' },
    };
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-id': 'ff-msg-1',
        'ce-specversion': '1.0',
        'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
        'ce-source': '//pubsub.googleapis.com/projects/ops/topics/runguard-audit',
      },
      body: JSON.stringify(body),
    });
    expect(res.status).toBeLessThan(300);
    expect(standIn.service(NAME)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    const decision = stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .find((l) => l.event === 'decision' && l.rule === 'run-ingress-all');
    expect(decision).toMatchObject({
      severity: 'NOTICE',
      done: 'reverted',
      insertId: 'ff-cli-1',
      'logging.googleapis.com/labels': { component: 'runguard', rule: 'run-ingress-all', action: 'revert' },
    });
    // The entry point loads its modules with this first event (functions/index.ts), not before listening.
  }, 15_000);

  it('answers a malformed body with success, so Pub/Sub does not redeliver it, and logs why', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-id': 'bad-1',
        'ce-specversion': '1.0',
        'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
        'ce-source': '//pubsub.googleapis.com/projects/ops/topics/t',
      },
      body: JSON.stringify({ message: { data: 'bm90IGpzb24=', messageId: 'bad-1' } }),
    });
    expect(res.status).toBeLessThan(300);
    await expect.poll(stdout, { timeout: 5_000 }).toMatch(/"event":"malformed".*bad-1.*not JSON/);
  });
});
