import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SET_IAM_POLICY_TEMPLATE, UPDATE_SERVICE_TEMPLATE } from './audit-entry-templates.js';

// The templates are copies of two constructed fixtures, so `npm start` needs nothing from test/.
const FIXTURES = new URL('../test/fixtures/auditlogs/', import.meta.url);
const load = (file: string) => JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8'));

describe('the audit entry templates', () => {
  it('are the constructed fixtures they were copied from', () => {
    expect(UPDATE_SERVICE_TEMPLATE).toEqual(load('run-v2-updateservice--mask-ingress-internal-only--constructed.json'));
    expect(SET_IAM_POLICY_TEMPLATE).toEqual(
      load('run-v2-setiampolicy--allauthenticatedusers-invoker--constructed.json'),
    );
  });
});
