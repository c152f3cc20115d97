import type { Actor, AuditLog, Tool } from '../core/types.js';
import { rec, str } from '../core/json.js';

// Who made the change and with what. Nothing here is trusted for access decisions (the user agent
// is caller-supplied); it tells the on-call person where to look, e.g. "Terraform will put it back".

interface ToolRule {
  tool: Tool;
  test: RegExp;
  /** Each pattern's first group, joined by a space, is the toolDetail. */
  detail: readonly RegExp[];
}

// First match wins, so wrappers come before what they wrap: Pulumi and Config Connector embed the
// Terraform provider, and Terraform's UA starts with google-api-go-client.
const TOOLS: readonly ToolRule[] = [
  { tool: 'gcloud', test: /google-cloud-sdk gcloud\//, detail: [/command\/(gcloud\.[^\s,]+)/] },
  { tool: 'pulumi', test: /pulumi/i, detail: [/(Pulumi\/[^\s,]+)/i, /(pulumi-gcp\/[^\s,]+)/i] },
  { tool: 'config-connector', test: /\b(?:cnrm|kcc)\b/i, detail: [/\b((?:cnrm|kcc)[^\s,]*)/i] },
  {
    tool: 'terraform',
    test: /Terraform\/|terraform-provider-google/,
    detail: [/(Terraform\/[^\s,]+)/, /(terraform-provider-google(?:-beta)?\/[^\s,]+)/],
  },
  { tool: 'console', test: /^Mozilla\//, detail: [] },
  {
    tool: 'client-library',
    test: new RegExp(
      String.raw`google-api-go-client|gl-node\/|gl-python\/|gl-java\/|gl-go\/|google-api-python-client|` +
        String.raw`google-api-java-client|google-api-nodejs-client|gcloud-golang|gax\/|grpc-`,
    ),
    detail: [
      new RegExp(
        '((?:google-api-go-client|gl-node|gl-python|gl-java|gl-go|google-api-python-client|' +
          String.raw`google-api-java-client|google-api-nodejs-client|gcloud-golang|gax|grpc-[a-z-]+)\/?[^\s,]*)`,
      ),
    ],
  },
];

const FIRST_TOKEN = /^([^\s,]+)/;

/** The tool a user agent reveals, and the detail worth showing (gcloud command, Terraform versions). */
export function toolOf(userAgent: string): { tool: Tool; toolDetail: string } {
  if (userAgent === '') return { tool: 'unknown', toolDetail: '' };
  for (const rule of TOOLS) {
    if (!rule.test.test(userAgent)) continue;
    const parts: string[] = [];
    for (const re of rule.detail) {
      const hit = re.exec(userAgent);
      if (hit?.[1]) parts.push(hit[1]);
    }
    return { tool: rule.tool, toolDetail: parts.join(' ') };
  }
  return { tool: 'other', toolDetail: FIRST_TOKEN.exec(userAgent)?.[1] ?? '' };
}

/** The delegation chain, first hop first; elements that name nobody are left out. */
function delegationOf(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  const chain: string[] = [];
  for (const item of v) {
    const hop = rec(item);
    if (!hop) continue;
    const who = str(rec(hop.firstPartyPrincipal)?.principalEmail) || str(hop.principalSubject);
    if (who) chain.push(who);
  }
  return chain;
}

/**
 * The original caller: who started the call, whatever accounts it went through. With a delegation
 * chain that is its first hop (serviceAccountDelegationInfo[0]: a firstPartyPrincipal e-mail, or a
 * federated principalSubject); a first hop that names nobody leaves it unknown (''), never the
 * account at the end of the chain. Without a chain it is principalEmail (else principalSubject).
 */
export function originalCallerOf(pp: AuditLog): string {
  const auth = rec(pp.authenticationInfo);
  const chain = auth?.serviceAccountDelegationInfo;
  if (Array.isArray(chain) && chain.length > 0) {
    const first = rec(chain[0]);
    return str(rec(first?.firstPartyPrincipal)?.principalEmail) || str(first?.principalSubject);
  }
  // A workforce identity may come with a subject and no e-mail: the subject is the same principal.
  return str(auth?.principalEmail) || str(auth?.principalSubject);
}

export function actorOf(pp: AuditLog): Actor {
  const auth = rec(pp.authenticationInfo);
  const meta = rec(pp.requestMetadata);
  const userAgent = str(meta?.callerSuppliedUserAgent);
  return {
    caller: originalCallerOf(pp),
    email: str(auth?.principalEmail),
    subject: str(auth?.principalSubject),
    delegation: delegationOf(auth?.serviceAccountDelegationInfo),
    ip: str(meta?.callerIp),
    userAgent,
    ...toolOf(userAgent),
  };
}
