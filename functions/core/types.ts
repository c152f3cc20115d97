// The shapes that flow through the pure core: decode → normalize → evaluate → decide.
// Nothing in functions/core, events, rules, config or decisions does I/O; the edges pass data in.

/** A Cloud Audit Log LogEntry as JSON. Only the fields runguard reads are typed; unknown keys are kept. */
export interface LogEntry {
  insertId?: string;
  logName?: string;
  timestamp?: string;
  receiveTimestamp?: string;
  severity?: string;
  resource?: { type?: string; labels?: Record<string, string> };
  operation?: { id?: string; producer?: string; first?: boolean; last?: boolean };
  protoPayload?: AuditLog;
  [key: string]: unknown;
}

export interface AuditLog {
  '@type'?: string;
  serviceName?: string;
  methodName?: string;
  resourceName?: string;
  status?: { code?: number; message?: string };
  authenticationInfo?: {
    principalEmail?: string;
    principalSubject?: string;
    serviceAccountDelegationInfo?: Array<{
      firstPartyPrincipal?: { principalEmail?: string };
      principalSubject?: string;
      thirdPartyPrincipal?: unknown;
    }>;
  };
  requestMetadata?: { callerIp?: string; callerSuppliedUserAgent?: string };
  resourceLocation?: { currentLocations?: string[] };
  request?: Record<string, unknown>;
  response?: Record<string, unknown>;
  serviceData?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Where a decoded entry came from, so an error can name it. */
export type Envelope = 'log-entry' | 'pubsub-push' | 'pubsub-message' | 'cloudevent';

/** One item of an input after decoding: a LogEntry, or the reason it could not be read. Never both. */
export type DecodedEntry =
  | { index: number; envelope: Envelope; messageId?: string; entry: LogEntry; error?: undefined }
  | { index: number; envelope?: Envelope; messageId?: string; entry?: undefined; error: string };

// ---------------------------------------------------------------------------------------------
// Normalized resources: what rules see.

/**
 * Cloud Asset Inventory type names, so that people who know CAI or org-policy constraints read
 * them without a glossary.
 */
export type ResourceType =
  | 'run.googleapis.com/Service'
  | 'run.googleapis.com/Job'
  | 'run.googleapis.com/WorkerPool'
  | 'cloudresourcemanager.googleapis.com/Project'
  | 'cloudresourcemanager.googleapis.com/Folder'
  | 'cloudresourcemanager.googleapis.com/Organization'
  | 'iam.googleapis.com/ServiceAccount'
  | 'cloudfunctions.googleapis.com/Function'
  | 'storage.googleapis.com/Bucket'
  | 'pubsub.googleapis.com/Topic'
  | 'pubsub.googleapis.com/Subscription'
  | 'secretmanager.googleapis.com/Secret'
  | 'cloudkms.googleapis.com/KeyRing'
  | 'cloudkms.googleapis.com/CryptoKey'
  | 'bigquery.googleapis.com/Dataset'
  | 'bigquery.googleapis.com/Table'
  | 'artifactregistry.googleapis.com/Repository'
  | 'orgpolicy.googleapis.com/Policy'
  | 'binaryauthorization.googleapis.com/Policy';

export const RESOURCE_TYPES: readonly ResourceType[] = [
  'run.googleapis.com/Service',
  'run.googleapis.com/Job',
  'run.googleapis.com/WorkerPool',
  'cloudresourcemanager.googleapis.com/Project',
  'cloudresourcemanager.googleapis.com/Folder',
  'cloudresourcemanager.googleapis.com/Organization',
  'iam.googleapis.com/ServiceAccount',
  'cloudfunctions.googleapis.com/Function',
  'storage.googleapis.com/Bucket',
  'pubsub.googleapis.com/Topic',
  'pubsub.googleapis.com/Subscription',
  'secretmanager.googleapis.com/Secret',
  'cloudkms.googleapis.com/KeyRing',
  'cloudkms.googleapis.com/CryptoKey',
  'bigquery.googleapis.com/Dataset',
  'bigquery.googleapis.com/Table',
  'artifactregistry.googleapis.com/Repository',
  'orgpolicy.googleapis.com/Policy',
  'binaryauthorization.googleapis.com/Policy',
];

/**
 * Workloads: what rules see as `service`, in the Cloud Run v2 Service shape. Jobs and worker pools
 * are Cloud Run resources with the same template fields; a 2nd-gen function is a Cloud Run service
 * underneath (its ingress settings, service account and environment map onto the same fields).
 */
export const WORKLOAD_TYPES: ReadonlySet<ResourceType> = new Set<ResourceType>([
  'run.googleapis.com/Service',
  'run.googleapis.com/Job',
  'run.googleapis.com/WorkerPool',
  'cloudfunctions.googleapis.com/Function',
]);

export type Ingress =
  | 'INGRESS_TRAFFIC_UNSPECIFIED'
  | 'INGRESS_TRAFFIC_ALL'
  | 'INGRESS_TRAFFIC_INTERNAL_ONLY'
  | 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER'
  | 'INGRESS_TRAFFIC_NONE';

/** google.cloud.run.v2.EnvVar. A literal `value` is replaced by REDACTED at normalization. */
export interface EnvVar {
  name: string;
  value: string;
  valueSource: { secretKeyRef: { secret: string; version: string } };
}

/** Literal env values never leave the normalizer: rules see that a value exists, not what it is. */
export const REDACTED = '[redacted]';

export interface Container {
  name: string;
  image: string;
  env: EnvVar[];
}

/**
 * A Cloud Run service in the v2 shape (field names from google/cloud/run/v2/service.proto),
 * whatever API produced it. Every field rules read is always present with its proto3 zero value,
 * so a CEL condition never trips over a missing key.
 */
export interface RunService {
  name: string; // projects/P/locations/L/services/S
  uid: string;
  generation: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  creator: string;
  lastModifier: string;
  client: string;
  ingress: Ingress;
  launchStage: string;
  invokerIamDisabled: boolean;
  defaultUriDisabled: boolean;
  binaryAuthorization: { useDefault: boolean; policy: string; breakglassJustification: string };
  template: {
    revision: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    serviceAccount: string;
    containers: Container[];
  };
  uri: string;
  etag: string;
}

export interface Binding {
  role: string;
  members: string[];
  condition?: { expression?: string; title?: string };
}

export interface Policy {
  bindings: Binding[];
  etag: string;
}

export type MemberType =
  | 'allUsers'
  | 'allAuthenticatedUsers'
  | 'user'
  | 'group'
  | 'serviceAccount'
  | 'domain'
  | 'principal'
  | 'principalSet'
  | 'deleted'
  | 'other';

export interface BindingDelta {
  action: 'ADD' | 'REMOVE';
  role: string;
  member: string;
  /** What kind of principal `member` is, parsed once so rules need no string surgery. */
  memberType: MemberType;
  /** The e-mail domain (user:, group:, serviceAccount:) or the domain (domain:), lower case; '' when none. */
  memberDomain: string;
}

export type ChangeKind = 'create' | 'update' | 'delete' | 'setIamPolicy';

// ---------------------------------------------------------------------------------------------
// The guardrails themselves: organization policies and the Binary Authorization policy.

/**
 * One rule of an organization policy (google.cloud.orgpolicy.v2.PolicySpec.PolicyRule); v1 policies become one rule.
 */
export interface OrgPolicyRule {
  /** Which member of the rule's `kind` oneof is set: 'values', 'allowAll', 'denyAll', 'enforce', or '' when none. */
  kind: 'values' | 'allowAll' | 'denyAll' | 'enforce' | '';
  allowAll: boolean;
  denyAll: boolean;
  /** Boolean constraints: the rule enforces the constraint. false when the rule says nothing. */
  enforce: boolean;
  /** `is:` prefixes removed ("is:all" is "all"); `under:` values kept as written. */
  allowedValues: string[];
  deniedValues: string[];
  /** The rule's tag condition (a CEL expression); '' when the rule applies everywhere. */
  condition: string;
}

/**
 * An organization policy as a change left it, the same shape whichever API made the change (Org
 * Policy v2 Create/Update/DeletePolicy, Resource Manager v1 SetOrgPolicy/ClearOrgPolicy). Every
 * field is present, so a condition never trips over a missing key.
 */
export interface OrgPolicy {
  /** projects/P/policies/C, folders/N/policies/C, organizations/N/policies/C (C without "constraints/"). */
  name: string;
  /** constraints/run.allowedIngress */
  constraint: string;
  /** projects/P, folders/N or organizations/N: where the policy is set. */
  parent: string;
  /** DeletePolicy or ClearOrgPolicy: no policy is left here, the parent's (or the default) applies. */
  deleted: boolean;
  /** v2 `spec.reset` or v1 `restoreDefault`: the constraint's default applies here. */
  reset: boolean;
  inheritFromParent: boolean;
  rules: OrgPolicyRule[];
  /** Some rule allows every value (v2 allowAll, v1 listPolicy.allValues ALLOW). */
  allowAll: boolean;
  /** Every rule's allowed values, `is:` prefixes removed. */
  allowedValues: string[];
  /** Where it came from: the response (what was applied), the request, or nothing (a deletion). */
  source: 'response' | 'request' | 'none';
}

/** google.cloud.binaryauthorization.v1.AdmissionRule, enums as names. */
export interface AdmissionRule {
  /** ALWAYS_ALLOW, REQUIRE_ATTESTATION, ALWAYS_DENY, or EVALUATION_MODE_UNSPECIFIED */
  evaluationMode: string;
  /** ENFORCED_BLOCK_AND_AUDIT_LOG, DRYRUN_AUDIT_LOG_ONLY, or ENFORCEMENT_MODE_UNSPECIFIED */
  enforcementMode: string;
  requireAttestationsBy: string[];
}

/** A project's Binary Authorization policy (google.cloud.binaryauthorization.v1.Policy) as an update left it. */
export interface BinauthzPolicy {
  /** projects/P/policy */
  name: string;
  defaultAdmissionRule: AdmissionRule;
  /** ENABLE, DISABLE or GLOBAL_POLICY_EVALUATION_MODE_UNSPECIFIED */
  globalPolicyEvaluationMode: string;
  admissionWhitelistPatterns: string[];
  source: 'response' | 'request' | 'none';
}

/** The tool the user agent reveals. */
export type Tool =
  | 'console'
  | 'gcloud'
  | 'terraform'
  | 'pulumi'
  | 'config-connector'
  | 'client-library'
  | 'other'
  | 'unknown';

export interface Actor {
  /**
   * Who made the change: the original caller, i.e. the first principal of the delegation chain, or
   * without a chain principalEmail (principalSubject when there is no e-mail); '' when unknown.
   */
  caller: string;
  email: string; // principalEmail; '' when the entry has none
  subject: string; // principalSubject; ''
  /** The delegation chain, first hop first (principal e-mails or subjects). */
  delegation: string[];
  ip: string;
  userAgent: string;
  tool: Tool;
  /** e.g. "gcloud.run.deploy", "Terraform/1.9.0 terraform-provider-google/6.0.0"; '' when nothing more is known. */
  toolDetail: string;
}

/** One change, whatever API made it. */
export interface ChangeEvent {
  insertId: string;
  logName: string;
  timestamp: string;
  method: string;
  serviceName: string;
  kind: ChangeKind;
  resource: {
    type: ResourceType;
    /** Canonical full name: projects/P/locations/L/services/S, projects/P, folders/N, … */
    name: string;
    project: string; // project id; '' for folders and organizations
    location: string; // '' when not regional
  };
  actor: Actor;
  operation: { id: string; producer: string; first: boolean; last: boolean } | null;
  /** The service as this change left it (response if present, else request); null unless a Run service change. */
  service: RunService | null;
  /**
   * Where `service` came from: the response is what was applied; the request is what was asked; live is read from the
   * API now.
   */
  serviceSource: 'response' | 'request' | 'live' | 'none';
  /** The IAM policy the change set (response if present, else request.policy); null unless setIamPolicy. */
  policy: Policy | null;
  /** Binding changes; from serviceData.policyDelta when present, else every binding of `policy` as ADD. */
  deltas: BindingDelta[];
  deltaSource: 'policyDelta' | 'policy' | 'none';
  /** Fields named by the request's update mask, if any (v2 UpdateService, Functions v2). */
  updateMask: string[];
  /** The organization policy the change set or removed; null unless an org policy change. */
  orgPolicy: OrgPolicy | null;
  /** The Binary Authorization policy the change set; null unless a Binary Authorization policy change. */
  binauthzPolicy: BinauthzPolicy | null;
}

/** A skip is a value with a reason, not an exception. */
export interface Skip {
  skipped: true;
  reason: string;
  code: 'failed-call' | 'operation-last' | 'self' | 'unhandled-method' | 'deleted' | 'validate-only' | 'project-off';
}

export type Normalized = ChangeEvent | Skip;

// ---------------------------------------------------------------------------------------------
// Rules, findings, decisions.

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW';

/** Most severe first: for sorting findings. */
export const SEVERITY_RANK: Record<Severity, number> = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3 };
export const SEVERITIES: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];

export interface Finding {
  rule: string;
  severity: Severity;
  title: string;
  /** One sentence in words, e.g. "allUsers can invoke (roles/run.invoker)". Never holds a secret value. */
  message: string;
  resource: string;
  /**
   * Exactly what on the resource the finding is about: `member@role` for a grant, `field=value` for a
   * setting (functions/core/subject.ts); absent or '' when the rule names none (the rule on the whole resource).
   */
  subject?: string;
  /**
   * Stable key of what the finding is about: "<rule>|<resource>", or "<rule>|<resource>|<subject>" —
   * the unit of exemptions, fight counts and sweep marks.
   */
  key: string;
  remediation: { action: string; params: Record<string, unknown> } | null;
}

export type Action = 'revert' | 'dry-run' | 'alert' | 'exempt';

export interface Decision {
  finding: Finding;
  action: Action;
  mode: ProjectMode;
  /** Why this action, in words, for the alert and the log line. */
  reason: string;
  /**
   * Attribution on a change: false when the finding was already open before this change (the change
   * did not introduce it), so it is not blamed on the change's actor nor counted toward a fight.
   * Absent where there is no change to attribute to (the sweep, the CLI on one entry).
   */
  introduced?: boolean;
  exemption: Exemption | null;
  /** Exemptions that would have matched but have expired: said, not honoured. */
  expiredExemptions: Exemption[];
}

export type ProjectMode = 'enforce' | 'monitor' | 'off';

export interface Exemption {
  /** Glob on the resource's full name. */
  resource: string;
  /** Rule id, or '*'. */
  rule: string;
  /**
   * The finding's subject it covers (`member@role`, `field=value`); absent: every subject of the rule
   * on the resource. A breakglass acknowledgement always records the subject it was given for.
   */
  subject?: string;
  reason: string;
  /** ISO 8601 instant. */
  expires: string;
  approvedBy: string;
  /** 'config' for reviewed configuration, 'breakglass' for an acknowledgement from Slack. */
  source: 'config' | 'breakglass';
}
