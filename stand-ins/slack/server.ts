// A local stand-in for the Slack Web API, bound to 127.0.0.1 on a kernel-chosen port. Point
// `new WebClient(token, { slackApiUrl: standIn.apiUrl })` at it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FileUploads, type StoredFile } from './files.js';
import { type Args, err, METHODS, type Reply } from './methods.js';
import {
  Buckets,
  type ChannelSpec,
  DEFAULT_CHANNELS,
  DEFAULT_IDENTITY,
  type HistoryEntry,
  type Identity,
  type RateLimit,
  type StoredView,
  type ThreadedMessage,
  TsClock,
  type UserSpec,
  Workspace,
} from './state.js';

export interface SlackStandInOptions {
  /** Tokens that authenticate. Default ['xoxb-test-token']. */
  tokens?: string[];
  /**
   * Known channels: specs, ids, or names ('#alerts' gets a stable made-up id). Default C0RUNGUARD1 (#runguard-alerts),
   * C0SECURITY1 (#security).
   */
  channels?: Array<ChannelSpec | string>;
  users?: UserSpec[];
  /** user group id → member user ids. */
  usergroups?: Record<string, string[]>;
  /** chat.postMessage per-channel bucket; false turns it off. Default {perSecond: 1, burst: 5}. */
  rateLimit?: RateLimit | false;
  /**
   * chat.update workspace bucket (Slack's Tier 3: about 50 per minute). Default {perSecond: 50/60, burst: 10}, or
   * off when `rateLimit` is false.
   */
  updateRateLimit?: RateLimit | false;
  /** Makes ts deterministic: start + n × 100 µs (e.g. 1732350000 → "1732350000.000100"). Default: wall clock. */
  startTs?: number;
  identity?: Partial<Identity>;
  /** Every answer is this much later (ms), as Slack's Web API is from a Cloud Function: 300 is realistic. Default 0. */
  latencyMs?: number;
  /** A trigger_id minted by `trigger()` opens a view for this long after the click (ms). Default 3000, as Slack. */
  triggerLifetimeMs?: number;
}

export interface RecordedRequest {
  /** e.g. 'chat.postMessage' (the path after /api/). */
  method: string;
  /** Request headers, lower-case, without `authorization`. */
  headers: Record<string, string>;
  contentType: string;
  tokenPresent: boolean;
  tokenValid: boolean;
  /** Parsed arguments (JSON-valued form fields decoded), without `token`. */
  args: Args;
  status: number;
  /** The `error` of an ok:false answer, or 'http_<status>' for an injected 5xx. */
  error?: string;
  at: number;
}

export interface SlackStandIn {
  port: number;
  apiUrl: string;
  readonly requests: readonly RecordedRequest[];
  /** Current state of each top-level message of a channel (id, name or #name), replies grouped by thread. */
  messages(channel: string): ThreadedMessage[];
  readonly ephemeral: Workspace['ephemeral'];
  readonly views: ReadonlyMap<string, StoredView>;
  /** Every successful post and update (oldest first), with its time; of one channel (id, name or #name) if given. */
  history(channel?: string): HistoryEntry[];
  /** Successful chat.postMessage calls per channel id. */
  readonly postsPerChannel: Readonly<Record<string, number>>;
  /** Files uploaded through files.getUploadURLExternal, by id, with their bytes once posted. */
  readonly files: ReadonlyMap<string, StoredFile>;
  /** HTTP 429 answers given. */
  readonly rateLimitedCount: number;
  rateLimit(limit: RateLimit | false): void;
  /** The chat.update (Tier 3, whole workspace) bucket; refilled. */
  updateRateLimit(limit: RateLimit | false): void;
  /** The next `times` calls of `method` ('*' for any) answer HTTP `status`. */
  fail(method: string, f: { status: 500 | 502 | 503 | number; times?: number; retryAfter?: number }): void;
  /** The next `times` calls of `method` ('*' for any) answer HTTP 200 {ok:false, error}. */
  failWith(method: string, f: { error: string; times?: number }): void;
  /** Delay every answer (or those of one method) by `ms`; 0 removes it. */
  latency(ms: number, method?: string): void;
  /**
   * A trigger_id as Slack hands one to the app with a click, made now: views.open accepts it for
   * `triggerLifetimeMs` (3 s) and answers expired_trigger_id after. A trigger_id the stand-in did not
   * make is accepted whenever it is used.
   */
  trigger(): string;
  /** Adds (or replaces) a channel; returns it with its id. */
  addChannel(c: ChannelSpec | string): ChannelSpec;
  /**
   * Forget requests, messages, views, counters, faults and latency; back to the started options (channels, users, rate
   * limit) with full buckets.
   */
  reset(): void;
  close(): Promise<void>;
}

/** Slack's Tier 3 (chat.update): "50+ per minute", per method and workspace. */
const TIER3_PER_MINUTE = 50;

const JSON_FIELDS = ['blocks', 'attachments', 'metadata', 'view'];
type Fault = { method: string; times: number } & (
  | { kind: 'http'; status: number; retryAfter?: number }
  | { kind: 'error'; error: string }
);

/** Arguments from the query string and the body, or the Slack error for a body it cannot read. */
function parseBody(raw: string, contentType: string, query: URLSearchParams): Args | string {
  const args: Args = Object.fromEntries(query);
  if (raw === '') return args;
  if (contentType.startsWith('application/json')) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'invalid_json';
      return { ...args, ...(parsed as Args) };
    } catch {
      return 'invalid_json';
    }
  }
  if (!contentType.startsWith('application/x-www-form-urlencoded')) return 'invalid_form_data';
  for (const [k, v] of new URLSearchParams(raw)) args[k] = v;
  for (const k of JSON_FIELDS) {
    const v = args[k];
    if (typeof v !== 'string') continue;
    try {
      args[k] = JSON.parse(v);
    } catch {
      return k === 'blocks'
        ? 'invalid_blocks_format'
        : k === 'attachments'
          ? 'invalid_attachments'
          : 'invalid_arguments';
    }
  }
  return args;
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  return m?.[1];
}

export async function startSlackStandIn(opts: SlackStandInOptions = {}): Promise<SlackStandIn> {
  const tokens = new Set(opts.tokens ?? ['xoxb-test-token']);
  const channels = opts.channels ?? DEFAULT_CHANNELS;
  const ws = new Workspace({ ...DEFAULT_IDENTITY, ...opts.identity }, new TsClock(opts.startTs));
  const configure = (): void => {
    ws.channels.clear();
    for (const c of channels) ws.addChannel(c);
    for (const u of opts.users ?? [
      { id: 'U0ALICE', name: 'alice', email: 'alice@example.com' },
      { id: 'U0BOB', name: 'bob', email: 'bob@example.com' },
    ])
      ws.users.set(u.id, u);
    for (const [g, members] of Object.entries(opts.usergroups ?? { S0ONCALL: ['U0ALICE'] }))
      ws.usergroups.set(g, members);
  };
  configure();
  ws.triggerLifetimeMs = opts.triggerLifetimeMs ?? 3_000;
  const buckets = new Buckets(opts.rateLimit ?? { perSecond: 1, burst: 5 });
  const initialLimit = buckets.limit;
  const updates = new Buckets(
    opts.updateRateLimit ?? (opts.rateLimit === false ? false : { perSecond: TIER3_PER_MINUTE / 60, burst: 10 }),
  );
  const initialUpdateLimit = updates.limit;
  const requests: RecordedRequest[] = [];
  const uploads = new FileUploads();
  let faults: Fault[] = [];
  const initialDelays = () => new Map<string, number>(opts.latencyMs ? [['*', opts.latencyMs]] : []);
  let delays = initialDelays();
  let rateLimitedCount = 0;

  const takeFault = (method: string, kind: Fault['kind']): Fault | undefined => {
    const f = faults.find((x) => x.kind === kind && (x.method === method || x.method === '*') && x.times > 0);
    if (f) f.times -= 1;
    return f;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    // An upload URL takes bytes, not Web API arguments.
    if (url.pathname.startsWith('/upload/')) {
      const got = uploads.receive(url.pathname.slice(8), Buffer.concat(chunks), String(req.headers['content-type']));
      res.writeHead(got.status, { 'content-type': 'text/plain' }).end(got.text);
      return;
    }
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = url.pathname.startsWith('/api/') ? url.pathname.slice(5) : url.pathname;
    const contentType = String(req.headers['content-type'] ?? '');
    const parsed = parseBody(raw, contentType, url.searchParams);
    const args: Args = typeof parsed === 'string' ? {} : parsed;
    const token = bearer(req) ?? (typeof args.token === 'string' ? args.token : undefined);
    delete args.token;
    const { authorization: _auth, ...headers } = req.headers;
    const rec: RecordedRequest = {
      method,
      contentType,
      tokenPresent: token !== undefined,
      tokenValid: token !== undefined && tokens.has(token),
      args,
      status: 0,
      at: Date.now(),
      headers: Object.fromEntries(
        Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
      ),
    };
    requests.push(rec);

    const delay = delays.get(method) ?? delays.get('*') ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const reply = answer(method, parsed, rec);
    rec.status = reply.status;
    const e = reply.body.error;
    if (reply.status === 429) rateLimitedCount += 1;
    if (typeof e === 'string') rec.error = e;
    else if (reply.status >= 300) rec.error = `http_${reply.status}`;
    const body = reply.raw ?? JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
    res.end(body);
  }

  function answer(method: string, parsed: ReturnType<typeof parseBody>, rec: RecordedRequest): Reply {
    const fault = takeFault(method, 'http');
    if (fault?.kind === 'http') {
      return {
        status: fault.status,
        ...(fault.retryAfter ? { headers: { 'retry-after': String(fault.retryAfter) } } : {}),
        body: {},
        raw: `<html><body>${fault.status} injected</body></html>`,
      };
    }
    if (!rec.tokenPresent) return err('not_authed');
    if (!rec.tokenValid) return err('invalid_auth');
    if (typeof parsed === 'string') return err(parsed);
    const refusal = takeFault(method, 'error');
    if (refusal?.kind === 'error') return err(refusal.error);
    const handler =
      method === 'files.getUploadURLExternal'
        ? uploads.getUploadURLExternal
        : method === 'files.completeUploadExternal'
          ? uploads.completeUploadExternal
          : METHODS[method];
    if (!handler) return err('unknown_method', { req_method: method });
    return handler(parsed, ws, { posts: buckets, updates });
  }

  const server = createServer((req, res) => {
    if (req.method !== 'POST' && req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  uploads.origin = `http://127.0.0.1:${port}`;

  return {
    port,
    apiUrl: `http://127.0.0.1:${port}/api/`,
    get requests() {
      return requests;
    },
    messages: (channel) => ws.messages(channel),
    history: (channel) => {
      const id = channel === undefined ? undefined : (ws.channel(channel)?.id ?? channel);
      return ws.history.filter((h) => id === undefined || h.channel === id).map((h) => structuredClone(h));
    },
    get ephemeral() {
      return ws.ephemeral;
    },
    get views() {
      return ws.views;
    },
    get postsPerChannel() {
      return ws.postsPerChannel;
    },
    files: uploads.files,
    get rateLimitedCount() {
      return rateLimitedCount;
    },
    rateLimit: (limit) => buckets.reset(limit),
    updateRateLimit: (limit) => updates.reset(limit),
    fail: (method, f) => {
      faults.push({
        kind: 'http',
        method,
        status: f.status,
        times: f.times ?? 1,
        ...(f.retryAfter ? { retryAfter: f.retryAfter } : {}),
      });
    },
    failWith: (method, f) => {
      faults.push({ kind: 'error', method, error: f.error, times: f.times ?? 1 });
    },
    latency: (ms, method = '*') => {
      delays.set(method, ms);
    },
    trigger: () => ws.mintTrigger(Date.now()),
    addChannel: (c) => ws.addChannel(c),
    reset: () => {
      requests.length = 0;
      ws.clearMessages();
      uploads.clear();
      configure();
      faults = [];
      delays = initialDelays();
      rateLimitedCount = 0;
      buckets.reset(initialLimit);
      updates.reset(initialUpdateLimit);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}
