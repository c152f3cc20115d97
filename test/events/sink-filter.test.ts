import { describe, expect, it } from 'vitest';
import { HANDLED_METHODS } from '../../functions/events/methods.js';
import { sinkFilter } from '../../functions/events/sink-filter.js';

describe('the sink filter', () => {
  const filter = sinkFilter();

  it('keeps to Admin Activity audit logs', () => {
    expect(filter.startsWith('logName:"cloudaudit.googleapis.com%2Factivity" AND (')).toBe(true);
  });

  it.each(HANDLED_METHODS.map((m) => [m.serviceName, m.methodName]))(
    'names %s %s inside its own service clause',
    (service, method) => {
      const clause = filter.split('\n').find((l) => l.includes(`protoPayload.serviceName="${service}"`))!;
      expect(clause).toContain(`"${method}"`);
    },
  );

  it('never lets a bare SetIamPolicy through without its service', () => {
    const lines = filter.split('\n').filter((l) => l.includes('"SetIamPolicy"'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines)
      expect(line).toMatch(/^\s*(OR )?\(protoPayload\.serviceName="[a-z]+\.googleapis\.com" AND /);
  });

  it('stays a filter on methods: every clause names its service and exact methods, nothing broader', () => {
    const clauses = filter.split('\n').slice(1, -1);
    expect(clauses.length).toBe(new Set(HANDLED_METHODS.map((m) => m.serviceName)).size);
    for (const c of clauses)
      expect(c).toMatch(
        /^\s*(OR )?\(protoPayload\.serviceName="[^"]+" AND protoPayload\.methodName=\(("[^"*]+"( OR )?)+\)\)$/,
      );
  });
});
