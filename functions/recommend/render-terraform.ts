import { CUSTOMER_ID_PLACEHOLDER } from './constraints.js';
import type { Proposal } from './propose.js';

// The same policies as `google_org_policy_policy` resources (hashicorp/google): `name`, `parent` and
// `spec { rules { values { allowed_values } } }`, nothing else. Pure.

/** A Terraform identifier: the constraint and parent, lower snake case. */
export const resourceLabel = (p: Proposal): string =>
  `${p.constraint}_${p.parent}`
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_');

// JSON string literals are valid HCL string literals for what goes in here (no `${` or `%{`).
const str = (s: string): string =>
  JSON.stringify(s)
    .replace(/\$\{/g, () => '$${')
    .replace(/%\{/g, '%%{');

export function renderTerraform(p: Proposal): string {
  const lines = [`# ${p.constraintName} on ${p.parent}, proposed by runguard recommend: ${p.stops}.`];
  if (p.needsCustomerId)
    lines.push(`# FILL IN before applying: replace ${CUSTOMER_ID_PLACEHOLDER} with your customer ID (C0…).`);
  lines.push(
    `resource "google_org_policy_policy" "${resourceLabel(p)}" {`,
    `  name   = ${str(p.policyName)}`,
    `  parent = ${str(p.parent)}`,
    '',
    '  spec {',
    '    rules {',
    '      values {',
    `        allowed_values = [${p.allowedValues.map(str).join(', ')}]`,
    '      }',
    '    }',
    '  }',
    '}',
  );
  return `${lines.join('\n')}\n`;
}

/** Every proposal's resource, one file's worth. */
export const renderTerraformFile = (proposals: readonly Proposal[]): string =>
  proposals.map(renderTerraform).join('\n');
