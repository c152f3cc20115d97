// The three guardrails `runguard recommend` proposes, with what each allows and where Google says so.
// Checked against Google's documentation on 2026-12-01:
//  - run.allowedIngress: a list constraint whose values are Cloud Run's ingress settings as gcloud
//    spells them (`all`, `internal`, `internal-and-cloud-load-balancing`; "is:" is the supported
//    prefix). https://cloud.google.com/run/docs/securing/ingress (the gcloud spelling of "Internal and
//    Cloud Load Balancing"), https://cloud.google.com/resource-manager/docs/organization-policy/org-policy-constraints
//    (constraints/run.allowedIngress). `internal` is allowed beside the load-balancer setting because it
//    is stricter: leaving it out would reject every internal-only service, the safest ones.
//  - iam.allowedPolicyMemberDomains: allowed values are Google Workspace customer IDs such as
//    `C03xgje4y`; only identities of those customers may then be granted roles, and allUsers /
//    allAuthenticatedUsers never. It is not retroactive: existing grants stay.
//    https://cloud.google.com/resource-manager/docs/organization-policy/restricting-domains
//  - run.allowedBinaryAuthorizationPolicies: the value `default` requires every service to use the
//    project's default Binary Authorization policy.
//    https://cloud.google.com/binary-authorization/docs/run/requiring-binauthz-cloud-run
// Org Policy v2 names: `{organizations|folders|projects}/ID/policies/CONSTRAINT` (without the
// `constraints/` prefix), per the Policy resource's `name` field in the google_org_policy_policy docs:
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
