import type { ServicesClient } from '@google-cloud/run';
import { parseConfig } from '../functions/config/load.js';
import type { LiveDeps } from '../functions/enforcement/deps.js';
import type { LogLine } from '../functions/core/log.js';
import type { Alert, Notifier, SweepSummary } from '../functions/core/notify.js';
import { remediate } from '../functions/remediation/execute.js';
import { createRunPort, createServicesClient } from '../functions/remediation/run-client.js';
import type { RunPort } from '../functions/remediation/types.js';
import { loadRules } from '../functions/rules/load-files.js';
import { MemoryStateStore } from '../functions/state/memory.js';
import type { CloudRunStandIn } from '../stand-ins/cloud-run/index.js';

process.env.METADATA_SERVER_DETECTION = 'none';

export const CONFIG = `
selfPrincipals: [runguard@ops-project.iam.gserviceaccount.com]
projects:
  - { match: "shop-prod", mode: enforce }
  - { match: "shop-dev", mode: monitor }
fightDetection: { maxReverts: 3, window: 1h }
`;

const { rules } = loadRules();

/** A recording notifier: the tests read what a person would have been told. */
export class RecordingNotifier implements Notifier {
  readonly alerts: Alert[] = [];
  readonly summaries: SweepSummary[] = [];
  failNext: Error[] = [];
  async summarize(summary: SweepSummary): Promise<void> {
    this.summaries.push(summary);
  }
  async notify(alert: Alert): Promise<void> {
    const failure = this.failNext.shift();
    if (failure) throw failure;
    this.alerts.push(alert);
  }
}

export interface Harness {
  deps: LiveDeps;
  notifier: RecordingNotifier;
  logs: LogLine[];
  clock: { now: number };
  runLoads: { count: number };
}

/** The live path wired to the Cloud Run stand-in through the real client, with memory state. */
export function harness(standIn: CloudRunStandIn, client: ServicesClient, configText = CONFIG): Harness {
  const { config, problems } = parseConfig(configText, 'test.yaml');
  if (!config) throw new Error(problems.join('; '));
  const notifier = new RecordingNotifier();
  const logs: LogLine[] = [];
  const clock = { now: Date.parse('2026-11-23T10:00:00Z') };
  const runLoads = { count: 0 };
  const port: RunPort = createRunPort(client);
  const deps: LiveDeps = {
    rules,
    config,
    state: new MemoryStateStore(),
    notifier,
    log: (line) => logs.push(line),
    now: () => clock.now,
    getRun: async () => {
      runLoads.count++;
      return port;
    },
    remediate: (action, name, params, run, start) =>
      remediate(action, name, params, run, { sleep: async () => {}, ...(start ? { start } : {}) }),
    fightDetection: config.fightDetection,
  };
  void standIn;
  return { deps, notifier, logs, clock, runLoads };
}

/** The client as the function builds it (createServicesClient), pointed at the stand-in. */
export function newClient(standIn: CloudRunStandIn): Promise<ServicesClient> {
  return createServicesClient({ endpoint: `127.0.0.1:${standIn.port}` });
}
