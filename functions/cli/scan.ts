import { shortServiceName } from '../core/service.js';
import { firestoreStateFromEnv, lazyRunClient } from '../enforcement/deps.js';
import { logNotifier } from '../enforcement/log-notifier.js';
import { remediate } from '../remediation/execute.js';
import { applyPlanned } from '../reconcile/news.js';
import { sweep } from '../reconcile/sweep.js';
import type { SweepDeps, SweepProgress, SweepReport } from '../reconcile/types.js';
import { MemoryStateStore } from '../state/memory.js';
import type { StateStore } from '../state/types.js';
import type { CommonOptions } from './io.js';
import { loadSetup } from './setup.js';
import type { Io } from './io.js';
import { padTable } from './format.js';

// `runguard scan`: the reconcile sweep from a terminal, with Application Default Credentials.
// Read-only unless --fix; no Slack. Exit 0: nothing insecure; 1: findings remain; 2: errors
// (bad configuration, or something could not be read — then "nothing found" proves nothing).

export interface ScanOptions extends CommonOptions {
  projects: string[];
  fix: boolean;
}

export async function runScan(opts: ScanOptions, io: Io): Promise<number> {
  if (opts.projects.length === 0) {
    io.stderr('runguard scan: name at least one --project\n');
    return 2;
  }
  const setup = loadSetup(opts, io);
  if (!setup) return 2;
  const { config, rules } = setup;
  const state = opts.fix ? fixState(io) : new MemoryStateStore();
  if (!state) return 2;

  const run = lazyRunClient(io.env.RUNGUARD_RUN_ENDPOINT);
  const progress = progressLine(io, opts.json);
  const deps: SweepDeps = {
    rules,
    config,
    state,
    now: io.now,
    // Decision lines stay out of the terminal; what matters is printed from the report.
    log: () => {},
    notifier: logNotifier(() => {}),
    getRun: run.getRun,
    inventory: run.inventory,
    remediate: (action, name, params, port) => remediate(action, name, params, port),
    fightDetection: config.fightDetection,
    act: false,
    notify: false,
    onProgress: progress.update,
  };
  let report: SweepReport;
  try {
    report = await sweep(opts.projects, deps);
    progress.end();
    if (opts.fix) {
      const planned = report.findings.filter((f) => f.action === 'revert').length;
      if (!opts.json)
        io.stdout(
          planned === 0
            ? 'Nothing to fix: no finding is in an enforce project.\n\n'
            : `Fixing ${planned} finding(s) in enforce projects:\n${report.findings
                .filter((f) => f.action === 'revert')
                .map((f) => `  ${f.rule} on ${f.resource}: ${f.summary.replace(/ \(enforce mode\).*$/, '')}\n`)
                .join('')}\n`,
        );
      report = await applyPlanned(report, { ...deps, act: true });
    }
  } finally {
    progress.end();
    await (state as { close?: () => Promise<void> }).close?.();
  }

  const remaining = report.findings.filter((f) => !['reverted', 'already-safe', 'gone', 'exempt'].includes(f.done));
  io.stdout(
    opts.json
      ? `${JSON.stringify(toJson(report, remaining.length), null, 2)}\n`
      : toText(report, remaining.length, opts.fix),
  );
  if (report.unread.length > 0) return 2;
  return remaining.length > 0 ? 1 : 0;
}

/**
 * --fix must see the breakglass exemptions granted from Slack, or it would revert what a person
 * just approved: they live in runguard's Firestore. RUNGUARD_STATE_STORE must say where.
 */
function fixState(io: Io): StateStore | null {
  const choice = io.env.RUNGUARD_STATE_STORE;
  if (choice === 'firestore') {
    return firestoreStateFromEnv(io.env);
  }
  if (choice === 'memory') {
    io.stderr(
      'runguard scan: RUNGUARD_STATE_STORE=memory: breakglass exemptions granted from Slack are NOT seen; ' +
        "only the configuration's exemptions are honoured\n",
    );
    return new MemoryStateStore();
  }
  io.stderr(
    'runguard scan --fix: set RUNGUARD_STATE_STORE=firestore ' +
      "(with GOOGLE_CLOUD_PROJECT set to runguard's host project) so that\n" +
      'breakglass exemptions granted from Slack are honoured, ' +
      'or RUNGUARD_STATE_STORE=memory to ignore them knowingly\n',
  );
  return null;
}

const DONE_WORDS: Record<string, string> = {
  reverted: 'reverted',
  'already-safe': 'already safe',
  gone: 'gone',
  failed: 'FAILED',
  fighting: 'fighting',
  'dry-run': 'would revert',
  alerted: 'alert',
  exempt: 'exempt',
};

function toText(report: SweepReport, remaining: number, fix: boolean): string {
  const services = report.projects.reduce((n, p) => n + p.scanned, 0);
  const seconds = ((report.finishedAt - report.startedAt) / 1000).toFixed(1);
  const out = [`runguard scan: ${services} services in ${report.projects.length} project(s), ${seconds} s\n`];
  if (report.findings.length > 0) {
    const rows = report.findings.map((f) => [
      f.severity,
      f.rule,
      shortServiceName(f.resource),
      f.mode,
      DONE_WORDS[f.done] ?? f.done,
      f.message,
    ]);
    out.push('', padTable([['SEVERITY', 'RULE', 'SERVICE', 'MODE', 'RUNGUARD', 'FINDING'], ...rows]));
  } else {
    out.push('', 'No insecure service found.\n');
  }
  if (report.ruleErrors.length > 0)
    out.push(
      '',
      'Rules that could not be evaluated:\n',
      ...report.ruleErrors.map((e) => `  ${e.rule} on ${e.resource}: ${e.message}\n`),
    );
  if (report.unread.length > 0)
    out.push(
      '',
      'Could not read (not checked):\n',
      ...report.unread.map((u) => `  ${u.project}  ${u.what}: ${u.reason}\n`),
    );
  const wouldFix = report.findings.filter((f) => f.done === 'dry-run').length;
  const hint = !fix && wouldFix > 0 ? ` (${wouldFix} in enforce projects: run with --fix to revert them)` : '';
  out.push('', remaining === 0 ? 'Nothing insecure remains.\n' : `${remaining} finding(s) remain${hint}.\n`);
  return out.join('');
}

function toJson(report: SweepReport, remaining: number): unknown {
  return {
    startedAt: new Date(report.startedAt).toISOString(),
    finishedAt: new Date(report.finishedAt).toISOString(),
    remaining,
    projects: report.projects,
    findings: report.findings.map(({ isNew: _, ...f }) => f),
    unread: report.unread,
    ruleErrors: report.ruleErrors,
  };
}

/** One line on stderr, rewritten in place, only on a terminal (never into a pipe or with --json). */
function progressLine(io: Io, json: boolean): { update: (p: SweepProgress) => void; end: () => void } {
  if (json || !io.stderrIsTTY) return { update: () => {}, end: () => {} };
  const projects = new Map<string, SweepProgress>();
  let last = 0;
  let shown = false;
  const draw = () => {
    const parts = [...projects.values()]
      .filter((p) => !p.done || projects.size <= 4)
      .slice(-4)
      .map((p) => `${p.project} ${p.scanned}/${p.listed ? p.total : `${p.total}+`}${p.done ? ' ✓' : ''}`);
    const done = [...projects.values()].filter((p) => p.done).length;
    io.stderr(`\r\x1b[2Kscanning: ${done}/${projects.size} projects · ${parts.join(' · ')}`);
    shown = true;
  };
  return {
    update: (p) => {
      projects.set(p.project, p);
      const now = Date.now();
      if (now - last >= 100 || p.done) {
        last = now;
        draw();
      }
    },
    end: () => {
      if (shown) io.stderr('\r\x1b[2K');
      shown = false;
    },
  };
}
