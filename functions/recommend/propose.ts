import { compileGlob } from '../core/glob.js';
import type { Exemption, Ingress } from '../core/types.js';
import type { DecisionRecord } from '../history/types.js';
import {
  allowedValues,
  CONSTRAINTS,
  CUSTOMER_ID_PLACEHOLDER,
  type ConstraintId,
  type ConstraintSpec,
} from './constraints.js';
import { type Hierarchy, isUnder, narrowestCover, organizationOf } from './hierarchy.js';

// From what runguard keeps finding to the guardrail that would have stopped it. Pure: the decision
// history, what is deployed, the exemptions and the hierarchy in; proposals out.

/** One deployed Cloud Run service, as much of it as a constraint looks at. */
export interface DeployedService {
  /** projects/P/locations/L/services/S */
  name: string;
  project: string;
  ingress: Ingress;
  binaryAuthorization: { useDefault: boolean; policy: string; breakglassJustification: string };
  /** Every member of its IAM policy, with the role: `allUsers@roles/run.invoker`; absent when it could not be read. */
  grants?: string[];
}

/** A config or breakglass exemption; breakglass ones carry their id. */
export type KnownExemption = Exemption & { id?: string };

export interface ProposeOptions {
  /** A constraint is proposed when its findings reach this many… (default 3) */
  minFindings: number;
  /** …or this many distinct actors (default 2), in the period. */
  minActors: number;
  /** The organisation's Google Workspace customer ID (C0…), when known. */
  customerId?: string;
  /** The organisation's own domains (configuration `allowedDomains`). */
  allowedDomains: readonly string[];
}

export const DEFAULT_THRESHOLD = { minFindings: 3, minActors: 2 } as const;

export interface ProposeInput {
  records: readonly DecisionRecord[];
  since: number;
  until: number;
  hierarchy: Hierarchy;
  services: readonly DeployedService[];
  exemptions: readonly KnownExemption[];
  now: number;
  options: ProposeOptions;
}

export interface Evidence {
  /** Distinct findings: each change counts, an open finding seen by several sweeps once. */
  findings: number;
  byRule: Record<string, number>;
  /** What runguard did about them: reverted, alerted, exempt, … */
  byDone: Record<string, number>;
  /** Who made the changes, most first; sweep findings have no actor. */
  actors: Array<{ actor: string; count: number }>;
  projects: string[];
  resources: number;
  /** ISO 8601: the first and last change. */
  first: string;
  last: string;
}

export interface Breakage {
  service: string;
  project: string;
  /** Why the constraint rejects it, in words. */
  why: string;
  /** The exemption that allows it today, when one does. */
  exemptBy?: string;
}

export interface ExceptionNeeded {
  source: 'config' | 'breakglass';
  /** The breakglass exemption's id, or the config exemption's resource glob. */
  ref: string;
  rule: string;
  resource: string;
  reason: string;
  expires: string;
  approvedBy: string;
  /** The projects under the policy's node it covers (from its glob or the services it matches). */
  projects: string[];
}

export interface Proposal {
  constraint: ConstraintId;
  /** `constraints/run.allowedIngress` */
  constraintName: string;
  /** Where the policy goes: `projects/ID`, `folders/N` or `organizations/N`. */
  parent: string;
  /** The organisation above it (`organizations/N`), when Resource Manager showed it: tag keys are named under it. */
  organization?: string;
  /** `folders/N/policies/run.allowedIngress` */
  policyName: string;
  allowedValues: string[];
  /** True when allowedValues holds CUSTOMER_ID_PLACEHOLDER, which the user must replace before applying. */
  needsCustomerId: boolean;
  stops: string;
  doc: string;
  evidence: Evidence;
  breaks: Breakage[];
  exceptions: ExceptionNeeded[];
}

export interface Recommendation {
  since: string;
  until: string;
  threshold: { minFindings: number; minActors: number };
  proposals: Proposal[];
  /** Constraints with findings that stayed below the threshold: said, not proposed. */
  belowThreshold: Array<{ constraint: ConstraintId; findings: number; actors: number }>;
  /** Projects with findings whose place in the hierarchy is unknown: a policy can still go on them alone. */
  unplaced: string[];
}

const PUBLIC = new Set(['allUsers', 'allAuthenticatedUsers']);
const CONSUMER = new Set(['gmail.com', 'googlemail.com']);

export function propose(input: ProposeInput): Recommendation {
  const inPeriod = input.records.filter((r) => r.at >= input.since && r.at <= input.until);
  const out: Recommendation = {
    since: new Date(input.since).toISOString(),
    until: new Date(input.until).toISOString(),
    threshold: { minFindings: input.options.minFindings, minActors: input.options.minActors },
    proposals: [],
    belowThreshold: [],
    unplaced: [],
  };
  for (const spec of CONSTRAINTS) {
    const records = distinctFindings(inPeriod.filter((r) => spec.rules.includes(r.rule)));
    if (records.length === 0) continue;
    const evidence = evidenceOf(records);
    if (evidence.findings < input.options.minFindings && evidence.actors.length < input.options.minActors) {
      out.belowThreshold.push({ constraint: spec.id, findings: evidence.findings, actors: evidence.actors.length });
      continue;
    }
    const parent = narrowestCover(input.hierarchy, evidence.projects);
    const placed = parent ?? (evidence.projects.length === 1 ? `projects/${evidence.projects[0]}` : null);
    if (!placed) {
      out.unplaced.push(...evidence.projects.filter((p) => !input.hierarchy.projects[p]));
      continue;
    }
    out.proposals.push(proposal(spec, placed, evidence, records, input));
  }
  out.unplaced = [...new Set(out.unplaced)].sort();
  return out;
}

/** Events count once per change; a sweep seeing the same open finding again is not a new finding. */
function distinctFindings(records: DecisionRecord[]): DecisionRecord[] {
  const seen = new Map<string, DecisionRecord>();
  for (const r of records) {
    const key = r.foundBy === 'sweep' ? `sweep|${r.findingKey}` : r.id;
    if (!seen.has(key)) seen.set(key, r);
  }
  return [...seen.values()];
}

function evidenceOf(records: DecisionRecord[]): Evidence {
  const count = (key: (r: DecisionRecord) => string) => {
    const m: Record<string, number> = {};
    for (const r of records) m[key(r)] = (m[key(r)] ?? 0) + 1;
    return Object.fromEntries(Object.entries(m).sort(([a], [b]) => a.localeCompare(b)));
  };
  const actors = Object.entries(count((r) => r.actor))
    .filter(([a]) => a !== '')
    .map(([actor, n]) => ({ actor, count: n }))
    .sort((a, b) => b.count - a.count || a.actor.localeCompare(b.actor));
  const times = records.map((r) => r.changedAt).sort();
  return {
    findings: records.length,
    byRule: count((r) => r.rule),
    byDone: count((r) => r.done),
    actors,
    projects: [...new Set(records.map((r) => r.project))].sort(),
    resources: new Set(records.map((r) => r.resource)).size,
    first: times[0]!,
    last: times[times.length - 1]!,
  };
}

function proposal(
  spec: ConstraintSpec,
  parent: string,
  evidence: Evidence,
  records: DecisionRecord[],
  input: ProposeInput,
): Proposal {
  const values = allowedValues(spec.id, input.options.customerId);
  const under = (project: string) => parent === `projects/${project}` || isUnder(input.hierarchy, project, parent);
  const active = input.exemptions.filter(
    (e) => Date.parse(e.expires) > input.now && (e.rule === '*' || spec.rules.includes(e.rule)),
  );
  const exemptionFor = (resource: string) => active.find((e) => compileGlob(e.resource).test(resource));
  const breaks: Breakage[] = [];
  for (const s of [...input.services].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!under(s.project)) continue;
    const why = rejection(spec.id, s, input.options);
    if (!why) continue;
    const e = exemptionFor(s.name);
    breaks.push({ service: s.name, project: s.project, why, ...(e ? { exemptBy: exemptionRef(e) } : {}) });
  }
  const resources = [...new Set([...input.services.map((s) => s.name), ...records.map((r) => r.resource)])];
  const exceptions: ExceptionNeeded[] = [];
  for (const e of active) {
    const glob = compileGlob(e.resource);
    const literal = /^projects\/([^/*?]+)\//.exec(e.resource)?.[1];
    const projects = new Set(resources.filter((r) => glob.test(r)).map((r) => /^projects\/([^/]+)/.exec(r)?.[1] ?? ''));
    if (literal) projects.add(literal);
    const inside = [...projects].filter((p) => p && under(p)).sort();
    if (inside.length === 0) continue;
    exceptions.push({
      source: e.source,
      ref: exemptionRef(e),
      rule: e.rule,
      resource: e.resource,
      reason: e.reason,
      expires: e.expires,
      approvedBy: e.approvedBy,
      projects: inside,
    });
  }
  const organization = evidence.projects.map((p) => organizationOf(input.hierarchy, p)).find(Boolean);
  return {
    constraint: spec.id,
    constraintName: `constraints/${spec.id}`,
    parent,
    ...(organization ? { organization } : {}),
    policyName: `${parent}/policies/${spec.id}`,
    allowedValues: values,
    needsCustomerId: values.includes(CUSTOMER_ID_PLACEHOLDER),
    stops: spec.stops,
    doc: spec.doc,
    evidence,
    breaks,
    exceptions,
  };
}

const exemptionRef = (e: KnownExemption): string => (e.source === 'breakglass' && e.id ? e.id : e.resource);

/** Why the constraint would reject this service as deployed today; null when it would not. */
function rejection(id: ConstraintId, s: DeployedService, options: ProposeOptions): string | null {
  switch (id) {
    case 'run.allowedIngress':
      return s.ingress === 'INGRESS_TRAFFIC_ALL'
        ? 'ingress is all traffic: its next deployment or update would be refused'
        : null;
    case 'run.allowedBinaryAuthorizationPolicies': {
      const b = s.binaryAuthorization;
      if (b.useDefault) return null;
      return b.policy
        ? `uses Binary Authorization policy ${b.policy}, not the default: its next deployment would be refused`
        : 'Binary Authorization is off: its next deployment would be refused';
    }
    case 'iam.allowedPolicyMemberDomains': {
      const outside = (s.grants ?? []).filter((g) => outsideMember(g.slice(0, g.lastIndexOf('@')), options));
      return outside.length > 0
        ? `its IAM policy grants ${outside.join(', ')}: no IAM change to it that keeps them would be accepted ` +
            '(the constraint is not retroactive: the grant itself stays)'
        : null;
    }
  }
}

/** A member the domain restriction refuses: public, a consumer account, or a domain the organisation does not own. */
export function outsideMember(member: string, options: Pick<ProposeOptions, 'allowedDomains'>): boolean {
  if (PUBLIC.has(member)) return true;
  const m = /^(user|group|domain):(.+)$/.exec(member);
  if (!m) return false;
  const domain = (m[1] === 'domain' ? m[2]! : m[2]!.slice(m[2]!.lastIndexOf('@') + 1)).toLowerCase();
  if (CONSUMER.has(domain)) return true;
  return options.allowedDomains.length > 0 && !options.allowedDomains.some((d) => d.toLowerCase() === domain);
}
