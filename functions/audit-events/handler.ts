import { judge, prepareEntry } from '../enforcement/pipeline.js';
import type { ChangeEvent } from '../core/types.js';
import { compileExactExemption } from '../decisions/exemptions.js';
import { decodeItem } from '../events/decode.js';
import { evaluateRules } from '../rules/evaluate.js';
import type { Progress } from '../state/types.js';
import { act } from '../enforcement/act.js';
import { attribute, type Prefetched, rememberVerdicts } from '../enforcement/attribution.js';
import { BreakglassCache } from '../enforcement/breakglass-cache.js';
import { BufferedLedger } from '../enforcement/ledger.js';
import { claimLeaseMs, type LiveDeps } from '../enforcement/deps.js';
import { ruleText } from '../enforcement/rule-text.js';
import { describeError, isTransient, TransientError } from '../core/errors.js';
import type { Notifier } from '../core/notify.js';
import { principalChain } from '../core/principals.js';
import { findingKey } from '../core/subject.js';
import { observe } from '../enforcement/observe.js';
import { recordDecision, recordEntry } from '../enforcement/record.js';
import { decisionRecord } from '../history/from-verdict.js';
import { handleRevertRequest, revertRequestMessage } from './revert-request.js';
import type { Verdict } from '../core/verdict.js';

export type HandleStatus = 'malformed' | 'skipped' | 'duplicate' | 'gone' | 'handled' | 'failed';
export interface HandleResult {
  status: HandleStatus;
  verdicts: Verdict[];
}

/** The claim's lease when the deployment does not say (see `claimLeaseMs`). */
const DEFAULT_LEASE_MS = claimLeaseMs(undefined);

/**
 * decode → normalize → skip → claim → observe → evaluate → decide → act → notify → record, for one
 * CloudEvent. Returns normally for everything that a redelivery would not change (malformed input
 * included: logged with its id and reason); throws only what is worth a redelivery.
 */
export async function handleAuditEvent(
  cloudEvent: { id?: string; data?: unknown },
  deps: LiveDeps,
): Promise<HandleResult> {
  // A person's "Revert now", passed on by slackInteractions (revert-request.ts).
  const revert = revertRequestMessage(cloudEvent.data);
  if (revert) return handleRevertRequest(revert, deps);
  const decoded = decodeItem(cloudEvent.data ?? null);
  if (!decoded.messageId && cloudEvent.id) decoded.messageId = cloudEvent.id;
  const now = deps.now();
  const core = { rules: deps.rules, config: deps.config, now };
  const prepared = prepareEntry(decoded, core);
  if ('result' in prepared) {
    recordEntry(deps.log, prepared.result);
    return { status: prepared.result.error !== undefined ? 'malformed' : 'skipped', verdicts: [] };
  }

  // observe() reads a Cloud Run service live, and the Run client takes ~0.3 s to load: it starts now,
  // so that its module loading fills the waits of evaluating and claiming the entry, not after them.
  if (prepared.event.resource.type === 'run.googleapis.com/Service') deps.getRun().catch(() => undefined);
  const keys = claimKeys(prepared.event);
  const leaseMs = deps.claimLeaseMs ?? DEFAULT_LEASE_MS;
  const id = { insertId: prepared.base.insertId, messageId: prepared.base.messageId };
  // The state store is a help, not a gate: when it cannot be reached the entry is still judged,
  // reverted and alerted (etag-guarded writes are idempotent), and the alert says what was not known.
  const degraded: string[] = [];
  const unreachable = (what: string) => (e: unknown) => {
    deps.log({
      severity: 'ERROR',
      message: `state store unreachable (${what}) for ${id.insertId}; enforcing without it: ${describeError(e)}`,
      event: 'state-unavailable',
      ...id,
      operation: what,
    });
    if (!degraded.includes(DUPLICATE_POSSIBLE)) degraded.push(DUPLICATE_POSSIBLE);
    return null;
  };

  // Everything this entry needs from outside is asked at once: the claim (one create-if-absent
  // commit), the live service and policy, the breakglass exemptions and the fight state of every
  // finding that could be reverted. A duplicate or busy entry wastes a few reads; every other one
  // saves their round trips.
  const resource = prepared.event.resource.name;
  // A finding's key names its subject (member@role, field=value), which the entry's own state tells:
  // what this change asked for is what will most often be found live.
  const named = evaluateRules(prepared.event, deps.rules, {
    overrides: deps.config.overrides,
    settings: deps.config.settings,
  }).findings;
  const entryKeys = new Set(named.map((f) => f.key));
  const own = named.filter((f) => f.remediation);
  const candidates = [
    ...new Set([
      ...deps.rules
        .filter((r) => r.remediation && r.appliesTo.has(prepared.event.resource.type))
        .map((r) => findingKey(r.id, resource)),
      ...own.map((f) => f.key),
    ]),
  ];
  const claiming = deps.state.claim(keys, now, leaseMs).catch(unreachable('claim'));
  // What was already alerted about the findings the entry names: attribution needs it for an entry
  // that re-sends the whole state (a policy without a delta, a v1 ReplaceService).
  const marking: Promise<Prefetched | null> =
    named.length === 0
      ? Promise.resolve(null)
      : Promise.all([
          deps.state.sweepMarks([...entryKeys]),
          deps.state.lastSweep(prepared.event.resource.project),
        ]).then(
          ([marks, previous]) => ({ marks, previous }),
          () => null,
        );
  const observing = observe(prepared.event, deps.getRun);
  const cache = deps.breakglass ?? NO_CACHE;
  const exempting = cache.read(deps.state, resource, now);
  const fights = deps.state
    .findingStates(candidates, now, deps.fightDetection.windowMs)
    .catch(unreachable('fights and reverts'));
  // Nothing is left unobserved when this delivery ends early (a rejection is seen where it is awaited).
  observing.catch(() => undefined);
  marking.catch(() => undefined);
  const claim = await claiming;
  if (claim?.status === 'duplicate') {
    deps.log({
      severity: 'INFO',
      message: `duplicate delivery of ${prepared.base.insertId}: already handled`,
      event: 'duplicate',
      ...id,
    });
    return { status: 'duplicate', verdicts: [] };
  }
  if (claim?.status === 'busy')
    throw new TransientError(`entry ${prepared.base.insertId} is being handled by another delivery`);

  const progress: Progress = claim?.progress ?? { verdicts: [], notified: [] };
  const verdicts = new Map(progress.verdicts.map((v) => [v.decision.finding.key, v]));
  let token: string | null = claim?.token ?? null;
  const stale = (): HandleResult => {
    deps.log({
      severity: 'WARNING',
      message: `${prepared.base.insertId}: another delivery took the claim over; this one stops without alerting`,
      event: 'claim-lost',
      ...id,
      done: [...verdicts.keys()],
    });
    return { status: 'duplicate', verdicts: [...verdicts.values()] };
  };
  // Once the claim could not be made, the store is not asked again in this delivery: each call would
  // wait out its deadline. The entry is then not recorded, and a redelivery judges it again.
  const storeDown = claim === null;
  /** A fenced write: null when another delivery holds the claim; undefined when the store could not be reached. */
  const fenced = async (what: string, write: () => Promise<string | null>) =>
    storeDown ? undefined : write().catch((e: unknown) => unreachable(what)(e) ?? undefined);
  try {
    const { event, observation, live } = await observing;
    if (observation.source === 'gone' && verdicts.size === 0) {
      recordEntry(deps.log, { ...judge(prepared, { ...core, rules: [] }), skipped: observation.note });
      await fenced('complete', () => deps.state.complete(keys, token, deps.now()));
      return { status: 'gone', verdicts: [] };
    }
    // Breakglass acknowledgements from Slack sit beside the configuration's reviewed exemptions,
    // which always apply.
    const breakglass = await exempting;
    if (breakglass.unread) degraded.unshift(breakglass.unread);
    // Judged on the live state; attributed from the entry's own state, its mask and its delta (and,
    // while the store answers, the marks of what was already alerted).
    const judged = judge(
      { ...prepared, event },
      { ...core, exemptions: breakglass.exemptions.map(compileExactExemption) },
    );
    const { result, quiet, marks } = await attribute(
      judged,
      prepared.event,
      entryKeys,
      storeDown ? offline(deps) : deps,
      (await marking) ?? undefined,
    );
    for (const e of result.ruleErrors)
      deps.log({
        severity: 'ERROR',
        message: `rule ${e.rule} failed on ${result.insertId}: ${e.message}`,
        event: 'rule-error',
        rule: e.rule,
        insertId: result.insertId,
      });
    const states = await fights;
    // A rule's key outside the candidates (none today) is read on its own.
    const missing = result.findings
      .filter((d) => d.action === 'revert' && states !== null && !states.has(d.finding.key))
      .map((d) => d.finding.key);
    if (states && missing.length > 0)
      for (const [k, v] of await deps.state
        .findingStates(missing, now, deps.fightDetection.windowMs)
        .catch(() => new Map()))
        states.set(k, v);
    const ledger = new BufferedLedger(states);
    // Each revert starts from what was observed, and the next one on the service from what it left.
    const start = { ...live };
    // A redelivery keeps what the failed delivery already did: no second revert, no second alert.
    const source = { foundBy: 'event' as const, event, method: result.method, timestamp: result.timestamp };
    for (const decision of result.findings) {
      if (verdicts.has(decision.finding.key)) continue;
      const verdict = await act(decision, event, deps, now, { ledger, start });
      verdicts.set(decision.finding.key, verdict);
      // History goes with the checkpoint, in its commit: no round trip of its own. A verdict a failed
      // delivery saved was recorded with that delivery's checkpoint.
      (ledger.writes.decisions ??= []).push(decisionRecord(verdict, source, now));
    }
    // Fenced: what was done is saved (with the reverts it counts) before alerting, and only while
    // this delivery still holds the claim; one that was taken over stops here, so no second alert.
    if (verdicts.size > progress.verdicts.length) {
      const saved = { verdicts: [...verdicts.values()], notified: progress.notified };
      const next = await fenced('checkpoint', () =>
        deps.state.checkpoint(keys, token, { now: deps.now(), leaseMs, progress: saved }, ledger.writes),
      );
      if (next === null) return stale();
      if (next !== undefined) token = next;
    }
    const change = alertChange(result, event);
    for (const [key, verdict] of verdicts) {
      if (progress.notified.includes(key) || quiet.has(key)) continue;
      const said =
        degraded.length > 0 ? { ...verdict, summary: `${verdict.summary}. ${degraded.join('; ')}` } : verdict;
      await notifyOnce(deps, {
        change,
        verdict: said,
        observation,
        rule: ruleText(deps.rules, verdict.decision.finding.rule, event),
      });
      progress.notified.push(key);
    }
    // The marks are written beside the completion, not before it: one round trip for both.
    const remembering = storeDown ? undefined : rememberVerdicts(deps, verdicts.values(), marks, now);
    for (const verdict of verdicts.values())
      recordDecision(deps.log, result, verdict, observation, quiet.has(verdict.decision.finding.key));
    if (verdicts.size === 0) recordEntry(deps.log, result);
    const [completed] = await Promise.all([
      fenced('complete', () => deps.state.complete(keys, token, deps.now())),
      remembering,
    ]);
    if (completed === null) return stale();
    return { status: 'handled', verdicts: [...verdicts.values()] };
  } catch (e) {
    if (!isTransient(e)) return permanentFailure(deps, keys, token, prepared.base.insertId, e, [...verdicts.values()]);
    await fenced('release', () =>
      deps.state.release(keys, token, { verdicts: [...verdicts.values()], notified: progress.notified }),
    );
    deps.log({
      severity: 'WARNING',
      message: `transient failure on ${prepared.base.insertId}, Pub/Sub will redeliver: ${describeError(e)}`,
      event: 'transient',
      ...id,
      done: [...verdicts.keys()],
    });
    throw e;
  }
}

/** The marks are not asked for once the store is known to be down: attribution then uses the entry alone. */
function offline(deps: LiveDeps): LiveDeps {
  const down = () => Promise.reject(new Error('the state store could not be reached for the claim'));
  // Only the two reads are replaced: attribution asks for nothing else.
  const state = Object.create(deps.state, { sweepMarks: { value: down }, lastSweep: { value: down } });
  return { ...deps, state };
}

const DUPLICATE_POSSIBLE = 'runguard could not record this entry, so a duplicate alert is possible';
/** No cache: every read goes to the store (tests, and deps built without one). */
const NO_CACHE = new BreakglassCache(0);

// An alert that can never be delivered (channel_not_found, a revoked token) is logged loudly and
// does not undo or block what was done; one worth retrying is thrown.
async function notifyOnce(deps: LiveDeps, alert: Parameters<Notifier['notify']>[0]): Promise<void> {
  try {
    await deps.notifier.notify(alert);
  } catch (e) {
    if (isTransient(e)) throw e;
    const f = alert.verdict.decision.finding;
    deps.log({
      severity: 'ERROR',
      message: `alert for ${f.rule} on ${f.resource} NOT DELIVERED: ${describeError(e)}`,
      event: 'alert-undelivered',
      insertId: alert.change.insertId,
      findingKey: f.key,
      done: alert.verdict.done,
      summary: alert.verdict.summary,
    });
  }
}

// A bug or a permanent error must not spin in redelivery: say everything we know, loudly, and acknowledge.
async function permanentFailure(
  deps: LiveDeps,
  keys: string[],
  token: string | null,
  insertId: string,
  e: unknown,
  verdicts: Verdict[],
): Promise<HandleResult> {
  deps.log({
    severity: 'ERROR',
    message: `could not handle ${insertId}: ${describeError(e)}`,
    event: 'failed',
    insertId,
    verdicts: verdicts.map((v) => ({ key: v.decision.finding.key, done: v.done, summary: v.summary })),
    stack: e instanceof Error ? e.stack : undefined,
  });
  await deps.state.complete(keys, token, deps.now()).catch(() => undefined);
  return { status: 'failed', verdicts };
}

/** insertId for every entry, and the operation id for long-running operations (whose entries come in pairs). */
export function claimKeys(event: ChangeEvent): string[] {
  const keys = [`entry:${event.logName}:${event.insertId}`];
  if (event.operation?.id) keys.push(`operation:${event.operation.id}`);
  return keys;
}

function alertChange(
  result: { insertId: string; messageId?: string; method: string; timestamp: string },
  event: ChangeEvent,
) {
  return {
    insertId: result.insertId,
    ...(result.messageId ? { messageId: result.messageId } : {}),
    method: result.method,
    timestamp: result.timestamp,
    resource: event.resource.name,
    project: event.resource.project,
    location: event.resource.location,
    actor: event.actor.caller,
    principals: principalChain(event.actor),
    tool: event.actor.tool,
    toolDetail: event.actor.toolDetail,
  };
}
