import { afterAll, beforeAll } from 'vitest';
import { later } from '../later.js';
import { type SlackStandIn, type SlackStandInOptions, startSlackStandIn } from './index.js';

/**
 * Starts the Slack stand-in for the test file (beforeAll) and stops it (afterAll). The stand-in it
 * returns can be named at once; it works from beforeAll on.
 */
export function useSlackStandIn(opts?: SlackStandInOptions): SlackStandIn {
  const slack = later<SlackStandIn>('the Slack stand-in');
  beforeAll(async () => {
    slack.set(await startSlackStandIn(opts));
  });
  afterAll(async () => {
    await slack.current()?.close();
  });
  return slack.proxy;
}
