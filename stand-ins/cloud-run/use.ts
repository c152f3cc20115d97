import type { ServicesClient } from '@google-cloud/run';
import { afterAll, beforeAll } from 'vitest';
import { createServicesClient } from '../../functions/remediation/run-client.js';
import { later } from '../later.js';
import { type CloudRunStandIn, startCloudRunStandIn } from './index.js';

type CloudRunStandInOptions = Parameters<typeof startCloudRunStandIn>[0];

export interface UseCloudRunStandIn {
  /** The stand-in, from beforeAll on. */
  standIn: CloudRunStandIn;
  /** A client of it: runguard's own (createServicesClient) unless `client` says otherwise. */
  client: ServicesClient;
}

/**
 * Starts the Cloud Run stand-in for the test file (beforeAll) and stops it and its client (afterAll).
 * `standIn` and `client` can be named at once; they work from beforeAll on.
 */
export function useCloudRunStandIn(
  opts: {
    standIn?: CloudRunStandInOptions;
    /** How to make the client; null for none. Default: runguard's ServicesClient pointed at the stand-in. */
    client?: ((standIn: CloudRunStandIn) => ServicesClient | Promise<ServicesClient>) | null;
  } = {},
): UseCloudRunStandIn {
  const standIn = later<CloudRunStandIn>('the Cloud Run stand-in');
  const client = later<ServicesClient>('the Cloud Run stand-in client');
  const makeClient =
    opts.client === undefined
      ? (s: CloudRunStandIn) => createServicesClient({ endpoint: `127.0.0.1:${s.port}` })
      : opts.client;
  beforeAll(async () => {
    const s = await startCloudRunStandIn(opts.standIn);
    standIn.set(s);
    if (makeClient) client.set(await makeClient(s));
  });
  afterAll(async () => {
    await client.current()?.close();
    await standIn.current()?.close();
  });
  return { standIn: standIn.proxy, client: client.proxy };
}
