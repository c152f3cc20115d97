import { shortServiceName } from '../core/service.js';
import { CUSTOMER_ID_PLACEHOLDER } from './constraints.js';
import type { Evidence, ExceptionNeeded, Proposal, Recommendation } from './propose.js';
import { renderPolicyYaml, setPolicyCommand } from './render-yaml.js';
import { renderTerraform } from './render-terraform.js';

// `runguard recommend` for a person: each proposal with its evidence, what it would break, the
// exemptions that would need an exception, and the policy to apply. Pure.

const day = (iso: string): string => iso.slice(0, 10);
const counts = (m: Record<string, number>): string =>
  Object.entries(m)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([k, n]) => `${n} ${DONE_WORDS[k] ?? k}`)
    .join(', ');

/** One or two sentences: how many findings, of what, by whom, when. */
export function evidenceSentence(e: Evidence): string {
  const who =
    e.actors.length === 0
      ? 'found by the sweep (no actor)'
      : `by ${e.actors.length} actor(s): ${e.actors.map((a) => `${a.actor} (${a.count})`).join(', ')}`;
  return (
    `${e.findings} finding(s) of ${Object.keys(e.byRule).join(', ')} on ${e.resources} resource(s) in ` +
    `${e.projects.join(', ')} between ${day(e.first)} and ${day(e.last)} (${counts(e.byDone)}), ${who}.`
  );
}

/** How a standing exemption can live on under the constraint. */
export function exceptionAdvice(x: ExceptionNeeded, p: Proposal): string {
  const org = p.organization?.replace('organizations/', '') ?? 'ORG_ID';
  const tag =
    `a second rule in this policy with allowAll: true and condition.expression ` +
    `"resource.matchTag('${org}/runguard-exception', '${p.constraint.replace('.', '-')}')", ` +
    "with that tag bound to the exempt resource's project (or to the resource itself, where it takes tags)";
  const projects = x.projects.map((id) => `projects/${id}`).filter((n) => n !== p.parent);
  const how =
    projects.length > 0
      ? `either a policy on ${projects.join(', ')} that overrides ${p.parent}'s (spec.inheritFromParent: false, ` +
        `rules: [allowAll: true]; the whole project is then unguarded), or, narrower, ${tag}`
      : `the policy sits on ${p.parent} itself, so ${tag}`;
  const temporary =
    x.source === 'breakglass'
      ? ` This is a breakglass until ${x.expires}: an exception does not expire by itself, so remove it then.`
      : '';
  return `needs a constraint exception: ${how}.${temporary}`;
}

const DONE_WORDS: Record<string, string> = { 'dry-run': 'would revert' };

const indent = (text: string, by: string): string =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');

function proposalText(p: Proposal, n: number): string {
  const out = [
    `${n}. ${p.constraintName} on ${p.parent}`,
    `   stops: ${p.stops} (${p.doc})`,
    `   evidence: ${evidenceSentence(p.evidence)}`,
  ];
  if (p.breaks.length === 0) out.push('   would break today: nothing deployed under it.');
  else {
    out.push(`   would break today (${p.breaks.length} service(s)):`);
    for (const b of p.breaks)
      out.push(`     - ${shortServiceName(b.service)}: ${b.why}${b.exemptBy ? `; exempt today by ${b.exemptBy}` : ''}`);
  }
  if (p.exceptions.length > 0) {
    out.push('   exemptions that would need a constraint exception instead:');
    for (const x of p.exceptions) {
      out.push(
        `     - ${x.source} ${x.ref}: ${x.rule} on ${x.resource}, approved by ${x.approvedBy} until ${x.expires}: ` +
          `"${x.reason.replace(/\s+/g, ' ')}"`,
        indent(exceptionAdvice(x, p), '       '),
      );
    }
  }
  if (p.needsCustomerId)
    out.push(
      `   FILL IN: ${CUSTOMER_ID_PLACEHOLDER} stands for your organisation's customer ID, which runguard does not ` +
        'know (--customer-id C0…); the policy is refused until it is replaced.',
    );
  out.push(`   apply: ${setPolicyCommand(p)}`, '', indent(renderPolicyYaml(p), '     '), '');
  out.push(indent(renderTerraform(p), '     '));
  return out.join('\n');
}

export function renderText(r: Recommendation, source: string): string {
  const out = [
    `runguard recommend: ${r.since} → ${r.until}, from ${source}`,
    `threshold: a constraint is proposed at ≥ ${r.threshold.minFindings} findings or ≥ ${r.threshold.minActors} ` +
      'distinct actors in the period',
    '',
  ];
  if (r.proposals.length === 0) out.push('Nothing to propose.', '');
  for (const [i, p] of r.proposals.entries()) out.push(proposalText(p, i + 1), '');
  for (const b of r.belowThreshold)
    out.push(
      `Not proposed: constraints/${b.constraint}: ${b.findings} finding(s) by ${b.actors} actor(s), ` +
        'below the threshold.',
    );
  if (r.unplaced.length > 0)
    out.push(
      `Not placed: ${r.unplaced.join(', ')}: their folder or organisation could not be read from Resource Manager.`,
    );
  return `${out.join('\n').trimEnd()}\n`;
}
