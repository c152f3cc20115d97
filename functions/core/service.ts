import type { Actor, BinauthzPolicy, OrgPolicy, Policy, RunService } from './types.js';

/** A Cloud Run service with every field at its proto3 zero value: the base every normalized service starts from. */
export function emptyService(name = ''): RunService {
  return {
    name,
    uid: '',
    generation: '',
    labels: {},
    annotations: {},
    creator: '',
    lastModifier: '',
    client: '',
    ingress: 'INGRESS_TRAFFIC_UNSPECIFIED',
    launchStage: '',
    invokerIamDisabled: false,
    defaultUriDisabled: false,
    binaryAuthorization: { useDefault: false, policy: '', breakglassJustification: '' },
    template: { revision: '', labels: {}, annotations: {}, serviceAccount: '', containers: [] },
    uri: '',
    etag: '',
  };
}

export function emptyPolicy(): Policy {
  return { bindings: [], etag: '' };
}

/** An organization policy with every field at its zero value: what a deletion leaves, and the base of rule examples. */
export function emptyOrgPolicy(name = ''): OrgPolicy {
  return {
    name,
    constraint: '',
    parent: '',
    deleted: false,
    reset: false,
    inheritFromParent: false,
    rules: [],
    allowAll: false,
    allowedValues: [],
    source: 'none',
  };
}

/** A Binary Authorization policy with every field at its proto3 zero value. */
export function emptyBinauthzPolicy(name = ''): BinauthzPolicy {
  return {
    name,
    defaultAdmissionRule: {
      evaluationMode: 'EVALUATION_MODE_UNSPECIFIED',
      enforcementMode: 'ENFORCEMENT_MODE_UNSPECIFIED',
      requireAttestationsBy: [],
    },
    globalPolicyEvaluationMode: 'GLOBAL_POLICY_EVALUATION_MODE_UNSPECIFIED',
    admissionWhitelistPatterns: [],
    source: 'none',
  };
}

/** projects/p/locations/l/services/s → p/l/s: where, for a person, without the API's path. Other names unchanged. */
export function shortServiceName(resource: string): string {
  const m = /^projects\/([^/]+)\/locations\/([^/]+)\/services\/([^/]+)$/.exec(resource);
  return m ? `${m[1]}/${m[2]}/${m[3]}` : resource;
}

/** Nobody known: the actor of a state that no change event stands behind (a sweep finding, a rule's example). */
export function unknownActor(): Actor {
  return { caller: '', email: '', subject: '', delegation: [], ip: '', userAgent: '', tool: 'unknown', toolDetail: '' };
}
