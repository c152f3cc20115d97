import { stringify } from 'yaml';
import { CUSTOMER_ID_PLACEHOLDER } from './constraints.js';
import type { Proposal } from './propose.js';

// The Org Policy v2 file `gcloud org-policies set-policy FILE` takes: the policy's full name and a
// spec whose one rule lists the allowed values. Pure.

/** The file name a proposal's YAML is written to: constraint and parent, filesystem-safe. */
export const policyFileName = (p: Proposal): string => `${p.constraint}.${p.parent.replace('/', '-')}.yaml`;

/** The one-line command that applies it. */
export const setPolicyCommand = (p: Proposal): string => `gcloud org-policies set-policy ${policyFileName(p)}`;

export function renderPolicyYaml(p: Proposal): string {
  const head = [
    `# ${p.constraintName} on ${p.parent}, proposed by runguard recommend: ${p.stops}.`,
    `# Apply with: ${setPolicyCommand(p)}`,
  ];
  if (p.needsCustomerId)
    head.push(
      `# FILL IN before applying: replace ${CUSTOMER_ID_PLACEHOLDER} with your Google Workspace / Cloud Identity`,
      '# customer ID (C0…; Admin console → Account settings, or `gcloud organizations list`).',
    );
  const body = stringify({ name: p.policyName, spec: { rules: [{ values: { allowedValues: p.allowedValues } }] } });
  return `${head.join('\n')}\n${body}`;
}
