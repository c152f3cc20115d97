import { emptyBinauthzPolicy, emptyOrgPolicy } from '../core/service.js';
import type { AdmissionRule, BinauthzPolicy, ChangeEvent, OrgPolicy, OrgPolicyRule } from '../core/types.js';
import { type Rec, rec, str } from '../core/json.js';

// The guardrails themselves, as a change left them: an organization policy (Org Policy v2, or the
// v1 methods Resource Manager serves) and a project's Binary Authorization policy. Field names and
// enums from google/cloud/orgpolicy/v2/orgpolicy.proto, google/cloud/orgpolicy/v1/orgpolicy.proto
// and google/cloud/binaryauthorization/v1/resources.proto. The response, when there is one, is what
// was applied and wins; otherwise the request. camelCase and snake_case are both read.

export interface GuardrailError {
  error: string;
}

const absent = (v: unknown): boolean => v === undefined || v === null;
/** camelCase first, then snake_case. */
const field = (o: Rec | undefined, camel: string, snake: string): unknown => o?.[camel] ?? o?.[snake];

function strings(v: unknown, at: string): string[] | GuardrailError {
  if (absent(v)) return [];
  if (!Array.isArray(v)) return { error: `${at} is not a list` };
  return v.filter((x): x is string => typeof x === 'string');
}

/** "is:all" and "all" mean the same (orgpolicy.proto, StringValues); "under:" subtrees are kept. */
const bareValue = (v: string): string => (v.startsWith('is:') ? v.slice(3) : v);

const isError = (v: unknown): v is GuardrailError => typeof v === 'object' && v !== null && 'error' in v;

type Resource = ChangeEvent['resource'];

/** The policy's constraint and the node it is set on, from the canonical name. */
function identity(resource: Resource): Pick<OrgPolicy, 'name' | 'constraint' | 'parent'> {
  const m = /^(?<parent>.+)\/policies\/(?<c>[^/]+)$/.exec(resource.name);
  return {
    name: resource.name,
    constraint: m?.groups?.c ? `constraints/${m.groups.c}` : '',
    parent: m?.groups?.parent ?? '',
  };
}

function summarize(policy: OrgPolicy): OrgPolicy {
  policy.allowAll = policy.rules.some((r) => r.allowAll);
  policy.allowedValues = [...new Set(policy.rules.flatMap((r) => r.allowedValues))];
  return policy;
}

const deleted = (resource: Resource): OrgPolicy => ({
  ...emptyOrgPolicy(),
  ...identity(resource),
  deleted: true,
});

// ---------------------------------------------------------------------------------------------
// Org Policy v2: Policy { name, spec: PolicySpec { rules[], inheritFromParent, reset }, dryRunSpec }.

const ORG_POLICY_V2_TYPE = 'type.googleapis.com/google.cloud.orgpolicy.v2.Policy';

function v2Rule(raw: unknown, at: string): OrgPolicyRule | GuardrailError {
  const r = rec(raw);
  if (!r) return { error: `${at} is not an object` };
  const values = field(r, 'values', 'values');
  const v = rec(values);
  if (!absent(values) && !v) return { error: `${at}.values is not an object` };
  const allowed = strings(field(v, 'allowedValues', 'allowed_values'), `${at}.values.allowedValues`);
  if (isError(allowed)) return allowed;
  const denied = strings(field(v, 'deniedValues', 'denied_values'), `${at}.values.deniedValues`);
  if (isError(denied)) return denied;
  const allowAll = field(r, 'allowAll', 'allow_all') === true;
  const denyAll = field(r, 'denyAll', 'deny_all') === true;
  const enforce = r.enforce === true;
  // The oneof member present says which kind of rule it is, even at its zero value (`enforce: false`).
  const kind: OrgPolicyRule['kind'] = v
    ? 'values'
    : !absent(field(r, 'allowAll', 'allow_all'))
      ? 'allowAll'
      : !absent(field(r, 'denyAll', 'deny_all'))
        ? 'denyAll'
        : !absent(r.enforce)
          ? 'enforce'
          : '';
  return {
    kind,
    allowAll,
    denyAll,
    enforce,
    allowedValues: allowed.map(bareValue),
    deniedValues: denied.map(bareValue),
    condition: str(rec(r.condition)?.expression),
  };
}

/** Whether an update mask leaves `spec` alone (a change to the dry-run spec alone enforces nothing new). */
function maskSkipsSpec(updateMask: readonly string[]): boolean {
  if (updateMask.length === 0) return false;
  return !updateMask.some((p) => p === '*' || /^(?:policy\.)?spec(?:\.|$)/.test(p));
}

export function orgPolicyV2(
  kind: ChangeEvent['kind'],
  req: Rec | undefined,
  res: Rec | undefined,
  resource: Resource,
  updateMask: readonly string[],
): OrgPolicy | GuardrailError {
  if (kind === 'delete') return deleted(resource);
  const applied = res && (str(res['@type']) === ORG_POLICY_V2_TYPE || !absent(res.spec)) ? res : undefined;
  const reqPolicy = field(req, 'policy', 'policy');
  if (!applied && !absent(reqPolicy) && !rec(reqPolicy))
    return { error: 'protoPayload.request.policy is not an object' };
  const policy = applied ?? rec(reqPolicy);
  const at = applied ? 'protoPayload.response' : 'protoPayload.request.policy';
  const out: OrgPolicy = { ...emptyOrgPolicy(), ...identity(resource), source: applied ? 'response' : 'request' };
  if (!policy) return { ...out, source: 'none' };
  // What the request did not change is not judged from it; the response shows the whole policy.
  if (!applied && maskSkipsSpec(updateMask)) return out;
  const specRaw = policy.spec;
  if (absent(specRaw)) return out;
  const spec = rec(specRaw);
  if (!spec) return { error: `${at}.spec is not an object` };
  const rulesRaw = spec.rules;
  if (!absent(rulesRaw) && !Array.isArray(rulesRaw)) return { error: `${at}.spec.rules is not a list` };
  const rules: OrgPolicyRule[] = [];
  for (const [i, raw] of ((rulesRaw as unknown[] | undefined) ?? []).entries()) {
    const rule = v2Rule(raw, `${at}.spec.rules[${i}]`);
    if (isError(rule)) return rule;
    rules.push(rule);
  }
  out.rules = rules;
  out.reset = spec.reset === true;
  out.inheritFromParent = field(spec, 'inheritFromParent', 'inherit_from_parent') === true;
  return summarize(out);
}

// ---------------------------------------------------------------------------------------------
// Resource Manager v1: SetOrgPolicy { resource, policy: Policy { constraint, listPolicy |
// booleanPolicy | restoreDefault } } and ClearOrgPolicy { resource, constraint }.

const ALL_VALUES = ['ALL_VALUES_UNSPECIFIED', 'ALLOW', 'DENY'];

export function orgPolicyV1(
  kind: ChangeEvent['kind'],
  req: Rec | undefined,
  res: Rec | undefined,
  resource: Resource,
): OrgPolicy | GuardrailError {
  if (kind === 'delete') return deleted(resource);
  const isPolicy = (o: Rec | undefined) =>
    o !== undefined &&
    ['listPolicy', 'list_policy', 'booleanPolicy', 'boolean_policy', 'restoreDefault', 'restore_default'].some(
      (k) => !absent(o[k]),
    );
  const reqPolicy = req?.policy;
  if (!absent(reqPolicy) && !rec(reqPolicy)) return { error: 'protoPayload.request.policy is not an object' };
  const applied = isPolicy(res) ? res : undefined;
  const policy = applied ?? rec(reqPolicy);
  const at = applied ? 'protoPayload.response' : 'protoPayload.request.policy';
  const out: OrgPolicy = { ...emptyOrgPolicy(), ...identity(resource), source: applied ? 'response' : 'request' };
  if (!policy) return { ...out, source: 'none' };
  if (!absent(field(policy, 'restoreDefault', 'restore_default'))) return { ...out, reset: true };
  const listRaw = field(policy, 'listPolicy', 'list_policy');
  if (!absent(listRaw)) {
    const list = rec(listRaw);
    if (!list) return { error: `${at}.listPolicy is not an object` };
    const allowed = strings(field(list, 'allowedValues', 'allowed_values'), `${at}.listPolicy.allowedValues`);
    if (isError(allowed)) return allowed;
    const denied = strings(field(list, 'deniedValues', 'denied_values'), `${at}.listPolicy.deniedValues`);
    if (isError(denied)) return denied;
    const rawAll = field(list, 'allValues', 'all_values');
    const all = typeof rawAll === 'number' ? (ALL_VALUES[rawAll] ?? '') : str(rawAll);
    out.rules = [
      {
        kind: all === 'ALLOW' ? 'allowAll' : all === 'DENY' ? 'denyAll' : 'values',
        allowAll: all === 'ALLOW',
        denyAll: all === 'DENY',
        enforce: false,
        allowedValues: allowed.map(bareValue),
        deniedValues: denied.map(bareValue),
        condition: '',
      },
    ];
    out.inheritFromParent = field(list, 'inheritFromParent', 'inherit_from_parent') === true;
    return summarize(out);
  }
  const boolRaw = field(policy, 'booleanPolicy', 'boolean_policy');
  if (!absent(boolRaw)) {
    const bool = rec(boolRaw);
    if (!bool) return { error: `${at}.booleanPolicy is not an object` };
    // proto3 JSON leaves `enforced: false` out: an empty booleanPolicy is one that does not enforce.
    out.rules = [
      {
        kind: 'enforce',
        allowAll: false,
        denyAll: false,
        enforce: bool.enforced === true,
        allowedValues: [],
        deniedValues: [],
        condition: '',
      },
    ];
    return summarize(out);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Binary Authorization: UpdatePolicy { policy: Policy { defaultAdmissionRule { evaluationMode,
// enforcementMode, requireAttestationsBy }, globalPolicyEvaluationMode, admissionWhitelistPatterns } }.

const EVALUATION_MODES = ['EVALUATION_MODE_UNSPECIFIED', 'ALWAYS_ALLOW', 'REQUIRE_ATTESTATION', 'ALWAYS_DENY'];
const ENFORCEMENT_MODES = ['ENFORCEMENT_MODE_UNSPECIFIED', 'ENFORCED_BLOCK_AND_AUDIT_LOG', 'DRYRUN_AUDIT_LOG_ONLY'];
const GLOBAL_MODES = ['GLOBAL_POLICY_EVALUATION_MODE_UNSPECIFIED', 'ENABLE', 'DISABLE'];

/** An enum as JSON: its name, or its number (proto3 JSON accepts both). */
function enumName(v: unknown, names: readonly string[]): string {
  if (typeof v === 'number') return names[v] ?? names[0]!;
  return typeof v === 'string' && v !== '' ? v : names[0]!;
}

export function binauthzPolicy(
  req: Rec | undefined,
  res: Rec | undefined,
  resource: Resource,
): BinauthzPolicy | GuardrailError {
  const hasRule = (o: Rec | undefined) =>
    o !== undefined && !absent(field(o, 'defaultAdmissionRule', 'default_admission_rule'));
  const reqPolicy = req?.policy;
  if (!absent(reqPolicy) && !rec(reqPolicy)) return { error: 'protoPayload.request.policy is not an object' };
  const applied = hasRule(res) ? res : undefined;
  const policy = applied ?? rec(reqPolicy);
  const at = applied ? 'protoPayload.response' : 'protoPayload.request.policy';
  const out = emptyBinauthzPolicy(resource.name);
  if (!policy) return out;
  out.source = applied ? 'response' : 'request';
  const ruleRaw = field(policy, 'defaultAdmissionRule', 'default_admission_rule');
  if (!absent(ruleRaw)) {
    const rule = rec(ruleRaw);
    if (!rule) return { error: `${at}.defaultAdmissionRule is not an object` };
    const by = strings(
      field(rule, 'requireAttestationsBy', 'require_attestations_by'),
      `${at}.defaultAdmissionRule.requireAttestationsBy`,
    );
    if (isError(by)) return by;
    const admission: AdmissionRule = {
      evaluationMode: enumName(field(rule, 'evaluationMode', 'evaluation_mode'), EVALUATION_MODES),
      enforcementMode: enumName(field(rule, 'enforcementMode', 'enforcement_mode'), ENFORCEMENT_MODES),
      requireAttestationsBy: by,
    };
    out.defaultAdmissionRule = admission;
  }
  out.globalPolicyEvaluationMode = enumName(
    field(policy, 'globalPolicyEvaluationMode', 'global_policy_evaluation_mode'),
    GLOBAL_MODES,
  );
  const patterns = field(policy, 'admissionWhitelistPatterns', 'admission_whitelist_patterns');
  if (Array.isArray(patterns))
    out.admissionWhitelistPatterns = patterns
      .map((p) => str(field(rec(p), 'namePattern', 'name_pattern')))
      .filter((p) => p !== '');
  return out;
}
