// Measures how long the real WebClient takes to push N messages into one channel of the stand-in
// under its chat.postMessage rate limit. Too slow for the test suite; feeds the benchmarks.
//   npx tsx stand-ins/slack/measure-burst.ts [--n=20] [--perSecond=1] [--burst=5]
//        [--mode=sequential|concurrent] [--retry=default|runguard|fast]
// Prints one JSON line: total ms, 429 count, per-message completion times, rate_limited events.
import { LogLevel, type RetryOptions, WebClient, WebClientEvent } from '@slack/web-api';
import { startSlackStandIn } from './server.js';

const arg = (name: string, dflt: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;

const RETRY: Record<string, RetryOptions | undefined> = {
  default: undefined, // tenRetriesInAboutThirtyMinutes: 10 retries, factor 1.96821, randomize, minTimeout 1 s
  // functions/slack/client.ts
  runguard: { retries: 5, factor: 2, minTimeout: 500, maxTimeout: 20_000, randomize: true },
  fast: { retries: 10, factor: 1, minTimeout: 10, maxTimeout: 20 },
};

export interface BurstResult {
  n: number;
  perSecond: number;
  burst: number;
  mode: string;
  retry: string;
  totalMs: number;
  rateLimited: number;
  requests: number;
  failed: number;
  doneAtMs: number[];
  rateLimitedEventsAtMs: number[];
}

export async function measureBurst(o: {
  n: number;
  perSecond: number;
  burst: number;
  mode: 'sequential' | 'concurrent';
  retry: string;
}): Promise<BurstResult> {
  const standIn = await startSlackStandIn({ rateLimit: { perSecond: o.perSecond, burst: o.burst } });
  const retryConfig = RETRY[o.retry];
  const client = new WebClient('xoxb-test-token', {
    slackApiUrl: standIn.apiUrl,
    logLevel: LogLevel.ERROR,
    ...(retryConfig ? { retryConfig } : {}),
  });
  const t0 = performance.now();
  const since = (): number => Math.round(performance.now() - t0);
  const events: number[] = [];
  client.on(WebClientEvent.RATE_LIMITED, () => events.push(since()));
  const doneAt: number[] = [];
  let failed = 0;
  const post = async (i: number): Promise<void> => {
    try {
      await client.chat.postMessage({ channel: 'C0RUNGUARD1', text: `message ${i}` });
      doneAt.push(since());
    } catch {
      failed += 1;
    }
  };
  if (o.mode === 'sequential') for (let i = 0; i < o.n; i++) await post(i);
  else await Promise.all(Array.from({ length: o.n }, (_, i) => post(i)));
  const result: BurstResult = {
    ...o,
    totalMs: since(),
    rateLimited: standIn.rateLimitedCount,
    requests: standIn.requests.length,
    failed,
    doneAtMs: doneAt.sort((a, b) => a - b),
    rateLimitedEventsAtMs: events,
  };
  await standIn.close();
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const mode = arg('mode', 'sequential');
  if (mode !== 'sequential' && mode !== 'concurrent') throw new Error(`--mode: sequential or concurrent, not ${mode}`);
  const retry = arg('retry', 'default');
  if (!(retry in RETRY)) throw new Error(`--retry: one of ${Object.keys(RETRY).join(', ')}`);
  const r = await measureBurst({
    n: Number(arg('n', '20')),
    perSecond: Number(arg('perSecond', '1')),
    burst: Number(arg('burst', '5')),
    mode,
    retry,
  });
  console.log(JSON.stringify(r));
}
