import type { CompiledExemption, Config } from '../config/load.js';
import { projectMode } from '../config/resolve.js';
import { decide } from '../decisions/decide.js';
import { normalize } from '../events/normalize.js';
import type { CompiledRule } from '../rules/compile.js';
import { evaluateRules } from '../rules/evaluate.js';
import type { ChangeEvent, Decision, DecodedEntry, ProjectMode, Skip } from '../core/types.js';

// decode → normalize → skip → evaluate → decide, for one entry, as a value. The same function
// serves the CLI, the Cloud Function, the reconcile sweep and the tests; I/O stays outside.

export interface Core {
  rules: readonly CompiledRule[];
  config: Config;
  /** Breakglass exemptions from the state store, on top of the configuration's own. */
  exemptions?: readonly CompiledExemption[];
  now: number;
}

export interface EntryResult {
  index: number;
  insertId: string;
  messageId?: string;
  method: string;
  resource: string;
  project: string;
  actor: string;
  tool: string;
  timestamp: string;
  mode: ProjectMode | null;
  skipped: string | null;
  skipCode?: Skip['code'];
  findings: Decision[];
  /** Rules that failed to evaluate on this entry: reported, never treated as a pass. */
  ruleErrors: Array<{ rule: string; message: string }>;
  /** Set when the entry could not be decoded or normalized; then nothing else is meaningful. */
  error?: string;
  event?: ChangeEvent;
}

/** A normalized change ready to be judged, or the finished result (error, skip, project off). */
export type Prepared = { event: ChangeEvent; mode: ProjectMode; base: EntryBase } | { result: EntryResult };
type EntryBase = Pick<EntryResult, 'index' | 'messageId' | 'insertId' | 'method' | 'timestamp'>;

/** decode result → normalize → skip. The live path observes between this and `judge`. */
export function prepareEntry(decoded: DecodedEntry, core: Core): Prepared {
  const ids = { index: decoded.index, ...(decoded.messageId ? { messageId: decoded.messageId } : {}) };
  if (decoded.entry === undefined) return { result: failed(ids, '', decoded.error) };
  const entry = decoded.entry;
  const insertId = typeof entry.insertId === 'string' ? entry.insertId : '';
  const normalized = normalize(entry, { selfPrincipals: core.config.selfPrincipals });
  if ('error' in normalized) return { result: failed(ids, insertId, normalized.error) };

  const base = { ...ids, insertId, method: entry.protoPayload?.methodName ?? '', timestamp: entry.timestamp ?? '' };
  if ('skipped' in normalized) {
    // A skipped entry still says what and who, so an auditor can see what runguard let pass.
    const who = {
      resource: entry.protoPayload?.resourceName ?? '',
      project: entry.resource?.labels?.project_id ?? '',
      actor: entry.protoPayload?.authenticationInfo?.principalEmail ?? '',
      tool: '',
    };
    return {
      result: {
        ...base,
        ...who,
        mode: null,
        skipped: normalized.reason,
        skipCode: normalized.code,
        findings: [],
        ruleErrors: [],
      },
    };
  }
  const event = normalized;
  const mode = projectMode(core.config, event.resource.project, event.resource.name);
  if (mode === 'off') {
    const reason = `project ${event.resource.project || event.resource.name} is off in ${core.config.source}`;
    return {
      result: {
        ...base,
        ...identity(event),
        mode,
        skipped: reason,
        skipCode: 'project-off',
        findings: [],
        ruleErrors: [],
        event,
      },
    };
  }
  return { event, mode, base };
}

/** evaluate → decide for a prepared change (its state possibly replaced by what is live). */
export function judge(prepared: { event: ChangeEvent; mode: ProjectMode; base: EntryBase }, core: Core): EntryResult {
  const { event, mode, base } = prepared;
  const { findings, errors } = evaluateRules(event, core.rules, {
    overrides: core.config.overrides,
    settings: core.config.settings,
  });
  const exemptions = core.exemptions ? [...core.config.exemptions, ...core.exemptions] : core.config.exemptions;
  const ctx = { mode, dryRun: core.config.dryRun, exemptions, now: core.now };
  return {
    ...base,
    ...identity(event),
    mode,
    skipped: null,
    findings: findings.map((f) => decide(f, ctx)),
    ruleErrors: errors,
    event,
  };
}

export function evaluateEntry(decoded: DecodedEntry, core: Core): EntryResult {
  const prepared = prepareEntry(decoded, core);
  return 'result' in prepared ? prepared.result : judge(prepared, core);
}

function identity(event: ChangeEvent | null) {
  return {
    resource: event?.resource.name ?? '',
    project: event?.resource.project ?? '',
    actor: event?.actor.caller ?? '',
    tool: event?.actor.tool ?? '',
  };
}

function failed(ids: { index: number; messageId?: string }, insertId: string, error: string): EntryResult {
  return {
    ...ids,
    insertId,
    method: '',
    ...identity(null),
    timestamp: '',
    mode: null,
    skipped: null,
    findings: [],
    ruleErrors: [],
    error,
  };
}
