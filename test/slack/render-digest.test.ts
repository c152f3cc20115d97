import { describe, expect, it } from 'vitest';
import type { Done } from '../../functions/core/verdict.js';
import { addToAggregate, emptyAggregate, KEPT_GROUPS, KEPT_NAMES } from '../../functions/slack/burst.js';
import { MAX_BLOCKS, SECTION_TEXT } from '../../functions/slack/limits.js';
import { blocksToText } from '../../functions/slack/plain-text.js';
import { renderDigest } from '../../functions/slack/render-digest.js';
import type { DigestAggregate } from '../../functions/state/digest.js';
import { alertFor } from './alerts.js';

const T0 = Date.parse('2026-11-23T03:00:00Z');

/** A Terraform apply gone wrong: 200 findings in a minute, mostly reverted in prod, alert-only in dev. */
function terraformBurst(): DigestAggregate {
  let agg = emptyAggregate(T0);
  for (let i = 0; i < 200; i++) {
    const prod = i % 4 !== 0;
    const done: Done = prod ? (i === 7 || i === 9 ? 'failed' : 'reverted') : 'alerted';
    const a = alertFor({
      service: `svc-${i % 40}`,
      project: prod ? 'shop-prod' : 'shop-dev',
      rule: i % 10 === 0 ? 'run-public-invoker' : 'run-ingress-all',
      severity: i % 10 === 0 ? 'CRITICAL' : 'HIGH',
      done,
      insertId: `e${i}`,
    });
    a.change.actor = i < 190 ? 'terraform@ci-project.iam.gserviceaccount.com' : 'mallory@example.com';
    agg = addToAggregate(agg, a, T0 + i * 300);
  }
  return agg;
}

/** What a person reads, without the code spans. */
const textOf = (blocks: unknown[]) => blocksToText(blocks).join('\n').replace(/`/g, '');

describe('the burst digest', () => {
  it('leads with how many, how bad and what runguard did, in the header and the notification', () => {
    const { text, blocks } = renderDigest({ agg: terraformBurst() });
    const header = JSON.stringify(blocks[0]);
    expect(header).toContain('🔴'); // a CRITICAL among them
    expect(header).toContain('200 findings in 1 min');
    // The ones that need a person first.
    expect(header).toMatch(/2 revert failed · 50 alert only · 148 reverted/);
    expect(text).toMatch(
      /^🔴 runguard burst: 200 findings in 1 min \(2 revert failed · 50 alert only · 148 reverted\)/,
    );
    expect(text).toContain('2 could not be put back');
  });

  it('says first what is still open: failures before the alert-only ones', () => {
    const lines = blocksToText(renderDigest({ agg: terraformBurst() }).blocks);
    expect(lines[1]).toBe('⚠️ 2 findings still open: runguard could not put them back.');
  });

  it('groups by rule and project with exact counts, the most severe group first', () => {
    const out = textOf(renderDigest({ agg: terraformBurst() }).blocks);
    const groups = out.split('By rule and project:')[1]!.split('\n').slice(1, 5);
    expect(groups[0]).toMatch(/🔴 run-public-invoker in shop-dev — 10: 10 alert only/);
    expect(groups[1]).toMatch(/🔴 run-public-invoker in shop-prod — 10: 10 reverted/);
    expect(groups[2]).toMatch(/🟠 run-ingress-all in shop-prod — 140: 2 revert failed · 138 reverted/);
    expect(groups[3]).toMatch(/🟠 run-ingress-all in shop-dev — 40: 40 alert only/);
  });

  it('names the actors and the most affected resources, with the rest counted', () => {
    const out = textOf(renderDigest({ agg: terraformBurst() }).blocks);
    expect(out).toContain('terraform@ci-project.iam.gserviceaccount.com ×190');
    expect(out).toContain('mallory@example.com ×10');
    // 40 services, 5 findings each: five named, the other 175 findings counted.
    expect(out.match(/shop-(prod|dev)\/europe-west1\/svc-\d+ ×5/g)).toHaveLength(5);
    expect(out).toContain('and 175 more findings on others');
  });

  it('gives no count for what changed once', () => {
    let agg = emptyAggregate(T0);
    for (let i = 0; i < 3; i++) agg = addToAggregate(agg, alertFor({ service: `s${i}`, insertId: `${i}` }), T0);
    const out = textOf(renderDigest({ agg }).blocks);
    expect(out).toContain('• shop-prod/europe-west1/s0 •');
    expect(out).not.toContain('×1');
    expect(out).not.toContain('more finding');
  });

  it('stays within Slack’s limits and the same size whatever a flood holds', () => {
    let agg = emptyAggregate(T0);
    const long = 'x'.repeat(5_000);
    for (let i = 0; i < 5_000; i++) {
      const a = alertFor({
        service: `${long}-${i}`,
        project: `p-${i}`,
        rule: `rule-${i % 50}-${long}`,
        insertId: `${i}`,
      });
      a.change.actor = `<!channel> ${long} ${i}@evil.example`;
      agg = addToAggregate(agg, a, T0 + i);
    }
    expect(agg.groups).toHaveLength(KEPT_GROUPS);
    expect(agg.groupsMore.count).toBe(5_000 - KEPT_GROUPS);
    expect(agg.resources).toHaveLength(KEPT_NAMES);
    expect(JSON.stringify(agg).length).toBeLessThan(40_000);
    const { text, blocks } = renderDigest({ agg });
    expect(blocks.length).toBeLessThanOrEqual(MAX_BLOCKS);
    expect(text.length).toBeLessThanOrEqual(500);
    for (const b of blocks as Array<{ text?: { text: string }; fields?: Array<{ text: string }> }>) {
      expect(b.text?.text.length ?? 0).toBeLessThanOrEqual(SECTION_TEXT);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(2000);
    }
    expect(JSON.stringify(blocks).length).toBeLessThan(12_000);
    expect(JSON.stringify(blocks)).not.toContain('<!channel>');
    expect(textOf(blocks)).toContain(`and ${5_000 - 8} more findings in at least`);
  });

  it('says so when nothing needs a hand: all reverted', () => {
    let agg = emptyAggregate(T0);
    for (let i = 0; i < 12; i++)
      agg = addToAggregate(agg, alertFor({ service: `s${i}`, insertId: `${i}` }), T0 + i * 1000);
    const { blocks } = renderDigest({ agg });
    const out = textOf(blocks);
    expect(out).not.toContain('still open');
    expect(out).toContain('12 findings in 11 s — 12 reverted');
  });
});
