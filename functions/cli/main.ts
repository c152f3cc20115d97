import { parseArgs } from 'node:util';
import { runEvaluate } from './evaluate.js';
import { sinkFilter } from '../events/sink-filter.js';
import { readPublishTarget, runPublish } from './publish.js';
import { runRules } from './rules.js';
import { runScan } from './scan.js';
import { runBacktest } from './backtest.js';
import { runExemptions } from './exemptions.js';
import { RECOMMEND_USAGE, runRecommend } from './recommend.js';
import { runReport } from './report.js';
import type { Io } from './io.js';

const USAGE = `runguard — catch insecure Cloud Run and IAM changes

Usage:
  runguard evaluate [--config FILE] [--rules DIR] [--json] FILE... | -
      Decode, normalize, evaluate and decide audit log entries offline. FILE holds a LogEntry, a
      Pub/Sub push body, a CloudEvent, a JSON array of these, or JSON Lines; - reads stdin.
      Exit 0 when evaluated, 2 when an input or the configuration could not be read.
  runguard publish FILE... | -
      Publish audit entries to the local loop started by \`npm start\` (its Pub/Sub emulator), as a
      log sink would. Same input forms as evaluate.
  runguard scan --project P [--project Q ...] [--config FILE] [--fix] [--json]
      Sweep the projects' Cloud Run services (every region) with Application Default Credentials
      and judge what is deployed. Read-only unless --fix, which reverts what the configuration
      says to enforce, after printing it (needs RUNGUARD_STATE_STORE, see the README).
      Exit 0 when nothing insecure is found, 1 when findings remain, 2 when something could not be read.
  runguard backtest --project P [--since 7d] [--config FILE] [--json]
      Read the project's Admin Activity audit entries (the sink's filter) from Cloud Logging with
      Application Default Credentials and say, per rule, what runguard would have done: alerts,
      reverts, exemptions, top actors and resources. Acts on nothing. Exit 0, or 2 on errors.
  runguard exemptions list [--project P ...] [--active|--all] [--json]
      The breakglass exemptions granted from Slack (runguard's Firestore: RUNGUARD_STATE_STORE=firestore):
      who asked, who approved, the justification, whose change, created and expiry. Active ones by
      default; --all includes expired ones (exemptions are never deleted). Exit 0, or 2 on errors.
${RECOMMEND_USAGE}  runguard report [--since 7d] [--project P] [--out FILE.png|FILE.html] [--json]
      The weekly report the scheduled function posts to Slack: findings, reverts and exemptions per
      day and rule, top actors and projects, exemptions expiring in the coming week, fights. History
      from runguard's Firestore (RUNGUARD_STATE_STORE=firestore); with --project, days before history
      began come from that project's Admin Activity log (what runguard would have done). --out writes
      the chart as PNG, or the whole report as one HTML file. Exit 0, or 2 on errors.
  runguard filter
      Print the Log Router sink filter: Admin Activity entries of the methods runguard handles.
  runguard rules list [--rules DIR] [--json]
  runguard rules test [--rules DIR]
      Run every rule's examples. Exit 1 when one disagrees with its rule, 2 when a rule does not compile.

Options:
  --config FILE   configuration (YAML); default $RUNGUARD_CONFIG, else everything is monitored
  --rules DIR     rule directory; default the rules/ shipped with runguard
  --json          machine-readable output
`;

const parseOptions = (argv: string[]) =>
  parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      rules: { type: 'string' },
      json: { type: 'boolean', default: false },
      project: { type: 'string', multiple: true, default: [] },
      fix: { type: 'boolean', default: false },
      since: { type: 'string' },
      out: { type: 'string' },
      active: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });

export async function main(argv: string[], io: Io): Promise<number> {
  // recommend reads its own options (thresholds, --customer-id, --out), so it is dispatched before the common ones.
  if (argv[0] === 'recommend') return runRecommend(argv.slice(1), io);
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (e) {
    io.stderr(`runguard: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    io.stdout(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const opts = { config: values.config ?? io.env.RUNGUARD_CONFIG, rules: values.rules, json: values.json };
  switch (command) {
    case 'evaluate':
      return runEvaluate(rest, opts, io);
    case 'rules':
      return runRules(rest, opts, io);
    case 'scan':
      if (rest.length > 0) {
        io.stderr(`runguard scan: unexpected argument "${rest[0]}" (name projects with --project)\n`);
        return 2;
      }
      return runScan({ ...opts, projects: values.project, fix: values.fix }, io);
    case 'backtest':
      return runBacktest({ ...opts, projects: values.project, since: values.since }, io);
    case 'exemptions':
      if (values.active && values.all) {
        io.stderr('runguard exemptions: --active and --all exclude each other\n');
        return 2;
      }
      return runExemptions(
        rest,
        { json: values.json, projects: values.project, which: values.all ? 'all' : 'active' },
        io,
      );
    case 'report':
      if (rest.length > 0) {
        io.stderr(`runguard report: unexpected argument "${rest[0]}"\n`);
        return 2;
      }
      return runReport({ ...opts, since: values.since, projects: values.project, out: values.out }, io);
    case 'filter':
      io.stdout(`${sinkFilter()}\n`);
      return 0;
    case 'publish':
      return runPublish(rest, readPublishTarget(), io);
    default:
      io.stderr(`runguard: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}
