// Slack delivery under Slack's own limit: a burst of alerts in one minute to one channel, through
// the real notifier (render, thread, post) and @slack/web-api against the stand-in with a
// realistic chat.postMessage limit (1 per second per channel, bursts of 5). Prints figures.
import { parseConfig } from '../functions/config/load.js';
import { createSlackApi } from '../functions/slack/client.js';
import { slackNotifier } from '../functions/slack/notifier.js';
import { MemoryStateStore } from '../functions/state/memory.js';
import { startSlackStandIn } from '../stand-ins/slack/index.js';
import { alertFor } from '../test/slack/alerts.js';

const N = Number(process.env.BENCH_ALERTS ?? 200);
const WINDOW_MS = 60_000;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const slack = await startSlackStandIn({ tokens: ['xoxb-bench'], rateLimit: { perSecond: 1, burst: 5 } });
const { config } = parseConfig('slack:\n  defaultChannel: "#runguard-alerts"\n', 'bench');
const api = await createSlackApi('xoxb-bench', slack.apiUrl);
const notifier = slackNotifier(
  api,
  config!.slack!,
  new MemoryStateStore(),
  () => {},
  () => Date.now(),
);

console.log(
  `Slack burst: ${N} alerts about ${N} resources arriving evenly over ${WINDOW_MS / 1000} s, ` +
    'one channel limited to 1 msg/s (burst 5)',
);
const start = performance.now();
const delays: number[] = [];
let failed = 0;
await Promise.all(
  Array.from({ length: N }, async (_, i) => {
    await new Promise((r) => setTimeout(r, (i * WINDOW_MS) / N));
    const t = performance.now();
    try {
      await notifier.notify(alertFor({ service: `svc-${i}`, insertId: `b${i}` }));
      delays.push(performance.now() - t);
    } catch (e) {
      failed++;
      console.log(`  alert ${i} failed: ${(e as Error).message}`);
    }
  }),
);
const total = performance.now() - start;
const posted = slack.messages('#runguard-alerts').length;
console.log(
  `  delivered ${posted}/${N} messages (${failed} failed — each would make the function fail and Pub/Sub redeliver)`,
);
console.log(`  HTTP 429s answered by the stand-in: ${slack.rateLimitedCount}`);
console.log(
  `  first alert to last message posted: ${(total / 1000).toFixed(1)} s ` +
    `(the limit alone allows no less than ${((N - 5) / 1 + 0).toFixed(0)} s)`,
);
console.log(
  `  delay from alert to posted: p50 ${(pct(delays, 50) / 1000).toFixed(1)} s, ` +
    `p99 ${(pct(delays, 99) / 1000).toFixed(1)} s, max ${(pct(delays, 100) / 1000).toFixed(1)} s`,
);
console.log(`  sustained: ${((posted * 1000) / total).toFixed(2)} messages/s`);
await slack.close();
