import { describe, expect, it } from 'vitest';
import { buildReport } from '../../functions/report/model.js';
import { DAY, exemption, NOW, rec } from './fixtures.js';

const since = NOW - 7 * DAY;

describe('the weekly report model', () => {
  it('counts findings, reverts and exemptions per UTC day and rule', () => {
    const tue = Date.parse('2026-11-24T10:00:00Z');
    const r = buildReport({
      records: [
        rec(tue),
        rec(tue + 3600_000, { rule: 'run-public-invoker', done: 'exempt', exemption: 'x' }),
        rec(tue + DAY, { done: 'alerted' }),
        rec(since - 1), // before the window
        rec(NOW), // not before now
      ],
      exemptions: [],
      fights: [],
      since,
      now: NOW,
    });
    expect(r.days.map((d) => d.date)).toEqual([
      '2026-11-24',
      '2026-11-25',
      '2026-11-26',
      '2026-11-27',
      '2026-11-28',
      '2026-11-29',
      '2026-11-30',
    ]);
    expect(r.days[0]!.counts).toEqual({
      findings: { 'run-ingress-all': 1, 'run-public-invoker': 1 },
      reverts: { 'run-ingress-all': 1 },
      exempt: { 'run-public-invoker': 1 },
    });
    expect(r.days[1]!.counts.findings).toEqual({ 'run-ingress-all': 1 });
    expect(r.days[1]!.counts.reverts).toEqual({});
    expect(r.totals).toMatchObject({ findings: 3, reverts: 1, exempt: 1, alerted: 1 });
    expect(r.rules).toEqual(['run-ingress-all', 'run-public-invoker']);
    expect(r.days.every((d) => d.source === 'store')).toBe(true);
  });

  it('ranks actors and projects by findings, then reverts; a sweep finding counts for its project only', () => {
    const t = NOW - 2 * DAY;
    const r = buildReport({
      records: [
        rec(t, { actor: 'ci@p.iam.gserviceaccount.com', project: 'pay-prod' }),
        rec(t, { actor: 'ci@p.iam.gserviceaccount.com', project: 'pay-prod', done: 'alerted' }),
        rec(t, { actor: 'alice@example.com' }),
        rec(t, { actor: '', foundBy: 'sweep', project: 'data-dev', done: 'alerted' }),
      ],
      exemptions: [],
      fights: [],
      since,
      now: NOW,
    });
    expect(r.topActors).toEqual([
      { name: 'ci@p.iam.gserviceaccount.com', findings: 2, reverts: 1 },
      { name: 'alice@example.com', findings: 1, reverts: 1 },
    ]);
    expect(r.topProjects.map((p) => p.name)).toEqual(['pay-prod', 'shop-prod', 'data-dev']);
  });

  it('lists exemptions that expire within the coming week, soonest first, and the fights still on', () => {
    const r = buildReport({
      records: [],
      exemptions: [
        exemption(NOW + 5 * DAY, { id: 'late' }),
        exemption(NOW + DAY, { id: 'soon' }),
        exemption(NOW - DAY, { id: 'expired' }),
        exemption(NOW + 9 * DAY, { id: 'next-week' }),
      ],
      fights: [
        {
          findingKey: 'run-ingress-all|projects/shop-prod/locations/l/services/s',
          fight: { actor: 'tf@p.iam.gserviceaccount.com', since: NOW - DAY, until: NOW + DAY, reverts: 3 },
        },
        {
          findingKey: 'run-ingress-all|projects/x/locations/l/services/old',
          fight: { actor: 'a', since: 0, until: NOW, reverts: 3 },
        },
      ],
      since,
      now: NOW,
    });
    expect(r.expiring.map((e) => e.id)).toEqual(['soon', 'late']);
    expect(r.expiring[0]!.project).toBe('pay-prod');
    expect(r.fights).toEqual([
      {
        findingKey: 'run-ingress-all|projects/shop-prod/locations/l/services/s',
        rule: 'run-ingress-all',
        resource: 'projects/shop-prod/locations/l/services/s',
        actor: 'tf@p.iam.gserviceaccount.com',
        since: NOW - DAY,
        until: NOW + DAY,
        reverts: 3,
      },
    ]);
  });

  it('days before history began come from the log when given, and only those days count log records', () => {
    const historyFrom = Date.parse('2026-11-27T00:00:00Z');
    const r = buildReport({
      records: [rec(Date.parse('2026-11-28T12:00:00Z'))],
      logRecords: [
        rec(Date.parse('2026-11-25T12:00:00Z'), { done: 'alerted' }),
        // The log says the same of a day history covers: history wins, the log is not counted twice.
        rec(Date.parse('2026-11-28T12:00:00Z')),
      ],
      historyFrom,
      exemptions: [],
      fights: [],
      since,
      now: NOW,
    });
    expect(r.days.map((d) => d.source)).toEqual(['log', 'log', 'log', 'store', 'store', 'store', 'store']);
    expect(r.totals.findings).toBe(2);
    expect(r.days[1]!.counts.findings).toEqual({ 'run-ingress-all': 1 });
    const none = buildReport({ records: [], historyFrom, exemptions: [], fights: [], since, now: NOW });
    expect(none.days.slice(0, 3).map((d) => d.source)).toEqual(['none', 'none', 'none']);
  });

  it('carries recommendations only when given', () => {
    const base = { records: [], exemptions: [], fights: [], since, now: NOW };
    expect('recommendations' in buildReport(base)).toBe(false);
    const recs = [{ title: 'Require IAM on Cloud Run', evidence: '4 findings', command: 'gcloud org-policies …' }];
    expect(buildReport({ ...base, recommendations: recs }).recommendations).toEqual(recs);
  });
});
