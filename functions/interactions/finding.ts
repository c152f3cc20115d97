import { type Config, projectMode } from '../config/resolve.js';
import { parseFindingKey, parseSubject } from '../core/subject.js';
import type { ProjectMode } from '../core/types.js';
import type { CompiledRule } from '../rules/compile.js';
import type { ActionValue } from '../slack/render-actions.js';

// The finding a button is about, from its key `${rule}|${resource}` or `${rule}|${resource}|${subject}`, checked
// against what runguard
// knows now: the rule must still exist, the resource must be a full resource name. Pure.

export interface FindingRef {
  key: string;
  rule: CompiledRule;
  resource: string;
  /** member@role or field=value; '' when the finding is about the rule on the whole resource. */
  subject: string;
  project: string;
  mode: ProjectMode;
}

const RESOURCE = /^(projects|folders|organizations)\/[^\s|]+$/;

export function resolveFinding(
  value: Pick<ActionValue, 'key' | 'keyHash'>,
  rules: readonly CompiledRule[],
  config: Config,
): FindingRef | { error: string } {
  // A hashed key is a prefix of a key longer than a button holds: it cannot name the resource exactly.
  if (value.keyHash !== undefined)
    return {
      error: 'this finding’s key is too long to act on from Slack; add an exemption to the configuration instead',
    };
  const { rule: ruleId, resource, subject } = parseFindingKey(value.key);
  if (!ruleId || !RESOURCE.test(resource) || (subject !== null && parseSubject(subject) === null))
    return { error: 'the button does not name a finding runguard understands' };
  const rule = rules.find((r) => r.id === ruleId);
  if (!rule) return { error: `rule ${ruleId} is not loaded any more` };
  const project = /^projects\/([^/]+)/.exec(resource)?.[1] ?? '';
  return {
    key: value.key,
    rule,
    resource,
    subject: subject ?? '',
    project,
    mode: projectMode(config, project, resource),
  };
}
