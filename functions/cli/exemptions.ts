import { firestoreStateFromEnv } from '../enforcement/deps.js';
import type { BreakglassExemption, SlackPerson, StateStore } from '../state/types.js';
import type { Io } from './io.js';

// `runguard exemptions list`: the breakglass exemptions granted from Slack, for the auditor — who
// asked, who approved, why, whose change (its principal chain), when and until when. Read from
// runguard's Firestore; exemptions are never deleted, so an expired one is still listed (--all).

export interface ExemptionsOptions {
  json: boolean;
  projects: string[];
  /** 'active' (default) or 'all'. */
  which: 'active' | 'all';
  /** Tests pass a store; otherwise runguard's Firestore from the environment. */
  store?: StateStore & { close?: () => Promise<void> };
}

const PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

export async function runExemptions(args: string[], opts: ExemptionsOptions, io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'list' || rest.length > 0) {
    io.stderr('runguard exemptions: expected "list" [--project P] [--active|--all] [--json]\n');
    return 2;
  }
  const bad = opts.projects.find((p) => !PROJECT.test(p));
  if (bad) {
    io.stderr(`runguard exemptions: "${bad}" is not a project id\n`);
    return 2;
  }
  const store = opts.store ?? storeFromEnv(io);
  if (!store) return 2;
  let found: BreakglassExemption[];
  try {
    const lists = await Promise.all(
      opts.projects.length > 0
        ? opts.projects.map((project) => store.listExemptions({ project }))
        : [store.listExemptions()],
    );
    found = lists.flat().sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  } catch (e) {
    io.stderr(
      `runguard exemptions: the state store could not be read: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    return 2;
  } finally {
    if (!opts.store) await store.close?.();
  }
  const now = io.now();
  const shown = opts.which === 'all' ? found : found.filter((e) => Date.parse(e.expires) > now);
  if (opts.json) {
    io.stdout(
      `${JSON.stringify(
        shown.map((e) => row(e, now)),
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  io.stdout(text(shown, now, opts.which));
  return 0;
}

function storeFromEnv(io: Io): (StateStore & { close?: () => Promise<void> }) | null {
  if (io.env.RUNGUARD_STATE_STORE === 'firestore' || (!io.env.RUNGUARD_STATE_STORE && io.env.FIRESTORE_EMULATOR_HOST))
    return firestoreStateFromEnv(io.env) as StateStore & { close?: () => Promise<void> };
  io.stderr(
    "runguard exemptions: breakglass exemptions live in runguard's Firestore: " +
      "set RUNGUARD_STATE_STORE=firestore (with GOOGLE_CLOUD_PROJECT set to runguard's host project)\n",
  );
  return null;
}

const person = (p: SlackPerson | undefined) => (p ? (p.email ?? p.slackUserId) : 'unknown');

function row(e: BreakglassExemption, now: number) {
  const approvers = e.approvers ?? [
    { slackUserId: e.slackUserId, email: e.approvedBy.includes('@') ? e.approvedBy : null },
  ];
  return {
    id: e.id,
    state: Date.parse(e.expires) > now ? 'active' : 'expired',
    rule: e.rule,
    resource: e.resource,
    requestedBy: person(e.requestedBy ?? approvers[0]),
    approvers: approvers.map(person),
    justification: e.reason,
    principals: e.principals ?? (e.requester ? [e.requester] : []),
    created: e.createdAt,
    expires: e.expires,
    slackMessage: e.slackMessage,
  };
}

function text(list: BreakglassExemption[], now: number, which: 'active' | 'all'): string {
  if (list.length === 0)
    return which === 'all'
      ? 'No breakglass exemptions.\n'
      : 'No active breakglass exemptions (--all lists expired ones too).\n';
  const blocks = list.map((e) => {
    const r = row(e, now);
    return [
      `${r.state.toUpperCase()}  ${r.rule} on ${r.resource}`,
      `  requested by   ${r.requestedBy}`,
      `  approved by    ${r.approvers.join(', ')}`,
      `  justification  ${r.justification.replace(/\s+/g, ' ')}`,
      `  change by      ${r.principals.length > 0 ? r.principals.join(' → ') : 'unknown'}`,
      `  created        ${r.created}`,
      `  expires        ${r.expires}`,
    ].join('\n');
  });
  return `${blocks.join('\n\n')}\n\n${list.length} exemption(s).\n`;
}
