import { z } from 'zod';
import type { ResourceType } from '../core/types.js';

// The registry of what runguard may change, as data. The code that carries an action out comes
// later and must stay within the permissions declared here: Terraform's custom role is generated
// from them, so an undeclared permission is a deployment that fails, not one that silently works.

export interface RemediationAction {
  name: RemediationName;
  description: string;
  resourceTypes: readonly ResourceType[];
  /** Every IAM permission the action needs, and nothing more. */
  permissions: readonly string[];
  /**
   * Validates a rule's effective params. Loose: keys the action does not read belong to the
   * rule's condition and pass through.
   */
  params: z.ZodType;
}

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
    params: z.looseObject({
      safeIngress: z.enum(SAFE_INGRESS, {
        error: (iss) =>
          iss.input === undefined
            ? 'required'
            : `${JSON.stringify(iss.input)} is not allowed: remediation never widens access; ` +
              `use ${SAFE_INGRESS.join(' or ')}`,
      }),
    }),
  },
  'remove-public-members': {
    name: 'remove-public-members',
    description:
      'Removes allUsers and allAuthenticatedUsers from every role of the service IAM policy, ' +
      'keeping every other member.',
    resourceTypes: RUN,
    permissions: ['run.services.getIamPolicy', 'run.services.setIamPolicy'],
    params: z.looseObject({
      publicMembers: z
        .array(
          z.enum(PUBLIC_MEMBERS, {
            error: (iss) =>
              `${JSON.stringify(iss.input)} is not a public member; ` +
              `only ${PUBLIC_MEMBERS.join(' and ')} may be removed`,
          }),
        )
        .min(1, 'must name at least one public member'),
      /** Only from these roles (a finding about one grant); absent: every role. */
      roles: z.array(z.string().min(1)).min(1, 'must name at least one role').optional(),
    }),
  },
  'enable-invoker-iam-check': {
    name: 'enable-invoker-iam-check',
    description: 'Turns the invoker IAM check back on (invokerIamDisabled: false).',
    resourceTypes: RUN,
    permissions: ['run.services.get', 'run.services.update'],
    params: z.looseObject({}),
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
  const result = def.params.safeParse(params, {
    error: (iss) => (iss.code === 'invalid_type' && iss.input === undefined ? 'required' : undefined),
  });
  if (result.success) return [];
  return result.error.issues.map((i) => `${keyPath(i.path) || '(params)'}: ${i.message}`);
}

const keyPath = (path: PropertyKey[]) =>
  path.reduce<string>(
    (acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)),
    '',
  );
