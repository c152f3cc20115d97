import { subjectProblem } from '../core/subject.js';
import { z } from 'zod';
import { DURATION, parseDuration } from '../core/duration.js';
import { SEVERITIES } from '../core/types.js';

// The configuration file's schema. Strict everywhere: a misspelt key is an error, not a silent default.

const INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const DOMAIN = /^([a-z0-9-]+\.)+[a-z]{2,}$/i;

const instant = z
  .string()
  .regex(INSTANT, 'expected an ISO 8601 date or instant with a zone, e.g. 2027-01-31 or 2027-01-31T18:00:00Z')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a real date');

export const ruleOverrideSchema = z.strictObject({
  enabled: z.boolean().optional(),
  severity: z.enum(SEVERITIES as [string, ...string[]]).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});

export const exemptionSchema = z.strictObject({
  resource: z.string().min(1).describe('glob on the full resource name'),
  rule: z.string().min(1).describe("rule id, or '*'"),
  subject: z
    .string()
    .refine((s) => subjectProblem(s) === null, {
      error: (iss) => subjectProblem(String(iss.input)) ?? 'invalid subject',
    })
    .optional()
    .describe('member@role or field=value: only this subject of the rule; absent: every subject'),
  reason: z.string().min(1),
  expires: instant,
  approvedBy: z.string().regex(EMAIL, 'expected an e-mail address').optional(),
});

export const projectModeSchema = z.strictObject({
  match: z.string().min(1).describe('glob on the project id (or folders/N, organizations/N)'),
  mode: z.enum(['enforce', 'monitor', 'off']),
});

export const fightDetectionSchema = z.strictObject({
  maxReverts: z.number().int().min(1).default(3),
  window: z.string().regex(DURATION, 'expected a duration such as 30m, 1h or 1d').default('1h'),
});

const CHANNEL = /^(#[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{8,})$/;
const channel = z
  .string()
  .regex(CHANNEL, 'expected a channel id such as C0123456789 or a name such as #runguard-alerts');

export const slackRouteSchema = z.strictObject({
  severity: z
    .array(z.enum(SEVERITIES as [string, ...string[]]))
    .min(1)
    .optional(),
  project: z.string().min(1).optional().describe('glob on the project id'),
  channel,
});

export const slackSchema = z.strictObject({
  defaultChannel: channel,
  /** First match wins; a route with both severity and project needs both to match. */
  routes: z.array(slackRouteSchema).default([]),
});

const duration = z.string().regex(DURATION, 'expected a duration such as 30m, 1h or 1d');

export const breakglassSchema = z
  .strictObject({
    /** Slack user ids (U…) and user groups (S…) whose members may acknowledge and revert. */
    approvers: z.strictObject({
      users: z.array(z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'expected a Slack user id such as U0123ABCD')).default([]),
      groups: z
        .array(z.string().regex(/^S[A-Z0-9]{2,}$/, 'expected a Slack user group id such as S0123ABCD'))
        .default([]),
    }),
    /** The longest exemption an approver may grant. */
    maxDuration: duration.default('24h'),
    /** The choices offered in the modal; each must be within maxDuration. */
    durations: z.array(duration).min(1).default(['1h', '4h', '24h']),
    /** In enforce-mode projects, the approver must not be the person who made the change. */
    twoPersonRule: z.boolean().default(true),
  })
  .refine((b) => b.approvers.users.length + b.approvers.groups.length > 0, {
    message: 'name at least one approver (users or groups)',
    path: ['approvers'],
  })
  .refine((b) => b.durations.every((d) => parseDuration(d) <= parseDuration(b.maxDuration)), {
    message: 'every duration must be within maxDuration',
    path: ['durations'],
  });

/**
 * A Google principal a person acts as: a user or service account e-mail (optionally with its IAM
 * prefix `user:` / `serviceAccount:`), or a workforce / workload identity `principal://…`.
 * A `principalSet://` names many people and is refused.
 */
const PRINCIPAL = /^((user|serviceAccount):)?[^@\s:/]+@[^@\s/]+\.[^@\s/]+$|^principal:\/\/iam\.googleapis\.com\/\S+$/;
const principal = z
  .string()
  .regex(
    PRINCIPAL,
    'expected an e-mail (user or service account) or a ' +
      'principal://iam.googleapis.com/… identity; principalSet:// names many people',
  );

/**
 * Who is who: Slack user ids (U…/W…) and user groups (S…) mapped to the Google principals they act
 * as — the service accounts they deploy through, their workforce identities, other addresses.
 */
export const peopleSchema = z
  .record(
    z.string().regex(/^([UW]|S)[A-Z0-9]{2,}$/, 'expected a Slack user id (U0123ABCD) or user group id (S0123ABCD)'),
    z.array(principal).min(1, 'list at least one principal'),
  )
  .default({});

const REGION = /^[a-z]+-[a-z]+[0-9]+$/;

export const reconcileSchema = z.strictObject({
  /**
   * Regions to sweep. Unset: every region Cloud Run offers the project (one ListLocations call, then one ListServices
   * per region).
   */
  locations: z.array(z.string().regex(REGION, 'expected a region such as us-central1')).min(1).optional(),
  /** API calls in flight at once, across the whole sweep. */
  concurrency: z.number().int().min(1).max(100).default(16),
  /** A project still being read after this long is left, and reported as not fully read. */
  projectBudget: duration.default('2m'),
  /** No project is started after this long; the function's own timeout (540 s) must be above it. */
  sweepBudget: duration.default('8m'),
});

export const configSchema = z.strictObject({
  dryRun: z.boolean().default(false),
  selfPrincipals: z.array(z.string().regex(EMAIL, 'expected an e-mail address')).default([]),
  projects: z.array(projectModeSchema).default([]),
  allowedDomains: z.array(z.string().regex(DOMAIN, 'expected a domain such as example.com')).default([]),
  rules: z.record(z.string(), ruleOverrideSchema).default({}),
  exemptions: z.array(exemptionSchema).default([]),
  fightDetection: fightDetectionSchema.default({ maxReverts: 3, window: '1h' }),
  slack: slackSchema.optional(),
  breakglass: breakglassSchema.optional(),
  people: peopleSchema,
  reconcile: reconcileSchema.default({ concurrency: 16, projectBudget: '2m', sweepBudget: '8m' }),
});

export type ConfigFile = z.infer<typeof configSchema>;
