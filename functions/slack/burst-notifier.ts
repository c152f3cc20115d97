import { randomUUID } from 'node:crypto';
import { type SlackRouting, slackChannel } from '../config/resolve.js';
import { NotifyError, TransientError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Alert, Notifier, SweepSummary } from '../core/notify.js';
import type { DigestStore } from '../state/digest.js';
import {
  arrive,
  type BurstSettings,
  DEFAULT_BURST,
  finishDrain,
  findingId,
  finishRender,
  releaseDrain,
  releaseRender,
  startDrain,
  startRender,
  threadOf,
} from './burst.js';
import { type SlackApi, toNotifyError } from './notifier.js';
import { renderAlert } from './render.js';
import { renderDigest } from './render-digest.js';

// Burst mode around the per-alert notifier. An invocation returns once its finding is visible in
// Slack: alone when arrivals are slow, or counted in the channel's digest (posted or updated by
// whichever instance holds the digest's short lease). The findings' own alerts are queued in the
// store and posted in the digest's thread at Slack's pace by whichever invocation holds the
// channel's drain lease; the others do not wait for them. See docs/design.md, "Bursts in Slack".

export interface BurstOptions {
  settings?: Partial<BurstSettings>;
  /** This instance, in lease holders (each invocation adds its own id). */
  instance?: string;
  /** How long one invocation drains details before leaving the rest to the next one (default 240 s). */
  drainBudgetMs?: number;
  /** How long an invocation waits for its finding to be shown before giving up (redelivery; default 60 s). */
  showDeadlineMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface BurstNotifier extends Notifier {
  /** Posts queued details of every channel with a backlog (the sweep calls it: a stalled queue resumes). */
  resume(): Promise<void>;
}

export function burstNotifier(
  inner: Notifier,
  api: SlackApi,
  routing: SlackRouting,
  store: DigestStore,
  log: Logger,
  now: () => number,
  opts: BurstOptions = {},
): BurstNotifier {
  const s: BurstSettings = { ...DEFAULT_BURST, ...opts.settings };
  const instance = opts.instance ?? randomUUID().slice(0, 8);
  // Per invocation: two invocations of one instance must not both think they hold a lease.
  const holder = (): string => `${instance}:${randomUUID()}`;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const drainBudgetMs = opts.drainBudgetMs ?? 240_000;
  const showDeadlineMs = opts.showDeadlineMs ?? 60_000;
  // A little slower than the limit: at exactly its rate any jitter meets a 429 and a whole-second Retry-After.
  const gap = Math.ceil(1050 / s.perSecond);

  const degrade = (alert: Alert, e: unknown, step: string): Promise<void> => {
    log({
      severity: 'WARNING',
      message: `burst state unavailable (${step}: ${(e as Error)?.message ?? String(e)}): alert sent on its own`,
      event: 'digest-unavailable',
    });
    return inner.notify(alert);
  };

  async function notify(alert: Alert): Promise<void> {
    const channel = slackChannel(routing, alert.verdict.decision.finding.severity, alert.change.project);
    const id = findingId(alert);
    let arrival: Awaited<ReturnType<typeof count>>;
    try {
      arrival = await count(channel, id, alert);
    } catch (e) {
      return degrade(alert, e, 'count');
    }
    if (arrival.kind === 'single') return inner.notify(alert);
    try {
      await show(channel, arrival.digestId, arrival.version);
    } catch (e) {
      if (e instanceof NotifyError) throw e;
      // Counted, but whether Slack shows it is unknown: it goes out alone too (a duplicate, never a loss).
      return degrade(alert, e, 'show');
    }
    await drain(channel).catch((e: unknown) =>
      log({
        severity: 'WARNING',
        message:
          `digest details for ${channel} paused: ${(e as Error)?.message ?? String(e)}; ` +
          'the next alert or the sweep resumes them',
        event: 'digest-drain-paused',
        channel,
      }),
    );
  }

  function count(channel: string, id: string, alert: Alert) {
    const newDigestId = randomUUID();
    // The arrival's own time: a commit retried behind other instances' must not look like a later, slower arrival.
    const at = now();
    return store.update(
      channel,
      id,
      (state, mark) => arrive(state, mark, { channel, id, alert, now: at, newDigestId }, s),
      at,
    );
  }

  /** Returns when Slack shows `version` of the digest (or a later one). */
  async function show(channel: string, digestId: string, version: number): Promise<void> {
    const me = holder();
    const deadline = now() + showDeadlineMs;
    for (;;) {
      if (now() > deadline) throw new NotifyError(`digest for ${channel} not shown in ${showDeadlineMs} ms`, true);
      // A plain read first: most waiters see someone else at work and need no transaction.
      const seen = await store.read(channel);
      const peek = startRender(seen, digestId, version, me, now(), s).result;
      if (peek.kind === 'shown') return;
      if (peek.kind === 'wait') {
        await sleep(Math.max(20, peek.ms));
        continue;
      }
      const step = await store.update(channel, null, (st) => startRender(st, digestId, version, me, now(), s), now());
      if (step.kind === 'shown') return;
      if (step.kind === 'wait') {
        await sleep(Math.max(20, step.ms));
        continue;
      }
      const message = renderDigest({ agg: step.digest.agg });
      let ts: string;
      try {
        const known = step.digest.ts ?? (await store.message(channel, digestId));
        const posted = await post(channel, known, message);
        ts = known ?? (await store.claimMessage(channel, digestId, posted, now()));
        if (ts !== posted) {
          log({
            severity: 'WARNING',
            message: `a second digest message was posted in ${channel} (a lease lapsed mid-post): ${posted}`,
            event: 'digest-duplicate',
            channel,
            ts: posted,
          });
          await post(channel, ts, message);
        }
      } catch (e) {
        await store.update(channel, null, (st) => releaseRender(st, me), now()).catch(() => {});
        throw e instanceof TransientError ? e : toNotifyError(e);
      }
      await store.update(channel, null, (st) => finishRender(st, digestId, step.version, ts, me, now()), now());
    }
  }

  async function post(channel: string, ts: string | null, m: { text: string; blocks: unknown[] }): Promise<string> {
    if (ts) {
      await api.chat.update({ channel, ts, ...m });
      return ts;
    }
    const res = await api.chat.postMessage({ channel, ...m, unfurl_links: false, unfurl_media: false });
    if (!res.ts) throw new NotifyError('Slack answered the digest without a ts', true);
    return res.ts;
  }

  /** Posts the channel's queued details while this invocation holds the drain lease and has time. */
  async function drain(channel: string, until = now() + drainBudgetMs): Promise<void> {
    const me = holder();
    let emptied = false;
    try {
      while (now() < until) {
        const seen = await store.read(channel);
        const peek = startDrain(seen, me, now(), s).result;
        if (peek.kind === 'busy') return;
        if (peek.kind === 'idle') {
          emptied = seen?.drain?.holder === me;
          break;
        }
        const step = await store.update(channel, null, (st) => startDrain(st, me, now(), s), now());
        if (step.kind !== 'post') return;
        const started = now();
        await postDetail(channel, step.seq);
        const moved = await store.update(channel, null, (st) => finishDrain(st, step.seq, me, now(), s), now());
        if (!moved) return;
        await sleep(Math.max(0, gap - (now() - started)));
      }
    } finally {
      await store.update(channel, null, (st) => releaseDrain(st, me), now()).catch(() => {});
    }
    // A finding counted while this holder was letting go found the lease taken and left its detail
    // to it: look once more after letting go.
    if (!emptied) return;
    const after = await store.read(channel);
    if (after && after.cursor < after.seq && startDrain(after, me, now(), s).result.kind === 'post')
      await drain(channel, until);
  }

  async function postDetail(channel: string, seq: number): Promise<void> {
    const detail = await store.detail(channel, seq);
    if (!detail) {
      // Written in the same transaction as the counter: absent only if it expired (TTL) long after.
      log({
        severity: 'WARNING',
        message: `digest detail ${seq} of ${channel} missing`,
        event: 'digest-detail-missing',
      });
      return;
    }
    const alert = JSON.parse(detail.alert) as Alert;
    const state = await store.read(channel);
    const threadTs =
      (state ? threadOf(state, detail.digestId) : null) ?? (await store.message(channel, detail.digestId));
    if (threadTs === null && state?.open?.id === detail.digestId)
      throw new TransientError('the digest is not posted yet');
    try {
      // A digest whose message is unknown (never posted) cannot thread its details: they go out alone.
      await api.chat.postMessage({
        channel,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...renderAlert(alert),
        unfurl_links: false,
        unfurl_media: false,
      });
    } catch (e) {
      const err = toNotifyError(e);
      if (err.transient) throw err;
      // For good: the self-watch path pages someone, and the queue goes on.
      log({
        severity: 'ERROR',
        message: `alert not delivered to Slack (digest thread in ${channel}): ${err.message}`,
        event: 'alert-undelivered',
        channel,
        findingKey: alert.verdict.decision.finding.key,
        resource: alert.verdict.decision.finding.resource,
        insertId: alert.change.insertId,
      });
    }
  }

  return {
    notify,
    summarize: (summary: SweepSummary) => inner.summarize(summary),
    async resume() {
      for (const channel of await store.backlog()) await drain(channel);
    },
  };
}
