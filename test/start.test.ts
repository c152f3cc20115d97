import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';

// `npm start` is the newcomer's first look: the whole loop must come up, show what happens, and
// leave nothing running. RUNGUARD_START_ONCE stops it after the replay instead of waiting for Ctrl-C.
const ROOT = new URL('../', import.meta.url).pathname;

describe.skipIf(!inject('pubsubHost'))('npm start', () => {
  it('runs the demo through the real loop and stops everything it started', () => {
    const r = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/start.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, RUNGUARD_START_ONCE: '1', NO_COLOR: '1' },
      timeout: 180_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(
      new RegExp(
        String.raw`→ published\s+google\.cloud\.run\.v2\.Services\.UpdateService on ` +
          String.raw`projects\/demo-shop\/locations\/europe-west1\/services\/checkout`,
      ),
    );
    expect(out).toMatch(/decided\s+run-ingress-all \[HIGH\] revert → reverted/);
    expect(out).toMatch(/decided\s+run-public-invoker \[CRITICAL\] exempt → exempt/);
    expect(out).toMatch(/decided\s+run-ingress-all \[HIGH\] alert → alerted/);
    expect(out).toMatch(/revert → fighting: runguard is fighting terraform@demo-shop/);
    // The four public samples in test/fixtures/auditlogs/real/ are replayed after the demo's own entries.
    expect(out.match(/— a real audit entry from test\/fixtures\/auditlogs\/real/g)).toHaveLength(4);
    expect(out).toMatch(/Slack\s+#security-oncall — new message/);
    expect(out).toMatch(/│ 🔴 CRITICAL · allUsers can invoke/);
    expect(out).toMatch(/preview in Block Kit Builder: https:\/\/app\.slack\.com\/block-kit-builder#/);
    // slackInteractions, served too: Acknowledge with a signed request, the form, the submission, the alert updated.
    expect(out).toMatch(
      /refused acknowledge by U0DANA: two-person rule: You made this change \(as dana@example\.com\)/,
    );
    expect(out).toMatch(/Slack\s+the form opens:\n\s+│ Scope: this rule on this resource: `run-ingress-all`/);
    expect(out).toMatch(/breakglass: alice@example\.com exempted run-ingress-all on projects\/demo-shop\S+checkout/);
    expect(out).toMatch(/│ 🛡️ Acknowledged by @U0ALICE until/);
    // The two-approver path for a service account's change.
    expect(out).toMatch(/│ 🛡️ @U0BOB asks to exempt `run-ingress-all`/);
    expect(out).toMatch(/only U0BOB sees: You asked for this exemption: a different approver must confirm it/);
    expect(out).toMatch(/alice@example\.com confirmed bob@example\.com's request/);
    expect(out).toMatch(/│ 🛡️ Acknowledged by @U0BOB, confirmed by @U0ALICE, until/);
    // Revert now goes through auditEvents, and the auditor's list names both approvers.
    expect(out).toMatch(/↩️ Reverted at the request of @U0ALICE/);
    expect(out).toMatch(/approved by\s+bob@example\.com, alice@example\.com/);
    // Every answer within Slack's 3 seconds, against a stand-in that takes 300 ms per call.
    for (const m of out.matchAll(/answered\s+the (?:click|submission): HTTP 200 in (\d+) ms/g))
      expect(Number(m[1])).toBeLessThan(3_000);
    expect(out).toMatch(/stopped everything it started/);
    expect(existsSync(`${ROOT}.runguard/dev.json`)).toBe(false);
  }, 200_000);
});
