import { parseDuration } from '../core/duration.js';
import { compileGlob, type Glob } from '../core/glob.js';
import { canonicalPrincipal } from '../core/principals.js';
import type { Exemption, ProjectMode, Severity } from '../core/types.js';
import type { RuleOverride, RuleSettings } from '../rules/types.js';
import type { z } from 'zod';
import type { configSchema } from './schema.js';

// The validated configuration as the hot path uses it, from data the schema has already accepted
// (parseConfig in load.ts, or the function's build: functions/startup.ts). Imports neither the
// YAML parser nor zod.

/** What the schema produces: every default filled in. */
export type ConfigData = z.infer<typeof configSchema>;

/** The configuration, validated and ready for the hot path (globs compiled, defaults filled). */
export interface Config {
  source: string;
  dryRun: boolean;
  selfPrincipals: string[];
  projects: Array<{ match: Glob; mode: ProjectMode }>;
  settings: RuleSettings;
  overrides: Record<string, RuleOverride>;
  exemptions: CompiledExemption[];
  /** Stop reverting a finding after this many reverts within the window: something keeps re-applying it. */
  fightDetection: { maxReverts: number; windowMs: number };
  /** Where alerts go; null when the configuration names no Slack channel (alerts then go to the log). */
  slack: SlackRouting | null;
  /** Who may acknowledge from Slack and for how long; null: nobody can (the buttons are refused). */
  breakglass: BreakglassPolicy | null;
  /** Who is who: the Google principals each Slack user or user group acts as (canonical form). */
  people: PeopleMap;
  /** How the drift sweep (reconcile, `runguard scan`) reads Cloud Run. */
  reconcile: { locations: string[] | null; concurrency: number; projectBudgetMs: number; sweepBudgetMs: number };
}

export interface BreakglassPolicy {
  approverUsers: string[];
  approverGroups: string[];
  maxDurationMs: number;
  /** The modal's choices, as written (e.g. "4h") and in milliseconds. */
  durations: Array<{ label: string; ms: number }>;
  twoPersonRule: boolean;
}

export interface PeopleMap {
  /** Slack user id → principals. */
  users: ReadonlyMap<string, readonly string[]>;
  /** Slack user group id → principals every member acts as. */
  groups: ReadonlyMap<string, readonly string[]>;
}

export interface SlackRouting {
  defaultChannel: string;
  routes: Array<{ severity: Severity[] | null; project: Glob | null; channel: string }>;
}

export interface CompiledExemption extends Exemption {
  glob: Glob;
  expiresAt: number;
}

/** Compiles validated data (globs, durations, lower-cased principals) into the Config the hot path reads. */
export function resolveConfig(data: ConfigData, source: string): Config {
  return {
    source,
    dryRun: data.dryRun,
    selfPrincipals: data.selfPrincipals.map((p) => p.toLowerCase()),
    projects: data.projects.map((p) => ({ match: compileGlob(p.match), mode: p.mode })),
    settings: { allowedDomains: data.allowedDomains.map((d) => d.toLowerCase()) },
    overrides: data.rules as Record<string, RuleOverride>,
    exemptions: data.exemptions.map((e) => ({
      resource: e.resource,
      rule: e.rule,
      ...(e.subject ? { subject: e.subject } : {}),
      reason: e.reason,
      expires: e.expires,
      approvedBy: e.approvedBy ?? '',
      source: 'config',
      glob: compileGlob(e.resource),
      expiresAt: Date.parse(e.expires.length === 10 ? `${e.expires}T00:00:00Z` : e.expires),
    })),
    fightDetection: { maxReverts: data.fightDetection.maxReverts, windowMs: parseDuration(data.fightDetection.window) },
    slack: data.slack
      ? {
          defaultChannel: data.slack.defaultChannel,
          routes: data.slack.routes.map((r) => ({
            severity: (r.severity as Severity[] | undefined) ?? null,
            project: r.project ? compileGlob(r.project) : null,
            channel: r.channel,
          })),
        }
      : null,
    breakglass: data.breakglass
      ? {
          approverUsers: data.breakglass.approvers.users,
          approverGroups: data.breakglass.approvers.groups,
          maxDurationMs: parseDuration(data.breakglass.maxDuration),
          durations: data.breakglass.durations.map((label) => ({ label, ms: parseDuration(label) })),
          twoPersonRule: data.breakglass.twoPersonRule,
        }
      : null,
    people: peopleMap(data.people),
    reconcile: {
      locations: data.reconcile.locations ?? null,
      concurrency: data.reconcile.concurrency,
      projectBudgetMs: parseDuration(data.reconcile.projectBudget),
      sweepBudgetMs: parseDuration(data.reconcile.sweepBudget),
    },
  };
}

function peopleMap(people: Record<string, string[]>): PeopleMap {
  const users = new Map<string, string[]>();
  const groups = new Map<string, string[]>();
  for (const [id, principals] of Object.entries(people)) {
    (id.startsWith('S') ? groups : users).set(id, [...new Set(principals.map(canonicalPrincipal))]);
  }
  return { users, groups };
}

/** The channel for an alert: the first matching route, else the default. */
export function slackChannel(routing: SlackRouting, severity: Severity, project: string): string {
  const route = routing.routes.find(
    (r) => (!r.severity || r.severity.includes(severity)) && (!r.project || r.project.test(project)),
  );
  return route?.channel ?? routing.defaultChannel;
}

/** The first matching `projects` entry decides; unlisted projects are monitored. */
export function projectMode(config: Config, project: string, resourceName: string): ProjectMode {
  // A resource set on a folder or organization (its org policy) is matched by that node.
  const subject = project || (/^(?:folders|organizations)\/[^/]+/.exec(resourceName)?.[0] ?? resourceName);
  return config.projects.find((p) => p.match.test(subject))?.mode ?? 'monitor';
}
