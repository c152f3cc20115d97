// The three guardrails `runguard recommend` proposes, with what each allows and where Google says so.
// Checked against Google's documentation on 2026-12-01:
//  - run.allowedIngress: a list constraint on Cloud Run's ingress setting, whose values are the
//    settings as gcloud spells them; "Internal and Cloud Load Balancing" is `internal-and-cloud-load-balancing`
//    (https://cloud.google.com/run/docs/securing/ingress). List constraints of this kind take values with
//    or without the "is:" prefix (the "Supported prefixes" column of
//    https://cloud.google.com/resource-manager/docs/organization-policy/org-policy-constraints).
//    `internal` is allowed beside the load-balancer setting because it is stricter: leaving it out would
//    refuse every internal-only service, the safest ones.
//  - iam.allowedPolicyMemberDomains: "Google Workspace customer IDs can be added and removed from the
//    allowed_values list" (IDs such as `C03xgje4y`); only identities of those customers can then be
//    granted roles, never allUsers / allAuthenticatedUsers, and it is not retroactive.
//    https://cloud.google.com/resource-manager/docs/organization-policy/restricting-domains
//  - run.allowedBinaryAuthorizationPolicies: "The policy value must be set to default", which makes every
//    service use the project's default Binary Authorization policy. It does not forbid a breakglass
//    deployment; it stops services running with Binary Authorization off or on another policy.
//    https://cloud.google.com/binary-authorization/docs/run/requiring-binauthz-cloud-run
// Org Policy v2 names: `{organizations|folders|projects}/ID/policies/CONSTRAINT` (without the
// `constraints/` prefix; `projects/PROJECT_ID/…` is accepted for requests), per the `name` argument of
// https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/org_policy_policy

export type ConstraintId =
  | 'run.allowedIngress'
  | 'iam.allowedPolicyMemberDomains'
  | 'run.allowedBinaryAuthorizationPolicies';

/** Stands in for the organisation's customer ID until the user fills it in: gcloud refuses it as it is. */
export const CUSTOMER_ID_PLACEHOLDER = 'C0_FILL_IN_YOUR_CUSTOMER_ID';

export interface ConstraintSpec {
  id: ConstraintId;
  /** The runguard rules whose findings this constraint would have prevented. */
  rules: readonly string[];
  /** One line: what it stops. */
  stops: string;
  doc: string;
}

export const CONSTRAINTS: readonly ConstraintSpec[] = [
  {
    id: 'run.allowedIngress',
    rules: ['run-ingress-all'],
    stops: 'Cloud Run services opened to all internet traffic',
    doc: 'https://cloud.google.com/run/docs/securing/ingress',
  },
  {
    id: 'iam.allowedPolicyMemberDomains',
    rules: ['run-public-invoker', 'iam-public-member', 'iam-personal-account'],
    stops: 'roles granted to allUsers, allAuthenticatedUsers or accounts outside the organisation',
    doc: 'https://cloud.google.com/resource-manager/docs/organization-policy/restricting-domains',
  },
  {
    id: 'run.allowedBinaryAuthorizationPolicies',
    rules: ['run-binauthz-breakglass'],
    stops: 'Cloud Run services deployed without the default Binary Authorization policy',
    doc: 'https://cloud.google.com/binary-authorization/docs/run/requiring-binauthz-cloud-run',
  },
];

/** The allowed values of a proposal; the customer ID is the placeholder unless it is known. */
export function allowedValues(id: ConstraintId, customerId: string | undefined): string[] {
  switch (id) {
    case 'run.allowedIngress':
      return ['internal', 'internal-and-cloud-load-balancing'];
    case 'iam.allowedPolicyMemberDomains':
      return [customerId ?? CUSTOMER_ID_PLACEHOLDER];
    case 'run.allowedBinaryAuthorizationPolicies':
      return ['default'];
  }
}
