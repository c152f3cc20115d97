import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLoggingSource } from '../backtest/read-entries.js';
import { sinceInstant } from './backtest.js';
import { describeError } from '../core/errors.js';
import { firestoreStateFromEnv } from '../enforcement/deps.js';
import { evaluateEntry } from '../enforcement/pipeline.js';
import { decodeInput } from '../events/decode.js';
import { sinkFilter } from '../events/sink-filter.js';
import { InMemoryHistoryReader } from '../history/in-memory-reader.js';
import type { DecisionRecord, HistoryReader } from '../history/types.js';
import { recordsFromEntry } from '../recommend/entry-records.js';
import { type Gathered, recommend } from '../recommend/gather.js';
import { openRecommendPorts } from '../recommend/live-ports.js';
import { DEFAULT_THRESHOLD } from '../recommend/propose.js';
import { renderTerraform, renderTerraformFile } from '../recommend/render-terraform.js';
import { renderText } from '../recommend/render-text.js';
import { policyFileName, renderPolicyYaml, setPolicyCommand } from '../recommend/render-yaml.js';
import type { StateStore } from '../state/types.js';
import type { Io } from './io.js';
import { loadSetup } from './setup.js';

// `runguard recommend`: the organization policies that would have prevented what runguard keeps
// finding, placed on the narrowest folder or project that covers the findings. The history is the
// audit entries given as files and/or the Admin Activity log of --project (judged with the rules, as
// backtest does); runguard's own decision history (Firestore) plugs in as another HistoryReader.

export const RECOMMEND_USAGE = `  runguard recommend [--since 30d] [--json] [--config FILE] [--project P ...] [FILE...]
      Propose the organization policy constraints (run.allowedIngress, iam.allowedPolicyMemberDomains,
      run.allowedBinaryAuthorizationPolicies) that would have prevented the findings of the period, on the
      narrowest folder or project covering them, with the evidence, the deployed services and exemptions
      each would break, and the gcloud YAML and Terraform. History: audit entries in FILEs and/or the Admin
      Activity log of each --project. --min-findings N (3) / --min-actors N (2): propose only at or above
      either; --customer-id C0… for the domain restriction; --out DIR writes the YAML and Terraform files.
      Exit 0, or 2 when an input could not be read.
`;

const PREFIX = 'runguard recommend';

export interface RecommendExtras {
  /** Further history (runguard's own decision records), read beside the files and the log. */
  history?: HistoryReader[];
  store?: StateStore;
}

export async function runRecommend(argv: string[], io: Io, extras: RecommendExtras = {}): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  let files: string[];
  try {
    ({ values, positionals: files } = parse(argv));
  } catch (e) {
    io.stderr(`${PREFIX}: ${(e as Error).message}\n`);
    return 2;
  }
  const now = io.now();
  const since = sinceInstant(values.since ?? '30d', now);
  const minFindings = count(values['min-findings'], DEFAULT_THRESHOLD.minFindings);
  const minActors = count(values['min-actors'], DEFAULT_THRESHOLD.minActors);
  if (since === null || minFindings === null || minActors === null) {
    io.stderr(`${PREFIX}: --since takes 30d or an RFC 3339 instant; --min-findings and --min-actors a number\n`);
    return 2;
  }
  const customerId = values['customer-id'];
  if (customerId !== undefined && !/^C0[0-9A-Za-z]{4,}$/.test(customerId)) {
    io.stderr(`${PREFIX}: --customer-id must look like C03xgje4y, not "${customerId}"\n`);
    return 2;
  }
  const projects = values.project ?? [];
  // runguard's own decision history, where its state store is configured: what it decided as it happened.
  const store = extras.store ?? breakglassStore(io);
  const history = [...(extras.history ?? []), ...(store && !extras.store ? [store] : [])];
  if (files.length === 0 && projects.length === 0 && history.length === 0) {
    io.stderr(
      `${PREFIX}: name audit-entry FILEs or --project P (whose Admin Activity log is read), ` +
        "or set RUNGUARD_STATE_STORE=firestore to read runguard's decision history\n",
    );
    return 2;
  }
  const setup = loadSetup({ config: values.config ?? io.env.RUNGUARD_CONFIG, rules: values.rules, json: false }, io);
  if (!setup) return 2;
  const core = { rules: setup.rules, config: setup.config, now };

  const records: DecisionRecord[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = file === '-' ? io.readStdin() : readFileSync(file, 'utf8');
    } catch (e) {
      io.stderr(`${PREFIX}: ${file}: ${describeError(e)}\n`);
      return 2;
    }
    for (const d of decodeInput(text)) records.push(...recordsFromEntry(evaluateEntry(d, core)));
  }
  const fromLog = await readLog(projects, since, io, core);
  if (fromLog === null) return 2;
  records.push(...fromLog);

  const sources = [
    ...(files.length > 0 ? [`${files.length} audit-entry file(s)`] : []),
    ...(projects.length > 0 ? [`the Admin Activity log of ${projects.join(', ')}`] : []),
    ...(history.length ? ["runguard's decision history"] : []),
  ];
  const live = await openRecommendPorts(io.env, setup.config, {
    history: [new InMemoryHistoryReader(records), ...history],
    breakglass: store ? () => store.listExemptions() : null,
  });
  let result: Gathered;
  try {
    result = await recommend(
      { since, until: now },
      now,
      {
        minFindings,
        minActors,
        allowedDomains: setup.config.settings.allowedDomains,
        ...(customerId ? { customerId } : {}),
      },
      live.ports,
    );
  } finally {
    await live.close();
    if (!extras.store) await (store as { close?: () => Promise<void> } | null)?.close?.();
  }
  const source = sources.join(' and ');
  for (const u of result.unread) io.stderr(`${PREFIX}: could not read ${u}\n`);
  if (values.out) writeOut(values.out, result);
  io.stdout(values.json ? `${JSON.stringify(toJson(result, source), null, 2)}\n` : textOf(result, source));
  return result.unread.length > 0 ? 2 : 0;
}

const parse = (argv: string[]) =>
  parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      since: { type: 'string', default: '30d' },
      json: { type: 'boolean', default: false },
      config: { type: 'string' },
      rules: { type: 'string' },
      project: { type: 'string', multiple: true },
      'min-findings': { type: 'string' },
      'min-actors': { type: 'string' },
      'customer-id': { type: 'string' },
      out: { type: 'string' },
    },
  });

function count(text: string | undefined, fallback: number): number | null {
  if (text === undefined) return fallback;
  return /^\d{1,6}$/.test(text) ? Number(text) : null;
}

/** The Admin Activity log of each project, through the sink's own filter, judged as backtest does. */
async function readLog(
  projects: string[],
  since: number,
  io: Io,
  core: Parameters<typeof evaluateEntry>[1],
): Promise<DecisionRecord[] | null> {
  if (projects.length === 0) return [];
  const endpoint = io.env.RUNGUARD_LOGGING_ENDPOINT;
  const source = await createLoggingSource(endpoint ? { endpoint } : {});
  const filter = `${sinkFilter()} AND timestamp>="${new Date(since).toISOString()}"`;
  const out: DecisionRecord[] = [];
  try {
    for (const project of projects) {
      let index = 0;
      for await (const entry of source.entries({ project, filter }))
        out.push(...recordsFromEntry(evaluateEntry({ index: ++index, envelope: 'log-entry', entry }, core)));
    }
  } catch (e) {
    io.stderr(`${PREFIX}: ${describeError(e)}\n`);
    return null;
  } finally {
    await source.close();
  }
  return out;
}

function breakglassStore(io: Io): StateStore | null {
  return io.env.RUNGUARD_STATE_STORE === 'firestore' ? firestoreStateFromEnv(io.env) : null;
}

function toJson(result: Gathered, source: string) {
  const r = result.recommendation;
  return {
    since: r.since,
    until: r.until,
    source,
    records: result.records,
    threshold: r.threshold,
    proposals: r.proposals.map((p) => ({
      ...p,
      command: setPolicyCommand(p),
      yaml: renderPolicyYaml(p),
      terraform: renderTerraform(p),
    })),
    belowThreshold: r.belowThreshold,
    unplaced: r.unplaced,
    unread: result.unread,
    notes: result.notes,
  };
}

function textOf(result: Gathered, source: string): string {
  const tail = [...result.notes, ...result.unread.map((u) => `could not read ${u}`)].map((n) => `Note: ${n}.\n`);
  return renderText(result.recommendation, `${source} (${result.records} decision record(s))`) + tail.join('');
}

function writeOut(dir: string, result: Gathered): void {
  mkdirSync(dir, { recursive: true });
  const proposals = result.recommendation.proposals;
  for (const p of proposals) writeFileSync(join(dir, policyFileName(p)), renderPolicyYaml(p));
  if (proposals.length > 0) writeFileSync(join(dir, 'org-policies.tf'), renderTerraformFile(proposals));
}
