// `npm start`: the whole loop on 127.0.0.1 — the real Pub/Sub emulator, the built function under
// the Functions Framework CLI, and the Cloud Run and Slack stand-ins seeded with a demo project —
// then a replay of audit entries, shown as they flow. Keeps running for `runguard publish FILE`;
// Ctrl-C stops everything it started, by PID.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { DEV_STATE_FILE, type PublishTarget, publishEntry } from '../functions/cli/publish.js';
import type { LogEntry } from '../functions/core/types.js';
import { createFirestoreStateStore } from '../functions/state/firestore.js';
import { type CloudRunStandIn, startCloudRunStandIn } from '../stand-ins/cloud-run/index.js';
import { type EmulatorHandle, startFirestoreEmulator, startPubSubEmulator } from '../stand-ins/emulators.js';
import { type FunctionProcess, startFunctionProcess } from '../stand-ins/function-process.js';
import { startSlackStandIn, type SlackStandIn } from '../stand-ins/slack/index.js';
import { breakglassDemo, DEMO_SIGNING_SECRET, DEMO_TEAM, DEMO_USERS } from './breakglass-demo.js';
import { demoEntries, seedDemo } from './demo.js';
import { printLogLine, printSlackMessage, say } from './show.js';

process.env.METADATA_SERVER_DETECTION = 'none';
const PROJECT = 'runguard-local';
const TOPIC = 'runguard-audit';
const REVERT_TOPIC = 'runguard-revert-requests';
const TOKEN = 'xoxb-local-demo-not-a-real-token';
const once = process.env.RUNGUARD_START_ONCE === '1';

const started: {
  emulator?: EmulatorHandle;
  firestore?: EmulatorHandle;
  run?: CloudRunStandIn;
  slack?: SlackStandIn;
  fn?: FunctionProcess;
  interactions?: FunctionProcess;
} = {};
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say('\nstopping…');
    await started.interactions?.stop();
    await started.fn?.stop();
    await started.emulator?.stop();
    await started.firestore?.stop();
    await started.slack?.close();
    await started.run?.close();
    rmSync(DEV_STATE_FILE, { force: true });
    say('stopped everything it started.');
  }
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

/** The emulator's first requests are slow (a cold JVM): a few round trips now keep the replay's timing. */
async function warmFirestore(host: string): Promise<void> {
  const store = createFirestoreStateStore({ emulatorHost: host, prefix: 'warm-up' });
  for (let i = 0; i < 20; i++) {
    const claim = await store.claim([`warm-${i}`], Date.now(), 1_000);
    await store.complete([`warm-${i}`], claim.status === 'claimed' ? claim.token : null, Date.now());
  }
  await store.close();
}

/** bin/runguard.js, as a user would run it; its stdout. */
function runguardCli(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/runguard.js', ...args], {
      env: { PATH: process.env.PATH ?? '', METADATA_SERVER_DETECTION: 'none', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.once('error', reject);
    child.once('close', () => resolve(out));
  });
}

function startFunction(env: Record<string, string>): Promise<FunctionProcess> {
  return startFunctionProcess({ target: 'auditEvents', signatureType: 'cloudevent', env, onLine: printLogLine });
}

async function main(): Promise<void> {
  say('runguard local loop — everything on 127.0.0.1, nothing leaves this machine\n');
  started.run = await startCloudRunStandIn();
  started.slack = await startSlackStandIn({
    tokens: [TOKEN],
    channels: ['#runguard-alerts', '#security-oncall'],
    users: DEMO_USERS,
    usergroups: { S0ONCALL: ['U0BOB'] },
    rateLimit: { perSecond: 1, burst: 5 },
  });
  // Both functions share state (claims, threads, breakglass exemptions) in the Firestore emulator, as in production.
  [started.emulator, started.firestore] = await Promise.all([
    startPubSubEmulator({ project: PROJECT, log: false }),
    startFirestoreEmulator({ project: PROJECT, log: false }),
  ]);
  seedDemo(started.run);
  await warmFirestore(started.firestore.host);
  const shared = {
    RUNGUARD_CONFIG: 'examples/demo.yaml',
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_API_URL: started.slack.apiUrl,
    FIRESTORE_EMULATOR_HOST: started.firestore.host,
  };
  const fn = await startFunction({ ...shared, RUNGUARD_RUN_ENDPOINT: `127.0.0.1:${started.run.port}` });
  started.fn = fn;
  // slackInteractions gets no Cloud Run endpoint: it cannot change anything, only ask auditEvents.
  started.interactions = await startFunctionProcess({
    target: 'slackInteractions',
    signatureType: 'http',
    env: {
      ...shared,
      SLACK_SIGNING_SECRET: DEMO_SIGNING_SECRET,
      SLACK_TEAM_ID: DEMO_TEAM.teamId,
      SLACK_APP_ID: DEMO_TEAM.appId,
      RUNGUARD_REVERT_TOPIC: `projects/${PROJECT}/topics/${REVERT_TOPIC}`,
      PUBSUB_EMULATOR_HOST: started.emulator.host,
    },
    onLine: printLogLine,
  });
  fn.child.on('exit', (code) => {
    if (!stopping) {
      say(`the function exited (${code}); stopping`);
      void stopAll(1);
    }
  });

  const target: PublishTarget = { emulatorHost: started.emulator.host, project: PROJECT, topic: TOPIC };
  const api = `http://${target.emulatorHost}/v1/projects/${PROJECT}`;
  await fetch(`${api}/topics/${TOPIC}`, { method: 'PUT' });
  await fetch(`${api}/subscriptions/runguard-push`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    // The push path names the topic, so the Functions Framework builds the CloudEvent source from it.
    body: JSON.stringify({
      topic: `projects/${PROJECT}/topics/${TOPIC}`,
      pushConfig: { pushEndpoint: `http://127.0.0.1:${fn.port}/projects/${PROJECT}/topics/${TOPIC}` },
      ackDeadlineSeconds: 30,
    }),
  });
  // "Revert now" requests from slackInteractions are pushed to auditEvents, as Terraform wires them.
  await fetch(`${api}/topics/${REVERT_TOPIC}`, { method: 'PUT' });
  await fetch(`${api}/subscriptions/runguard-revert-push`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      topic: `projects/${PROJECT}/topics/${REVERT_TOPIC}`,
      pushConfig: { pushEndpoint: `http://127.0.0.1:${fn.port}/projects/${PROJECT}/topics/${REVERT_TOPIC}` },
      ackDeadlineSeconds: 30,
    }),
  });
  mkdirSync('.runguard', { recursive: true });
  writeFileSync(DEV_STATE_FILE, JSON.stringify(target));

  say(`  Pub/Sub emulator    ${target.emulatorHost}  topic projects/${PROJECT}/topics/${TOPIC}`);
  say(`  function            http://127.0.0.1:${fn.port}/  (auditEvents from dist/, config examples/demo.yaml)`);
  say(
    `  slackInteractions   http://127.0.0.1:${started.interactions.port}/  ` +
      `(Slack's Interactivity Request URL, signed requests only)`,
  );
  say(`  Firestore emulator  ${started.firestore.host}  (state shared by both functions)`);
  say(`  Cloud Run stand-in  127.0.0.1:${started.run.port}  demo-shop: enforce, demo-lab: monitor`);
  say(
    `  Slack stand-in      ${started.slack.apiUrl}  ` +
      `(#runguard-alerts, #security-oncall; 1 msg/s per channel; ` +
      `300 ms per call for the breakglass part)\n`,
  );

  let shown = 0;
  setInterval(() => {
    const posts = started.slack!.requests.filter((r) => r.method === 'chat.postMessage' || r.method === 'chat.update');
    for (; shown < posts.length; shown++) printSlackMessage(posts[shown]!);
  }, 100).unref();

  const realDir = new URL('../test/fixtures/auditlogs/real/', import.meta.url);
  const real = readdirSync(realDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(new URL(f, realDir), 'utf8')) as LogEntry);
  const replay: Array<{ entry: LogEntry; note: string; apply?: () => void }> = [
    ...demoEntries(started.run),
    ...real.map((entry) => ({ entry, note: 'a real audit entry from test/fixtures/auditlogs/real' })),
  ];
  for (const { entry, note, apply } of replay) {
    const pp = entry.protoPayload ?? {};
    apply?.();
    entry.timestamp = new Date().toISOString();
    say(
      `\n→ published  ${pp.methodName} on ${pp.resourceName} ` +
        `by ${pp.authenticationInfo?.principalEmail ?? '?'} — ${note}`,
    );
    await publishEntry(target, entry);
    await new Promise((r) => setTimeout(r, 1500));
  }
  await new Promise((r) => setTimeout(r, 4000));
  // From here, Slack as a Cloud Function sees it: every Web API call takes 300 ms; a trigger_id lives 3 s.
  started.slack.latency(300);
  const firestoreHost = started.firestore.host;
  await breakglassDemo(started.slack, `http://127.0.0.1:${started.interactions.port}/`, () =>
    runguardCli(['exemptions', 'list', '--all'], {
      RUNGUARD_STATE_STORE: 'firestore',
      FIRESTORE_EMULATOR_HOST: firestoreHost,
    }),
  );
  await new Promise((r) => setTimeout(r, 1500));
  if (once) await stopAll(0);
  say('\nreplay done. Still running: feed it your own entries with');
  say('  npx runguard publish path/to/entry.json     (a LogEntry, a push body, an array or JSON Lines)');
  say('Ctrl-C stops everything.');
}

main().catch((e) => {
  console.error(e);
  void stopAll(1);
});
