import { createHash } from 'node:crypto';
import type { DocumentSnapshot, Firestore, Settings, WriteBatch, WriteResult } from '@google-cloud/firestore';
import { requireExternal } from '../clients/external.js';
import { type GaxOperationsModule, servicesOnlyGax } from '../clients/gax-services.js';
import { TransientError } from '../core/errors.js';
import { OutageBreaker } from './outage-breaker.js';

// Connection settings, error mapping and the optimistic write loop behind FirestoreStateStore.

export interface FirestoreConnectOptions {
  /** Defaults to the project of the environment (ADC), or `runguard-local` for the emulator. */
  projectId?: string;
  databaseId?: string;
  /** host:port of a Firestore emulator; defaults to FIRESTORE_EMULATOR_HOST. */
  emulatorHost?: string;
  /** Upper bound on one store call, retries included; past it the call fails with a TransientError. */
  deadlineMs?: number;
}

export const DEFAULT_DEADLINE_MS = 20_000;

/** The RPCs the store makes; each gets the deadline as its per-attempt and total retry timeout. */
const METHODS = ['BatchGetDocuments', 'Commit', 'RunQuery', 'GetDocument', 'BeginTransaction', 'Rollback'];

/**
 * Settings for `new Firestore(...)`. For the emulator: plain-text gRPC to the given host, the
 * emulator's owner token, and made-up credentials, so the client never looks for Application
 * Default Credentials (that lookup would probe the metadata server for the universe domain).
 */
export function firestoreSettings(opts: FirestoreConnectOptions = {}): Settings {
  const deadline = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const retryParams = {
    initial_retry_delay_millis: 100,
    retry_delay_multiplier: 1.3,
    max_retry_delay_millis: Math.min(deadline, 5_000),
    initial_rpc_timeout_millis: deadline,
    rpc_timeout_multiplier: 1,
    max_rpc_timeout_millis: deadline,
    total_timeout_millis: deadline,
  };
  const settings: Settings = {
    ignoreUndefinedProperties: true,
    clientConfig: {
      interfaces: {
        'google.firestore.v1.Firestore': {
          retry_params: { runguard: retryParams },
          methods: Object.fromEntries(
            METHODS.map((m) => [m, { timeout_millis: deadline, retry_params_name: 'runguard' }]),
          ),
        },
      },
    },
  };
  if (opts.projectId) settings.projectId = opts.projectId;
  if (opts.databaseId) settings.databaseId = opts.databaseId;
  const emulator = opts.emulatorHost ?? process.env.FIRESTORE_EMULATOR_HOST;
  if (!emulator) return settings;
  const url = new URL(`http://${emulator}`);
  return {
    ...settings,
    projectId: opts.projectId ?? 'runguard-local',
    host: url.hostname,
    port: Number(url.port || 8080),
    ssl: false,
    customHeaders: { Authorization: 'Bearer owner' },
    credentials: { client_email: 'emulator@runguard.invalid', private_key: 'emulator-needs-no-key' },
  };
}

/** gRPC status codes. */
const Code = {
  ALREADY_EXISTS: 6,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNAVAILABLE: 14,
};
const TRANSIENT = new Set([Code.DEADLINE_EXCEEDED, Code.ABORTED, Code.UNAVAILABLE]);

const codeOf = (e: unknown): unknown =>
  typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;

/** UNAVAILABLE, DEADLINE_EXCEEDED and ABORTED (after the client's own retries) become TransientError. */
export function toStoreError(op: string, e: unknown): unknown {
  if (e instanceof TransientError || !TRANSIENT.has(codeOf(e) as number)) return e;
  const err = new TransientError(`firestore ${op}: ${e instanceof Error ? e.message : String(e)}`);
  err.cause = e;
  return err;
}

/** Runs `fn` with a deadline: past it the caller gets a TransientError (the RPCs are bounded by the same deadline). */
export async function withDeadline<T>(op: string, ms: number, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TransientError(`firestore ${op}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([fn(), expired]);
  } catch (e) {
    throw toStoreError(op, e);
  } finally {
    clearTimeout(timer);
  }
}

/** Returned by an attempt whose commit lost a race: read again and decide again. */
export const RETRY = Symbol('retry');

/** Commits, or returns RETRY when a precondition (create-if-absent, unchanged-since-read) failed. */
export async function commitIfUnchanged(batch: WriteBatch): Promise<WriteResult[] | typeof RETRY> {
  try {
    return await batch.commit();
  } catch (e) {
    const code = codeOf(e);
    if (code === Code.ALREADY_EXISTS || code === Code.FAILED_PRECONDITION || code === Code.NOT_FOUND) return RETRY;
    throw e;
  }
}

/**
 * Optimistic concurrency: read, decide, commit with preconditions on what was read, and start over
 * when another writer got there first. A short jittered pause keeps racers from colliding in step.
 */
export async function optimistic<T>(
  op: string,
  attempt: () => Promise<T | typeof RETRY>,
  maxAttempts = 60,
): Promise<T> {
  for (let i = 1; ; i++) {
    const result = await attempt();
    if (result !== RETRY) return result;
    if (i >= maxAttempts) throw new TransientError(`firestore ${op}: still contended after ${maxAttempts} attempts`);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 * 2 ** Math.min(i, 6))));
  }
}

/**
 * Adds a write of `data` to `batch` that only succeeds if the document is as `snap` saw it:
 * created if it was absent, updated only if nobody has written it since.
 */
export function writeIfUnchanged(batch: WriteBatch, snap: DocumentSnapshot, data: Record<string, unknown>): void {
  if (snap.exists && snap.updateTime) batch.update(snap.ref, data, { lastUpdateTime: snap.updateTime });
  else batch.create(snap.ref, data);
}

/** A document id for any key: keys hold `/` and `|`, and ids may not hold `/` nor look like `__x__`. */
export const docId = (key: string): string => createHash('sha256').update(key).digest('hex');

/** The client library, loaded (~250 ms) only when a store first needs it (through require(): clients/external.ts). */
export const firestoreModule = async (): Promise<typeof import('@google-cloud/firestore')> =>
  requireExternal('firestore') as typeof import('@google-cloud/firestore');

export async function connectFirestore(opts: FirestoreConnectOptions = {}): Promise<Firestore> {
  const { Firestore } = await firestoreModule();
  const db = new Firestore(firestoreSettings(opts));
  // Firestore builds its GAPIC client, on its first request, with the gax it keeps in `_gax` (it
  // requires google-gax there only when that is unset). Given the services-only gax, that client no
  // longer has proto-loader build every Firestore message's descriptor: 183 → 64 ms of a cold start
  // (measured). Should a later version stop reading `_gax`, it requires gax itself again: slower, same.
  (db as unknown as { _gax?: unknown })._gax = servicesOnlyGax(
    requireExternal('firestoreGax') as Parameters<typeof servicesOnlyGax>[0],
    requireExternal('firestoreGaxOperations') as GaxOperationsModule,
  );
  return db;
}

/** A claim token: the commit time of the claim documents, `seconds.nanoseconds`, which is their update time. */
export function claimToken(written: WriteResult[]): string {
  const t = written[0]!.writeTime;
  return `${t.seconds}.${String(t.nanoseconds).padStart(9, '0')}`;
}

/**
 * How a store calls Firestore: connected on first use (a failed connect is tried again on the next
 * call), each call bounded by the deadline and behind the outage breaker, and ended only once every
 * call under way has settled. Shared by the state store and burst mode's digest store.
 */
export class FirestoreCalls {
  private db: Promise<Firestore> | undefined;
  private readonly pending = new Set<Promise<void>>();
  private readonly breaker: OutageBreaker;

  constructor(
    private readonly source: Firestore | (() => Promise<Firestore>),
    private readonly deadlineMs: number,
    breaker: { outageMs?: number; now?: () => number } = {},
  ) {
    this.breaker = new OutageBreaker(breaker.outageMs ?? 30_000, breaker.now);
  }

  run<T>(op: string, fn: (db: Firestore) => Promise<T>): Promise<T> {
    return this.breaker.run(op, () => {
      const work = this.firestore().then(fn);
      const settled = work.then(
        () => undefined,
        () => undefined,
      );
      this.pending.add(settled);
      void settled.then(() => this.pending.delete(settled));
      return withDeadline(op, this.deadlineMs, () => work);
    });
  }

  /**
   * Ends the client, once every call under way has settled: a call past its deadline still runs
   * the client's own retries, and one reaching a terminated client becomes an unhandled rejection.
   */
  async close(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
    const db = await this.db?.catch(() => undefined);
    this.db = undefined;
    await db?.terminate();
  }

  private firestore(): Promise<Firestore> {
    if (this.db) return this.db;
    const source = this.source;
    const db = typeof source === 'function' ? source() : Promise.resolve(source);
    db.catch(() => this.db === db && (this.db = undefined)); // a failed connect is tried again on the next call
    return (this.db = db);
  }
}
