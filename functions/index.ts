import * as ff from '@google-cloud/functions-framework';
import { type HandleResult, handleAuditEvent } from './audit-events/handler.js';
import { createLiveDeps, type LiveDeps } from './enforcement/deps.js';
import { createInteractionDeps } from './interactions/deps.js';
import { handleSlackInteraction, type InteractionDeps } from './interactions/handler.js';
import { createReconcileDeps } from './reconcile/deps.js';
import { handleReconcile, type ReconcileDeps, type ReconcileResult } from './reconcile/run.js';

// The only file that knows about the Functions Framework: entry points are thin adapters to the core.

let deps: LiveDeps | undefined;

/** `auditEvents`: a Pub/Sub-triggered CloudEvent function (2nd gen). Reads only data.message.*. */
export function auditEvents(event: ff.CloudEvent<unknown>): Promise<HandleResult> {
  deps ??= createLiveDeps(process.env);
  return handleAuditEvent(event, deps);
}

ff.cloudEvent('auditEvents', (event: ff.CloudEvent<unknown>) => auditEvents(event).then(() => undefined));

let interactionDeps: InteractionDeps | undefined;

/**
 * `slackInteractions`: Slack's Interactivity Request URL (HTTP). Verifies the signature over the
 * raw bytes (`req.rawBody`, kept by the Functions Framework), answers at once, then does the slow
 * part (`after`: opening the form, updating the alert, reverting). Work after the response needs
 * CPU: deploy this gen2 function with CPU always allocated (--no-cpu-throttling) or min instances ≥ 1,
 * or that work may be throttled until the next request.
 */
ff.http('slackInteractions', async (req: ff.Request, res: ff.Response) => {
  // Shares auditEvents' state store when both run in one process (npm start).
  interactionDeps ??= createInteractionDeps(process.env, { live: (deps ??= createLiveDeps(process.env)) });
  const reply = await handleSlackInteraction(
    { rawBody: req.rawBody ?? Buffer.alloc(0), headers: req.headers },
    interactionDeps,
  );
  res.status(reply.status);
  if (reply.body === undefined) res.end();
  else res.json(reply.body);
  await reply.after?.();
});

let reconcileDeps: ReconcileDeps | undefined;

/**
 * `reconcile`: the drift sweep, a Pub/Sub-triggered CloudEvent function that Cloud Scheduler
 * publishes to. The message body is ignored: what to sweep comes from RUNGUARD_SCOPE and the
 * configuration. Deploy with retries off and one instance: the next schedule is the retry.
 */
export function reconcile(): Promise<ReconcileResult> {
  reconcileDeps ??= createReconcileDeps(process.env);
  return handleReconcile(reconcileDeps);
}

ff.cloudEvent('reconcile', () => reconcile().then(() => undefined));
