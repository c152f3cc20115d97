// Starts the Slack stand-in on a free 127.0.0.1 port for manual or cross-process use:
//   npx tsx stand-ins/slack/main.ts   → {"port":NNNNN,"apiUrl":"http://127.0.0.1:NNNNN/api/"}
// Environment: SLACK_TOKENS (comma-separated, default xoxb-test-token), SLACK_RATE_LIMIT
// ('off' or 'perSecond,burst', default 1,5), SLACK_START_TS (fixed ts start, default wall clock).
import { startSlackStandIn, type SlackStandInOptions } from './server.js';

function rateLimit(v: string | undefined): SlackStandInOptions['rateLimit'] {
  if (v === undefined || v === '') return undefined;
  if (v === 'off') return false;
  const [perSecond, burst] = v.split(',').map(Number);
  if (!perSecond || !burst) throw new Error(`SLACK_RATE_LIMIT: expected 'off' or 'perSecond,burst', got ${v}`);
  return { perSecond, burst };
}

const env = process.env;
const standIn = await startSlackStandIn({
  ...(env.SLACK_TOKENS ? { tokens: env.SLACK_TOKENS.split(',') } : {}),
  ...(rateLimit(env.SLACK_RATE_LIMIT) !== undefined ? { rateLimit: rateLimit(env.SLACK_RATE_LIMIT) } : {}),
  ...(env.SLACK_START_TS ? { startTs: Number(env.SLACK_START_TS) } : {}),
});
console.log(JSON.stringify({ port: standIn.port, apiUrl: standIn.apiUrl }));

const stop = (): void => {
  void standIn.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
