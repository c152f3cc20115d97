import * as ff from '@google-cloud/functions-framework';
import type { HandleResult } from './audit-events/handler.js';
import type { LiveDeps } from './enforcement/deps.js';
import type { InteractionDeps } from './interactions/types.js';
import type { ReconcileDeps, ReconcileResult } from './reconcile/run.js';
import { stateStoreChoice } from './state/env.js';

// The only file that knows about the Functions Framework: entry points are thin adapters to the core.
// Each loads its own modules (import()), so a cold auditEvents instance never loads the Slack
// interactions or the sweep. The process's own entry point starts loading them as this module loads
// (see `warmUp` at the end); any other loads with its first event.

/** The first call's promise, shared; a failed one (e.g. an invalid configuration) is tried again next time. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => {
    if (made) return made;
    const attempt = make();
    made = attempt;
    attempt.catch(() => {
      if (made === attempt) made = undefined;
    });
    return attempt;
  };
}

const liveDeps = once<LiveDeps>(async () => (await import('./enforcement/deps.js')).createLiveDeps(process.env));

/** `auditEvents`: a Pub/Sub-triggered CloudEvent function (2nd gen). Reads only data.message.*. */
export async function auditEvents(event: ff.CloudEvent<unknown>): Promise<HandleResult> {
  const [{ handleAuditEvent }, deps] = await Promise.all([import('./audit-events/handler.js'), liveDeps()]);
  try {
    return await handleAuditEvent(event, deps);
  } finally {
    await deps.settle?.();
  }
}

ff.cloudEvent('auditEvents', (event: ff.CloudEvent<unknown>) => auditEvents(event).then(() => undefined));

// Shares auditEvents' state store when both run in one process (npm start).
const interactionDeps = once<InteractionDeps>(async () => {
  const [{ createInteractionDeps }, live] = await Promise.all([import('./interactions/deps.js'), liveDeps()]);
  return createInteractionDeps(process.env, { live });
});

/**
 * `slackInteractions`: Slack's Interactivity Request URL (HTTP). Verifies the signature over the
 * raw bytes (`req.rawBody`, kept by the Functions Framework), answers at once, then does the slow
 * part (`after`: opening the form, updating the alert, reverting). Work after the response needs
 * CPU: deploy this gen2 function with CPU always allocated (--no-cpu-throttling) or min instances ≥ 1,
 * or that work may be throttled until the next request.
 */
ff.http('slackInteractions', async (req: ff.Request, res: ff.Response) => {
  const [{ handleSlackInteraction }, deps] = await Promise.all([
    import('./interactions/handler.js'),
    interactionDeps(),
  ]);
  const reply = await handleSlackInteraction({ rawBody: req.rawBody ?? Buffer.alloc(0), headers: req.headers }, deps);
  res.status(reply.status);
  if (reply.body === undefined) res.end();
  else res.json(reply.body);
  await reply.after?.();
});

const reconcileDeps = once<ReconcileDeps>(async () =>
  (await import('./reconcile/deps.js')).createReconcileDeps(process.env),
);

/**
 * `reconcile`: the drift sweep, a Pub/Sub-triggered CloudEvent function that Cloud Scheduler
 * publishes to. What to sweep comes from RUNGUARD_SCOPE and the configuration; a message asking for
 * the weekly report ({"report":"weekly"}, its own Scheduler job) posts the report instead. Deploy
 * with retries off and one instance: the next schedule is the retry.
 */
export async function reconcile(): Promise<ReconcileResult> {
  const [{ handleReconcile }, deps] = await Promise.all([import('./reconcile/run.js'), reconcileDeps()]);
  try {
    return await handleReconcile(deps);
  } finally {
    await deps.settle?.();
  }
}

const reportDeps = once(async () => (await import('./report/deps.js')).createReportDeps(process.env));

/** The weekly report, when the reconcile topic's message asks for it; loaded only then. */
export async function weeklyReport(data: unknown): Promise<boolean> {
  const request = (await import('./report/request.js')).reportRequest(data);
  if (!request) return false;
  const [{ handleWeeklyReport }, deps] = await Promise.all([import('./report/run.js'), reportDeps()]);
  await handleWeeklyReport(request, deps);
  return true;
}

ff.cloudEvent('reconcile', async (event: ff.CloudEvent<unknown>) => {
  if (!(await weeklyReport(event.data))) await reconcile();
});
/**
 * The entry point this process serves, read as the Functions Framework reads it: --target (either
 * form), else FUNCTION_TARGET, which Cloud Functions sets. Undefined when neither says (tests, npm start).
 */
export function servedTarget(argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--target=')) return arg.slice('--target='.length);
    if (arg === '--target') return argv[i + 1];
  }
  return env.FUNCTION_TARGET || undefined;
}

/**
 * What the served entry point's first event needs, started while the framework sets itself up and
 * listens. Started here it also runs outside the framework's per-request domain: every promise and
 * callback made inside one enters and exits it, which cost a cold IAM alert ~30 ms of its module
 * loading. Only the entry point's own modules and configuration, the Slack client and the Firestore
 * client, which its first event needs too: the Cloud Run client (~0.3 s) would delay every event that
 * does not need it. A failure here is only remembered by
 * `once` as not made: the first event tries again and reports it as it always has.
 */
function warmUp(target: string | undefined, env: NodeJS.ProcessEnv): void {
  const work: Array<() => Promise<unknown>> = [];
  if (target === 'auditEvents') work.push(() => import('./audit-events/handler.js'), liveDeps);
  else if (target === 'slackInteractions') work.push(() => import('./interactions/handler.js'), interactionDeps);
  else if (target === 'reconcile') work.push(() => import('./reconcile/run.js'), reconcileDeps);
  else return;
  // Both libraries load synchronously (require()): only once the modules above have been asked for.
  const later = (load: () => Promise<unknown>) => async () => {
    await new Promise((resolve) => setImmediate(resolve));
    return load();
  };
  if (env.SLACK_BOT_TOKEN) work.push(later(async () => (await import('./slack/web-api.js')).loadSlackWebApi()));
  if (target !== 'reconcile' && stateStoreChoice(env) === 'firestore')
    work.push(later(async () => (await import('./state/firestore-support.js')).firestoreModule()));
  for (const w of work) w().catch(() => undefined);
}

warmUp(servedTarget(process.argv, process.env), process.env);
