import { HANDLED_METHODS } from './methods.js';

/**
 * The Log Router sink filter: Admin Activity audit entries of exactly the methods runguard handles,
 * grouped by service (a bare method name such as SetIamPolicy means different things per service).
 * Generated from HANDLED_METHODS, the one list; Terraform's copy is checked against this by a test.
 */
export function sinkFilter(): string {
  const byService = new Map<string, string[]>();
  for (const m of HANDLED_METHODS)
    byService.set(m.serviceName, [...(byService.get(m.serviceName) ?? []), m.methodName]);
  const clauses = [...byService].map(
    ([service, methods]) =>
      `(protoPayload.serviceName="${service}" AND ` +
      `protoPayload.methodName=(${methods.map((m) => `"${m}"`).join(' OR ')}))`,
  );
  return `logName:"cloudaudit.googleapis.com%2Factivity" AND (\n  ${clauses.join('\n  OR ')}\n)`;
}
