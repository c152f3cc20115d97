import type { Observation } from '../core/notify.js';
import type { ChangeEvent, Policy, RunService } from '../core/types.js';
import { RunPortError } from '../core/google-api-error.js';
import type { RunPort } from '../remediation/types.js';

/**
 * The event says who and what; the live state says what is true now. For a Cloud Run service,
 * evaluate the live service and policy; when reading fails, fall back to the entry's own state.
 * Other resource types carry their whole change in the entry.
 */
/**
 * What observe() read from Cloud Run, with the etags: a revert starts from it instead of reading
 * again, and leaves in it what its own write and re-read found, for the next finding on the service.
 */
export interface LiveState {
  service?: RunService;
  policy?: Policy;
}

export async function observe(
  event: ChangeEvent,
  getRun: () => Promise<RunPort>,
): Promise<{ event: ChangeEvent; observation: Observation; live: LiveState }> {
  if (event.resource.type !== 'run.googleapis.com/Service')
    return { event, observation: { source: 'event', note: 'the audit entry carries the change' }, live: {} };
  const name = event.resource.name;
  let run: RunPort;
  try {
    run = await getRun();
  } catch (e) {
    return {
      event,
      observation: {
        source: 'event',
        note: `live state not read (${(e as Error).message}); evaluated the state in the audit entry`,
      },
      live: {},
    };
  }
  const [service, policy] = await Promise.allSettled([run.getService(name), run.getIamPolicy(name)]);
  if (service.status === 'fulfilled' && service.value === null) {
    return { event, observation: { source: 'gone', note: `${name} no longer exists` }, live: {} };
  }
  const failures = [service, policy]
    .filter((r) => r.status === 'rejected')
    .map((r) => reason((r as PromiseRejectedResult).reason));
  const live: ChangeEvent = {
    ...event,
    ...(service.status === 'fulfilled' && service.value
      ? { service: service.value, serviceSource: 'live' as const }
      : {}),
    ...(policy.status === 'fulfilled' && policy.value ? { policy: policy.value } : {}),
  };
  const read: LiveState = {
    ...(service.status === 'fulfilled' && service.value ? { service: service.value } : {}),
    ...(policy.status === 'fulfilled' && policy.value ? { policy: policy.value } : {}),
  };
  if (failures.length === 0) return { event: live, observation: { source: 'live' }, live: read };
  return {
    live: read,
    event: live,
    observation: {
      source: 'event',
      note: `live state partly unavailable (${failures.join('; ')}); used the audit entry's state where it was missing`,
    },
  };
}

function reason(e: unknown): string {
  return e instanceof RunPortError ? `${e.code}: ${e.message}` : ((e as Error)?.message ?? String(e));
}
