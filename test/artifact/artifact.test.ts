import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PubSub, type Topic } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FunctionProcess } from '../../stand-ins/function-process.js';
import { type CloudRunStandIn, startCloudRunStandIn } from '../../stand-ins/cloud-run/index.js';
import { type ResourceManagerStandIn, startResourceManagerStandIn } from '../../stand-ins/resource-manager/index.js';
import type { SlackStandIn } from '../../stand-ins/slack/index.js';
import {
  CHANNEL,
  clickPayload,
  formBody,
  SECRET,
  signedRaw,
  startSlack,
  TOKEN,
  WORKSPACE,
} from '../interactions/helpers.js';
import { updateServiceEntry } from '../../stand-ins/audit-entries.js';
import { CACHE_SUFFIX } from '../../functions/clients/compile-cache.js';
import { VENDOR_BUNDLES } from '../../functions/clients/external-names.js';
import { type Artifact, failures, logLines, moduleEnv, prepareArtifact, startArtifactFunction } from './artifact.js';

// The zip Terraform uploads, tested as deployed (issue 12): built by `npm run bundle`, unpacked alone,
// its declared dependencies installed as the Cloud Functions build installs them, each entry point
// under the Functions Framework with the module's environment, state in the Firestore emulator, Cloud
// Run / Resource Manager / Slack as stand-ins. A function that cannot load its modules, or throws on
// its first event, fails here. RUNGUARD_ARTIFACT_ZIP=path/to/function.zip tests another build (built
// with --config test/artifact/runguard.yaml).

const pubsubHost = inject('pubsubHost');
const firestoreHost = inject('firestoreHost');
const PROJECT = 'runguard-test';
const RUN_ID = Date.now().toString(36); // the emulators outlive one test run's files: keep ids unique
const PROD = 'projects/shop-prod/locations/europe-west1/services';

describe.skipIf(!pubsubHost || !firestoreHost)('the deployed artifact (npm run bundle)', () => {
  let artifact: Artifact;
  let run: CloudRunStandIn;
  let rm: ResourceManagerStandIn;
  let slack: SlackStandIn;
  let pubsub: PubSub;
  let topic: Topic;
  const started: FunctionProcess[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    [artifact, run, rm, slack] = await Promise.all([
      prepareArtifact(),
      startCloudRunStandIn(),
      startResourceManagerStandIn(),
      startSlack(),
    ]);
    console.error(`[artifact] ${artifact.log.join('\n[artifact] ')}`);
    env = {
      ...moduleEnv(artifact.workspace),
      SLACK_BOT_TOKEN: TOKEN,
      // Stand-ins instead of Google and Slack (loopback only; see the README's environment table).
      FIRESTORE_EMULATOR_HOST: firestoreHost,
      RUNGUARD_RUN_ENDPOINT: `127.0.0.1:${run.port}`,
      SLACK_API_URL: slack.apiUrl,
    };
    pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: pubsubHost, emulatorMode: true });
  }, 180_000);

  afterAll(async () => {
    if (process.env.RUNGUARD_ARTIFACT_DEBUG) for (const fn of started) console.error(fn.output());
    for (const fn of started) await fn.stop();
    await topic?.delete().catch(() => {});
    await pubsub?.close();
    await Promise.all([run?.close(), rm?.stop(), slack?.close()]);
    artifact?.remove();
  }, 60_000);

  async function start(target: 'auditEvents' | 'slackInteractions' | 'reconcile', extra: Record<string, string> = {}) {
    const fn = await startArtifactFunction(artifact, target, { ...env, ...extra });
    started.push(fn);
    return fn;
  }

  describe('auditEvents, pushed by the Pub/Sub emulator', () => {
    let fn: FunctionProcess;
    beforeAll(async () => {
      fn = await start('auditEvents');
      [topic] = await pubsub.createTopic(`artifact-audit-${RUN_ID}`);
      await topic.createSubscription(`artifact-push-${RUN_ID}`, {
        pushConfig: { pushEndpoint: `http://127.0.0.1:${fn.port}/projects/${PROJECT}/topics/artifact-audit-${RUN_ID}` },
        ackDeadlineSeconds: 60,
      });
    }, 60_000);
    const publish = (entry: unknown) => topic.publishMessage({ data: Buffer.from(JSON.stringify(entry)) });

    it('reverts a Cloud Run service opened to all traffic, with its state in Firestore, and alerts', async () => {
      const name = `${PROD}/artifact-revert-${RUN_ID}`;
      run.seedService({ name, ingress: 'INGRESS_TRAFFIC_ALL' });
      run.seedPolicy(name, { bindings: [] });
      await publish(
        updateServiceEntry({ name, insertId: `artifact-1-${RUN_ID}`, service: { ingress: 'INGRESS_TRAFFIC_ALL' } }),
      );
      await expect
        .poll(() => run.service(name)!.ingress, { timeout: 20_000, interval: 100 })
        .toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
      await expect
        .poll(() => logLines(fn).find((l) => l.event === 'decision' && l.resource === name)?.done, { timeout: 10_000 })
        .toBe('reverted');
      await expect
        .poll(() => slack.messages(CHANNEL).filter((m) => m.text.includes(`artifact-revert-${RUN_ID}`)).length, {
          timeout: 10_000,
        })
        .toBe(1);
      expect(run.callsTo('UpdateService')).toHaveLength(1);
      expect(failures(fn)).toEqual([]);
    }, 30_000);

    it('alerts in Slack on a project IAM grant to an outside account (monitor mode)', async () => {
      const entry = JSON.parse(
        readFileSync(
          'test/fixtures/auditlogs/crm-v1-setiampolicy--project-terraform-tokencreator-outside--constructed.json',
          'utf8',
        ),
      );
      entry.insertId = `artifact-iam-${RUN_ID}`;
      await publish(entry);
      await expect
        .poll(() => slack.messages(CHANNEL).filter((m) => m.text.includes('test-project-1234')).length, {
          timeout: 20_000,
        })
        .toBeGreaterThan(0);
      await expect
        .poll(() =>
          logLines(fn)
            .filter((l) => l.event === 'decision' && l.insertId === entry.insertId)
            .map((l) => l.done),
        )
        .toEqual(['alerted', 'alerted']);
      expect(failures(fn)).toEqual([]);
    }, 30_000);
  });

  describe('slackInteractions', () => {
    it('answers a signed Acknowledge click on the alert the artifact posted, and opens the form', async () => {
      const fn = await start('slackInteractions', {
        SLACK_SIGNING_SECRET: SECRET,
        // The module sets both from slack_team_id and slack_app_id; a click from elsewhere is refused.
        SLACK_TEAM_ID: WORKSPACE.teamId,
        SLACK_APP_ID: WORKSPACE.appId,
      });
      const alert = slack.messages(CHANNEL).find((m) => m.text.includes('test-project-1234'));
      expect(alert, 'the IAM alert posted by auditEvents').toBeDefined();
      const posted = { channel: CHANNEL, ts: alert!.ts, text: alert!.text, blocks: alert!.blocks ?? [] };
      const { rawBody, headers } = signedRaw(
        formBody(clickPayload(posted, 'U0ALICE', 'runguard_acknowledge')),
        Date.now(),
      );
      const res = await fetch(`http://127.0.0.1:${fn.port}/`, {
        method: 'POST',
        headers,
        body: new Uint8Array(rawBody),
      });
      expect(res.status).toBe(200);
      await expect
        .poll(() => slack.requests.filter((r) => r.method === 'views.open').length, { timeout: 10_000 })
        .toBe(1);
      // An unsigned request is refused: the secret from the environment is in force.
      const forged = await fetch(`http://127.0.0.1:${fn.port}/`, {
        method: 'POST',
        body: new Uint8Array(formBody({})),
      });
      expect(forged.status).toBe(401);
      expect(failures(fn).filter((l) => !l.includes('signature'))).toEqual([]);
    }, 30_000);
  });

  describe('reconcile', () => {
    it('sweeps the scope Resource Manager shows, reverts in enforce mode and posts one summary', async () => {
      const prod = `${PROD}/artifact-sweep-${RUN_ID}`;
      const team = `projects/team-a/locations/europe-west1/services/artifact-sweep-${RUN_ID}`;
      run.seedService({ name: prod, ingress: 'INGRESS_TRAFFIC_ALL' });
      run.seedPolicy(prod, { bindings: [] });
      run.seedService({ name: team, ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' });
      run.seedPolicy(team, { bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] });
      rm.addProject({ projectId: 'shop-prod', parent: 'organizations/123456789012' });
      rm.addProject({ projectId: 'team-a', parent: 'folders/200' });
      const fn = await start('reconcile', {
        // local.reconcile_env: the sink's level.
        RUNGUARD_SCOPE: 'organizations/123456789012',
        RUNGUARD_RESOURCE_MANAGER_ENDPOINT: rm.endpoint,
      });
      const summariesBefore = slack.requests.filter((r) => r.method === 'chat.postMessage').length;
      // What Cloud Scheduler → Pub/Sub push delivers; the body is ignored.
      const res = await fetch(`http://127.0.0.1:${fn.port}/projects/${PROJECT}/topics/reconcile`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          subscription: `projects/${PROJECT}/subscriptions/reconcile-push`,
          message: { data: Buffer.from('{}').toString('base64'), messageId: `sweep-${RUN_ID}` },
        }),
      });
      expect(res.status).toBeLessThan(300);
      expect(run.service(prod)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
      expect(run.policy(team)?.bindings).toEqual([{ role: 'roles/run.invoker', members: ['allUsers'] }]);
      expect(rm.calls.map((c) => c.method)).toContain('SearchProjects');
      expect(slack.requests.filter((r) => r.method === 'chat.postMessage').length).toBeGreaterThan(summariesBefore);
      expect(failures(fn)).toEqual([]);
    }, 30_000);

    it('posts the weekly report when the message asks for it: the chart rendered with the shipped font', async () => {
      const fn = await start('reconcile', { RUNGUARD_SCOPE: 'projects/shop-prod' });
      const before = slack.files.size;
      const res = await fetch(`http://127.0.0.1:${fn.port}/projects/${PROJECT}/topics/reconcile`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          subscription: `projects/${PROJECT}/subscriptions/reconcile-push`,
          message: {
            data: Buffer.from(JSON.stringify({ report: 'weekly' })).toString('base64'),
            messageId: `report-${RUN_ID}`,
          },
        }),
      });
      expect(res.status).toBeLessThan(300);
      const files = [...slack.files.values()].slice(before);
      expect(files).toHaveLength(1);
      // Rendered at all means the fonts were found beside the bundles (the npm package is not installed here).
      const png = files[0]!.bytes!;
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect(png.readUInt32BE(16)).toBe(1200);
      expect(files[0]!.channel).toBe(CHANNEL);
      expect(failures(fn)).toEqual([]);
    }, 30_000);
  });

  // After the tests above, which started every entry point and loaded every bundle between them.
  it('runs its bundles from the code caches its build wrote (gcp-build): none was compiled from source', () => {
    for (const bundle of ['app.js', ...VENDOR_BUNDLES])
      expect(existsSync(join(artifact.workspace, bundle + CACHE_SUFFIX)), bundle).toBe(true);
    expect(started.length).toBeGreaterThanOrEqual(4);
    const notices = started.flatMap((fn) => logLines(fn).filter((l) => l.event === 'compile-cache'));
    expect(notices).toEqual([]);
  });
});
