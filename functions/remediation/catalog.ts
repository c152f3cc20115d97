import type { ResourceType } from '../core/types.js';

// The registry of what runguard may change, as data. The code that carries an action out comes
// later and must stay within the permissions declared here: Terraform's custom role is generated
// from them, so an undeclared permission is a deployment that fails, not one that silently works.
//
// An action's params are a few closed lists, checked here by hand rather than with the schema
// library the configuration uses: the executor checks them again before every first revert, and
// initialising zod there cost a cold revert ~45 ms of CPU (profiled on the artifact).

export interface RemediationAction {
  name: RemediationName;
  description: string;
  resourceTypes: readonly ResourceType[];
  /** Every IAM permission the action needs, and nothing more. */
  permissions: readonly string[];
  /**
   * What the action reads from a rule's effective params, each key's check. Loose: keys the action
   * does not read belong to the rule's condition and pass through.
   */
  params: Readonly<Record<string, ParamCheck>>;
}

/** One param: whether it must be there, and the problems with a value that is (each "path: problem"). */
export interface ParamCheck {
  required: boolean;
  problems(value: unknown, key: string): string[];
}

/** A string from a closed list. */
const oneOf = (values: readonly string[], refuse: (input: unknown) => string): ParamCheck => ({
  required: true,
  problems: (value, key) => (typeof value === 'string' && values.includes(value) ? [] : [`${key}: ${refuse(value)}`]),
});

/** A non-empty list, each item checked by `item` (its problem, or undefined when it is fine). */
const listOf = (
  item: (input: unknown) => string | undefined,
  empty: string,
  opts: { required: boolean },
): ParamCheck => ({
  required: opts.required,
  problems: (value, key) => {
    if (!Array.isArray(value)) return [`${key}: must be a list, got ${JSON.stringify(value)}`];
    if (value.length === 0) return [`${key}: ${empty}`];
    return value.flatMap((v, i) => {
      const problem = item(v);
      return problem ? [`${key}[${i}]: ${problem}`] : [];
    });
  },
});

export type RemediationName = 'set-ingress' | 'remove-public-members' | 'enable-invoker-iam-check';

/** Remediation never widens access: INGRESS_TRAFFIC_ALL is not a value it may set. */
export const SAFE_INGRESS = ['INGRESS_TRAFFIC_INTERNAL_ONLY', 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER'] as const;
/** The only members remove-public-members may take out, so a params override cannot turn it on a person. */
export const PUBLIC_MEMBERS = ['allUsers', 'allAuthenticatedUsers'] as const;

const RUN: readonly ResourceType[] = ['run.googleapis.com/Service'];

export const REMEDIATION_ACTIONS: Readonly<Record<RemediationName, RemediationAction>> = {
  'set-ingress': {
    name: 'set-ingress',
    description: 'Sets the service ingress to params.safeIngress, touching no other field.',
    resourceTypes: RUN,
    permissions: ['run.services.get', 'run.services.update'],
    params: {
      safeIngress: oneOf(
        SAFE_INGRESS,
        (input) =>
          `${JSON.stringify(input)} is not allowed: remediation never widens access; use ${SAFE_INGRESS.join(' or ')}`,
      ),
    },
  },
  'remove-public-members': {
    name: 'remove-public-members',
    description:
      'Removes allUsers and allAuthenticatedUsers from every role of the service IAM policy, ' +
      'keeping every other member.',
    resourceTypes: RUN,
    permissions: ['run.services.getIamPolicy', 'run.services.setIamPolicy'],
    params: {
      publicMembers: listOf(
        (input) =>
          typeof input === 'string' && (PUBLIC_MEMBERS as readonly string[]).includes(input)
            ? undefined
            : `${JSON.stringify(input)} is not a public member; only ${PUBLIC_MEMBERS.join(' and ')} may be removed`,
        'must name at least one public member',
        { required: true },
      ),
      /** Only from these roles (a finding about one grant); absent: every role. */
      roles: listOf(
        (input) =>
          typeof input === 'string' && input !== '' ? undefined : `must be a role name, got ${JSON.stringify(input)}`,
        'must name at least one role',
        { required: false },
      ),
    },
  },
  'enable-invoker-iam-check': {
    name: 'enable-invoker-iam-check',
    description: 'Turns the invoker IAM check back on (invokerIamDisabled: false).',
    resourceTypes: RUN,
    permissions: ['run.services.get', 'run.services.update'],
    params: {},
  },
};

export const REMEDIATION_ACTION_NAMES: ReadonlySet<string> = new Set(Object.keys(REMEDIATION_ACTIONS));

export function remediationAction(name: string): RemediationAction | undefined {
  return Object.hasOwn(REMEDIATION_ACTIONS, name) ? REMEDIATION_ACTIONS[name as RemediationName] : undefined;
}

/** Every problem with `params` for `action`, each as "key: problem"; empty when they are safe to act on. */
export function validateRemediationParams(action: string, params: Record<string, unknown>): string[] {
  const def = remediationAction(action);
  if (!def) return [`unknown remediation action "${action}" (known: ${[...REMEDIATION_ACTION_NAMES].join(', ')})`];
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    return [`(params): must be a map of names to values, got ${JSON.stringify(params)}`];
  return Object.entries(def.params).flatMap(([key, check]) => {
    const value = Object.hasOwn(params, key) ? params[key] : undefined;
    if (value === undefined) return check.required ? [`${key}: required`] : [];
    return check.problems(value, key);
  });
}
