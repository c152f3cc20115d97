import * as ff from '@google-cloud/functions-framework';
import { type HandleResult, handleAuditEvent, type LiveDeps } from './live/audit-events.js';
import { createLiveDeps } from './live/deps.js';

// The only file that knows about the Functions Framework: entry points are thin adapters to the core.

let deps: LiveDeps | undefined;

/** `auditEvents`: a Pub/Sub-triggered CloudEvent function (2nd gen). Reads only data.message.*. */
export function auditEvents(event: ff.CloudEvent<unknown>): Promise<HandleResult> {
  deps ??= createLiveDeps(process.env);
  return handleAuditEvent(event, deps);
}

ff.cloudEvent('auditEvents', (event: ff.CloudEvent<unknown>) => auditEvents(event).then(() => undefined));
