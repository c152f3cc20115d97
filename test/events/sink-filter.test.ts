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
    for (const line of filter.split('\n').filter((l) => l.includes('"SetIamPolicy"'))) {
      expect(line).toContain('protoPayload.serviceName="cloudresourcemanager.googleapis.com"');
    }
  });
});
