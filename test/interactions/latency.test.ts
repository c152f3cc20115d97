import { describe, expect, it } from 'vitest';
import { handleSlackInteraction } from '../../functions/interactions/handler.js';
import { useSlackStandIn } from '../../stand-ins/slack/use.js';
import { clickPayload, kit, postAlert, signed, SLACK } from './helpers.js';

// A benchmark, not a gate: how long Slack waits for the answer to an Acknowledge click (signature,
// parsing, routing) and how long until the modal is open (approver check + views.open against the
// local stand-in through the real WebClient). Printed, never asserted: machines differ.

const N = 500;
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: +pct(s, 50).toFixed(2), p99: +pct(s, 99).toFixed(2), max: +s.at(-1)!.toFixed(2) };
};

describe('acknowledgement latency', () => {
  const slack = useSlackStandIn(SLACK);

  it(`measures ${N} signed Acknowledge clicks that open the modal`, async () => {
    const msg = await postAlert(slack);
    const k = kit(slack);
    const ack: number[] = [];
    const modal: number[] = [];
    // Group members are looked up once a minute: half the clicks come from a group member.
    for (let i = 0; i < N; i++) {
      const req = signed(clickPayload(msg, i % 2 ? 'U0BOB' : 'U0ALICE', 'runguard_acknowledge'), k.clock.now);
      const t0 = performance.now();
      const reply = await handleSlackInteraction(req, k.deps);
      ack.push(performance.now() - t0);
      await reply.after?.();
      modal.push(performance.now() - t0);
    }
    expect(slack.requests.filter((r) => r.method === 'views.open')).toHaveLength(N);
    const result = { clicks: N, ackMs: summary(ack), clickToModalMs: summary(modal) };
    console.log(`slackInteractions latency: ${JSON.stringify(result)}`);
    // How long 500 round trips take depends on the machine and its load; the bound only catches a hang.
  }, 60_000);
});
