// Google principals as the two-person rule compares them. Pure.
//
// A change's principal chain is every identity the audit entry names for it: each hop of the
// delegation chain, principalEmail and principalSubject (an engineer impersonating a deployer
// service account appears as a hop). Principals are compared in one canonical form: lower case,
// without the IAM member prefixes `user:` and `serviceAccount:`. Lower-casing a workforce subject
// can only make two principals meet that differ by case, so the rule refuses more, never less.

/** The canonical form of a principal: trimmed, lower case, `user:` / `serviceAccount:` prefix removed. */
export function canonicalPrincipal(p: string): string {
  return p
    .trim()
    .replace(/^(user|serviceaccount):/i, '')
    .toLowerCase();
}

/**
 * The change's principal chain, canonical, without blanks or repeats, in the order the call went:
 * the delegation hops (the original caller first), then the account it ended as (e-mail, subject).
 * Without delegation the e-mail comes first: it is the caller. So the first element is who made the
 * change, which is what a breakglass record names as its requester.
 */
export function principalChain(actor: { email: string; subject: string; delegation: readonly string[] }): string[] {
  const chain = [...actor.delegation, actor.email, actor.subject].map(canonicalPrincipal).filter((p) => p !== '');
  return [...new Set(chain)];
}

/** A service account (any `…gserviceaccount.com` address, Google-managed agents included). */
export function isServiceAccount(p: string): boolean {
  return /@[^@\s]*gserviceaccount\.com$/.test(canonicalPrincipal(p));
}

/**
 * A workforce or workload identity principal (`principal://…`); a `principalSet://` names many and is never one person.
 */
export function isFederatedPrincipal(p: string): boolean {
  return canonicalPrincipal(p).startsWith('principal://');
}

/** A workforce identity pool subject: a person signed in through the company's identity provider. */
export function isWorkforcePrincipal(p: string): boolean {
  return /^principal:\/\/iam\.googleapis\.com\/locations\/[^/]+\/workforcepools\//.test(canonicalPrincipal(p));
}

/**
 * True when the principal is, by its form, one person: a user account's e-mail or a workforce
 * identity. A service account, a workload identity, a `principalSet://` and anything else are not.
 */
export function isPersonPrincipal(p: string): boolean {
  const c = canonicalPrincipal(p);
  if (isWorkforcePrincipal(c)) return true;
  return /^[^@\s:/]+@[^@\s/]+\.[^@\s/]+$/.test(c) && !isServiceAccount(c);
}
