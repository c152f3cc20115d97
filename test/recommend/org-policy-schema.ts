import { parse } from '@cdktf/hcl2json';

// What google_org_policy_policy accepts, written from the provider's documentation, not from the code:
// https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/org_policy_policy
// ("Argument Reference": name, parent, spec, dry_run_spec; the spec block: inherit_from_parent,
// reset, rules; a rules block: allow_all, deny_all, enforce, condition, parameters, values; the values
// block: allowed_values, denied_values). Meta-arguments every resource takes are allowed beside them.
const ALLOWED: Record<string, Set<string>> = {
  resource: new Set([
    'name',
    'parent',
    'spec',
    'dry_run_spec',
    'timeouts',
    'count',
    'for_each',
    'provider',
    'depends_on',
    'lifecycle',
  ]),
  spec: new Set(['inherit_from_parent', 'reset', 'rules']),
  rules: new Set(['allow_all', 'deny_all', 'enforce', 'condition', 'parameters', 'values']),
  values: new Set(['allowed_values', 'denied_values']),
};

type Body = Record<string, any>;

/** Every google_org_policy_policy in the HCL text, by label; throws when the text does not parse. */
export async function orgPolicies(text: string): Promise<Record<string, Body>> {
  const tf = (await parse('org-policies.tf', text)) as { resource?: Record<string, Record<string, Body[]>> };
  const types = Object.keys(tf.resource ?? {});
  if (types.join() !== 'google_org_policy_policy') throw new Error(`resource types: ${types.join(', ')}`);
  return Object.fromEntries(
    Object.entries(tf.resource!.google_org_policy_policy!).map(([label, [body]]) => [label, body!]),
  );
}

/** Every argument or block named where google_org_policy_policy does not have it, as `path.name`. */
export function unknownArguments(body: Body): string[] {
  const out: string[] = [];
  const check = (b: Body, kind: string, path: string) => {
    for (const [k, v] of Object.entries(b)) {
      if (!ALLOWED[kind]!.has(k)) out.push(`${path}.${k}`);
      else if (k === 'spec' || k === 'dry_run_spec') for (const s of v as Body[]) check(s, 'spec', `${path}.${k}`);
      else if (kind === 'spec' && k === 'rules') for (const r of v as Body[]) check(r, 'rules', `${path}.rules`);
      else if (kind === 'rules' && k === 'values') for (const x of v as Body[]) check(x, 'values', `${path}.values`);
    }
  };
  check(body, 'resource', 'resource');
  return out;
}
