import type { ChangeEvent, ResourceType, Severity } from '../core/types.js';

/** A rule as written in rules/<id>.yaml, after schema validation. */
export interface RuleSpec {
  id: string;
  title: string;
  severity: Severity;
  resourceTypes: ResourceType[];
  /** CEL, must evaluate to bool. Variables: see RuleInput. */
  condition: string;
  /** CEL, must evaluate to string: the finding's one-line message. Optional; the title is used otherwise. */
  message?: string;
  /**
   * CEL, must evaluate to a list of strings (a list of lists is flattened): what exactly fired, one
   * finding per subject (`member@role`, `field=value`; see functions/core/subject.ts). Optional.
   */
  subjects?: string;
  /** Default parameters, visible to CEL as `params`; overridable per rule in the configuration. */
  params: Record<string, unknown>;
  remediation: { action: string } | null;
  explanation: string;
  /** The command that fixes it by hand; {project}, {location}, {service}, {resource} are filled in. */
  fix: string;
  examples: { fire: RuleExample[]; pass: RuleExample[] };
  /** The file it came from, for error messages. */
  file: string;
}

export interface RuleExample {
  name: string;
  /** A partial RuleInput, deep-merged over the zero-valued input for the rule's first resource type. */
  input: Record<string, unknown>;
  /** Optional expected message for a firing example. */
  message?: string;
}

/** Per-rule settings from the configuration. */
export interface RuleOverride {
  enabled?: boolean;
  severity?: Severity;
  params?: Record<string, unknown>;
}

/** Configuration values every rule may read, as CEL variable `settings`. */
export interface RuleSettings {
  allowedDomains: string[];
}

/**
 * The CEL activation. `service` is the zero-valued service (emptyService) when the resource is a
 * Cloud Run service whose state the change does not carry, and null for other resource types;
 * `policy` is emptyPolicy() when the change carries no policy.
 */
export interface RuleInput {
  resource: ChangeEvent['resource'];
  service: ChangeEvent['service'];
  policy: NonNullable<ChangeEvent['policy']>;
  change: Pick<ChangeEvent, 'method' | 'kind' | 'deltas' | 'deltaSource' | 'actor' | 'serviceSource' | 'updateMask'>;
  /** The organization policy (every field present) for orgpolicy.googleapis.com/Policy, null for other types. */
  orgPolicy: ChangeEvent['orgPolicy'];
  /**
   * The Binary Authorization policy (every field present) for binaryauthorization.googleapis.com/Policy, null
   * otherwise.
   */
  binauthzPolicy: ChangeEvent['binauthzPolicy'];
  params: Record<string, unknown>;
  settings: RuleSettings;
}

/** A compiled CEL expression, called with a rule's input. */
export type CelProgram = (input: RuleInput) => unknown;

/** A rule ready to evaluate: its spec and its compiled condition, message and subjects. */
export interface CompiledRule extends RuleSpec {
  readonly conditionProgram: CelProgram;
  readonly messageProgram: CelProgram | null;
  readonly subjectsProgram: CelProgram | null;
  readonly appliesTo: ReadonlySet<ResourceType>;
}
