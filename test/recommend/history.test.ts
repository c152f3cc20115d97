import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluateEntry } from '../../functions/enforcement/pipeline.js';
import { decodeInput } from '../../functions/events/decode.js';
import { parseConfig } from '../../functions/config/load.js';
import { InMemoryHistoryReader } from '../../functions/history/in-memory-reader.js';
import { recordsFromEntry } from '../../functions/recommend/entry-records.js';
import { loadRules } from '../../functions/rules/load-files.js';
import { builtRecord, NOW } from './built-history.js';

// The history recommend reads where runguard's own is thin: audit entries judged offline, kept in memory.

const REAL = new URL('../fixtures/auditlogs/real/run-v1-replaceservice-console-ingress-all.json', import.meta.url);

describe('decision records from audit entries', () => {
  it('the real console entry that opened ingress gives one record: who, when, what runguard would have done', () => {
    const { rules } = loadRules();
    const { config } = parseConfig('projects: [{ match: "test-project-1234", mode: enforce }]\n', 'test');
    const [decoded] = decodeInput(readFileSync(REAL, 'utf8'));
    const result = evaluateEntry(decoded!, { rules, config: config!, now: NOW });
    const records = recordsFromEntry(result);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      rule: 'run-ingress-all',
      actor: 'masatonaka1989@gmail.com',
      project: 'test-project-1234',
      resource: 'projects/test-project-1234/locations/asia-northeast1/services/cloud-run-slack-bot',
      method: 'google.cloud.run.v1.Services.ReplaceService',
      changedAt: '2024-05-06T22:58:04.355Z',
      // Judged offline, nothing was reverted: in enforce mode it is what would have been done.
      done: 'dry-run',
      mode: 'enforce',
      foundBy: 'event',
    });
    expect(records[0]!.id).toBe(`${result.insertId}|${records[0]!.findingKey}`);
  });

  it('an entry that could not be read, or was skipped, gives none', () => {
    const { rules } = loadRules();
    const { config } = parseConfig('{}\n', 'test');
    const [bad] = decodeInput('{"insertId":"x"}');
    expect(recordsFromEntry(evaluateEntry(bad!, { rules, config: config!, now: NOW }))).toEqual([]);
  });
});

describe('InMemoryHistoryReader', () => {
  it('keeps one record per id, oldest first, within the range and the project asked for', async () => {
    const a = builtRecord({ project: 'shop-prod', daysAgo: 3, id: 'a' });
    const b = builtRecord({ project: 'shop-dev', daysAgo: 2, id: 'b' });
    const old = builtRecord({ project: 'shop-prod', daysAgo: 40, id: 'old' });
    const reader = new InMemoryHistoryReader([b, a, old, { ...a }]);
    const range = { since: NOW - 30 * 86_400_000, until: NOW };
    expect((await reader.decisions(range)).map((r) => r.id)).toEqual(['a', 'b']);
    expect((await reader.decisions({ ...range, project: 'shop-dev' })).map((r) => r.id)).toEqual(['b']);
  });
});
