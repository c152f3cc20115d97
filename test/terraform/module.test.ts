import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SWEEP_READ_PERMISSIONS } from '../../functions/reconcile/permissions.js';
import { type Hcl, local, parseModule } from './hcl.js';

const MODULE = 'terraform/modules/runguard';
const env = { ...process.env, CHECKPOINT_DISABLE: '1' };
const hasTerraform = spawnSync('terraform', ['version'], { env }).status === 0;
if (!hasTerraform) console.warn('terraform binary not found: skipping terraform fmt and terraform test');

const tf: Hcl = await parseModule(MODULE);
const res = (type: string, name: string): Hcl => {
  const r = tf.resource?.[type]?.[name]?.[0];
  if (!r) throw new Error(`no ${type}.${name} in ${MODULE}`);
  return r;
};
const SINKS = [
  'google_logging_organization_sink',
  'google_logging_folder_sink',
  'google_logging_project_sink',
] as const;
const FUNCTIONS = ['audit_events', 'slack_interactions', 'reconcile'] as const;
/** Function resource -> its key in local.access, the naming module's functions and google_service_account.function. */
const SA_KEY = { audit_events: 'events', slack_interactions: 'interactions', reconcile: 'reconcile' } as const;
const uri = (fn: string, indexed = false) =>
  `google_cloudfunctions2_function.${fn}${indexed ? '[0]' : ''}.service_config[0].uri`;
const PUBSUB_AGENT = '${google_project_service_identity.pubsub.member}';

/** Every resource block as [address, body], for scanning who is granted what. */
const allResources = (): [string, Hcl][] =>
  Object.entries(tf.resource as Hcl).flatMap(([type, byName]) =>
    Object.entries(byName as Hcl).map(([name, blocks]) => [`${type}.${name}`, (blocks as Hcl[])[0]!] as [string, Hcl]),
  );
const IAM_TYPES = /_iam_member$/;

describe('runguard module structure (hcl2json)', () => {
  it('has one sink per level, chosen by var.level, reading local.sink_filter into the audit topic', () => {
    for (const type of SINKS) {
      const sink = res(type, 'audit');
      expect(sink.count).toMatch(/var\.level == "(organization|folder|project)"/);
      expect(sink.filter).toBe('${local.sink_filter}');
      expect(sink.destination).toBe('pubsub.googleapis.com/${google_pubsub_topic.audit.id}');
    }
    expect(res('google_logging_organization_sink', 'audit').include_children).toBe(true);
    expect(res('google_logging_folder_sink', 'audit').include_children).toBe(true);
  });

  it("grants the sink's writer identity publisher on the audit topic and nothing else", () => {
    const writerRefs: string[] = [];
    for (const [type, byName] of Object.entries(tf.resource as Hcl)) {
      for (const [name, blocks] of Object.entries(byName as Hcl)) {
        if (JSON.stringify(blocks).includes('local.sink_writer_identity')) writerRefs.push(`${type}.${name}`);
      }
    }
    expect(writerRefs).toEqual(['google_pubsub_topic_iam_member.sink_publisher']);
    const binding = res('google_pubsub_topic_iam_member', 'sink_publisher');
    expect(binding).toMatchObject({
      topic: '${google_pubsub_topic.audit.name}',
      role: 'roles/pubsub.publisher',
      member: '${local.sink_writer_identity}',
    });
    const identity = String(tf.locals.find((l: Hcl) => 'sink_writer_identity' in l).sink_writer_identity);
    for (const type of SINKS) expect(identity).toContain(`${type}.audit[*].writer_identity`);
  });

  it('pushes the audit topic to auditEvents through its own subscription, signed with OIDC', () => {
    const fn = res('google_cloudfunctions2_function', 'audit_events');
    expect(fn.build_config[0].entry_point).toBe('auditEvents');
    // One delivery path only: an Eventarc trigger beside the subscription would handle every change twice.
    expect(fn.event_trigger).toBeUndefined();
    expect(fn.service_config[0].ingress_settings).toBe('ALLOW_INTERNAL_ONLY');
    const sub = res('google_pubsub_subscription', 'audit_push');
    expect(sub.topic).toBe('${google_pubsub_topic.audit.id}');
    const push = sub.push_config[0];
    // The path carries the topic so that the Functions Framework can set the CloudEvent source.
    expect(push.push_endpoint).toBe(`\${${uri('audit_events')}}/\${google_pubsub_topic.audit.id}`);
    expect(push.no_wrapper).toBeUndefined(); // the Functions Framework needs the {message, subscription} body
    expect(push.oidc_token[0]).toEqual({
      service_account_email: '${google_service_account.pusher["events"].email}',
      audience: `\${${uri('audit_events')}}`,
    });
    expect(sub.expiration_policy[0].ttl).toBe('');
    expect(sub.retry_policy[0]).toEqual({ minimum_backoff: '10s', maximum_backoff: '600s' });
    expect(tf.resource.eventarc_trigger ?? tf.resource.google_eventarc_trigger).toBeUndefined();
    expect(local(tf, 'apis')).not.toContain('eventarc.googleapis.com');
  });

  it('dead-letters audit events after 10 attempts, with the Pub/Sub service agent able to do it', () => {
    const sub = res('google_pubsub_subscription', 'audit_push');
    expect(sub.dead_letter_policy[0]).toEqual({
      dead_letter_topic: '${google_pubsub_topic.dead_letter.id}',
      max_delivery_attempts: 10,
    });
    expect(res('google_pubsub_topic_iam_member', 'pubsub_agent_dead_letter_publisher')).toMatchObject({
      topic: '${google_pubsub_topic.dead_letter.name}',
      role: 'roles/pubsub.publisher',
      member: PUBSUB_AGENT,
    });
    expect(res('google_pubsub_subscription_iam_member', 'pubsub_agent_audit_subscriber')).toMatchObject({
      subscription: '${google_pubsub_subscription.audit_push.name}',
      role: 'roles/pubsub.subscriber',
      member: PUBSUB_AGENT,
    });
    expect(res('google_project_service_identity', 'pubsub')).toMatchObject({
      service: 'pubsub.googleapis.com',
      provider: '${google-beta}',
    });
    // Something holds what is dead-lettered, and the alert watches exactly that.
    expect(res('google_pubsub_subscription', 'dead_letter_hold').topic).toBe('${google_pubsub_topic.dead_letter.id}');
    expect(res('google_monitoring_alert_policy', 'dead_letter').conditions[0].condition_threshold[0].filter).toContain(
      '${google_pubsub_subscription.dead_letter_hold.name}',
    );
  });

  it(
    'gives every push an ack deadline no shorter than the function timeout, ' + 'within the Pub/Sub and gen2 limits',
    () => {
      const ack = local(tf, 'push_ack_deadline_seconds') as number;
      const timeout = local(tf, 'pushed_function_timeout_seconds') as number;
      expect(ack).toBeLessThanOrEqual(600); // Pub/Sub's maximum
      expect(timeout).toBeLessThanOrEqual(540); // gen2 event-driven maximum
      expect(ack).toBeGreaterThanOrEqual(timeout);
      for (const [sub, fn] of [
        ['audit_push', 'audit_events'],
        ['reconcile_push', 'reconcile'],
      ] as const) {
        expect(res('google_pubsub_subscription', sub).ack_deadline_seconds, sub).toBe(
          '${local.push_ack_deadline_seconds}',
        );
        expect(res('google_cloudfunctions2_function', fn).service_config[0].timeout_seconds, fn).toBe(
          '${local.pushed_function_timeout_seconds}',
        );
      }
    },
  );

  it('starts reconcile from Cloud Scheduler through the reconcile topic, once, one sweep at a time', () => {
    const job = res('google_cloud_scheduler_job', 'reconcile');
    expect(job.http_target).toBeUndefined();
    expect(job.pubsub_target[0].topic_name).toBe('${google_pubsub_topic.reconcile[0].id}');
    expect(job.pubsub_target[0].data).toMatch(/^\$\{base64encode\(/); // Pub/Sub refuses an empty message
    const sub = res('google_pubsub_subscription', 'reconcile_push');
    expect(sub.topic).toBe('${google_pubsub_topic.reconcile[0].id}');
    expect(sub.push_config[0].push_endpoint).toBe(
      `\${${uri('reconcile', true)}}/\${google_pubsub_topic.reconcile[0].id}`,
    );
    expect(sub.push_config[0].oidc_token[0]).toEqual({
      service_account_email: '${google_service_account.pusher["reconcile"].email}',
      audience: `\${${uri('reconcile', true)}}`,
    });
    // Retries off: the earliest redelivery (600 s backoff) comes after the message expires (600 s).
    expect(sub.dead_letter_policy).toBeUndefined();
    expect(sub.message_retention_duration).toBe('600s');
    expect(sub.retry_policy[0]).toEqual({ minimum_backoff: '600s', maximum_backoff: '600s' });
    expect(Number.parseInt(sub.retry_policy[0].minimum_backoff, 10)).toBeGreaterThanOrEqual(
      Number.parseInt(sub.message_retention_duration, 10),
    );
    const fn = res('google_cloudfunctions2_function', 'reconcile');
    expect(fn.build_config[0].entry_point).toBe('reconcile');
    expect(fn.event_trigger).toBeUndefined();
    expect(fn.service_config[0]).toMatchObject({
      max_instance_count: 1,
      max_instance_request_concurrency: 1,
      ingress_settings: 'ALLOW_INTERNAL_ONLY',
    });
    for (const r of [job, sub, fn, res('google_pubsub_topic', 'reconcile')])
      expect(r.count).toBe('${var.enable_reconcile ? 1 : 0}');
    expect((tf.variable as Hcl).enable_reconcile[0].default).toBe(true);
  });

  it('asks reconcile for the weekly report from its own job: Monday 09:00 in a configurable zone', () => {
    const job = res('google_cloud_scheduler_job', 'weekly_report');
    expect(job.count).toBe('${var.enable_reconcile && var.enable_weekly_report ? 1 : 0}');
    expect(job.schedule).toBe('${var.weekly_report_schedule}');
    expect(job.time_zone).toBe('${var.weekly_report_time_zone}');
    expect(job.pubsub_target[0].topic_name).toBe('${google_pubsub_topic.reconcile[0].id}');
    // functions/report/request.ts reads {"report":"weekly"}.
    expect(job.pubsub_target[0].data).toMatch(/^\$\{base64encode\(jsonencode\(\{ ?report ?= ?"weekly"/);
    const vars = tf.variable as Hcl;
    expect(vars.weekly_report_schedule[0].default).toBe('0 9 * * 1');
    expect(vars.weekly_report_time_zone[0].default).toBe('Etc/UTC');
    expect(vars.enable_weekly_report[0].default).toBe(true);
    // The reconcile identity already reads the store and holds the token. The one grant the report adds is
    // reading the folder tree, for the recommended guardrails' placement: read-only, on the watched level,
    // only with the report on, and none at project level (one project is its own narrowest cover).
    const grants = allResources().filter(
      ([address, r]) => IAM_TYPES.test(address.split('.')[0]!) && /report/.test(JSON.stringify(r)),
    );
    expect(grants.map(([address]) => address).sort()).toEqual([
      'google_folder_iam_member.report_folder_viewer',
      'google_organization_iam_member.report_folder_viewer',
    ]);
    for (const [, r] of grants) {
      expect(r.role).toBe('roles/resourcemanager.folderViewer');
      expect(String(r.for_each)).toMatch(
        /var\.enable_weekly_report && var\.level == "(organization|folder)" \? local\.sweepers/,
      );
    }
  });

  it('keeps the decision history as long as history_retention_days says (RUNGUARD_HISTORY_RETENTION)', () => {
    const commonEnv = local(tf, 'common_env') as Hcl;
    expect(commonEnv.RUNGUARD_HISTORY_RETENTION).toBe('${var.history_retention_days}d');
    expect((tf.variable as Hcl).history_retention_days[0].default).toBe(400);
  });

  it('tells reconcile the scope to sweep', () => {
    expect(res('google_cloudfunctions2_function', 'reconcile').service_config[0].environment_variables).toBe(
      '${local.reconcile_env}',
    );
    expect(local(tf, 'reconcile_env')).toBe(
      '${merge(local.common_env, { RUNGUARD_SCOPE = module.naming.sink_parent })}',
    );
  });

  it('keeps slackInteractions warm and reachable by Slack', () => {
    const fn = res('google_cloudfunctions2_function', 'slack_interactions');
    expect(fn.build_config[0].entry_point).toBe('slackInteractions');
    expect(fn.service_config[0]).toMatchObject({ min_instance_count: 1, ingress_settings: 'ALLOW_ALL' });
    expect(res('google_cloud_run_service_iam_member', 'slack_interactions_public').service).toBe(
      '${google_cloudfunctions2_function.slack_interactions.name}',
    );
    expect(res('google_cloudfunctions2_function', 'reconcile').count).toContain('var.enable_reconcile');
  });

  it('passes Slack secrets only through secret_environment_variables', () => {
    for (const name of FUNCTIONS) {
      const sc = res('google_cloudfunctions2_function', name).service_config[0];
      expect(sc.environment_variables).toBe(
        { reconcile: '${local.reconcile_env}', slack_interactions: '${local.interactions_env}' }[name as string] ??
          '${local.common_env}',
      );
      for (const s of sc.secret_environment_variables ?? [])
        expect(s.secret).toMatch(
          /^\$\{google_secret_manager_secret\.slack\["(bot_token|signing_secret)"\]\.secret_id\}$/,
        );
    }
    const commonEnv = local(tf, 'common_env') as Hcl;
    expect(Object.keys(commonEnv).filter((k) => /SLACK|SECRET|TOKEN/i.test(k))).toEqual([]);
    expect(commonEnv.RUNGUARD_STATE_STORE).toBe('firestore');
    // The claim lease is derived from the timeout the functions really have.
    expect(commonEnv.RUNGUARD_FUNCTION_TIMEOUT_SECONDS).toBe('${tostring(local.pushed_function_timeout_seconds)}');
    const keys = (fn: string) =>
      res('google_cloudfunctions2_function', fn)
        .service_config[0].secret_environment_variables.map((s: Hcl) => s.key)
        .sort();
    expect(keys('slack_interactions')).toEqual(['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']);
    expect(keys('audit_events')).toEqual(['SLACK_BOT_TOKEN']);
    expect(keys('reconcile')).toEqual(['SLACK_BOT_TOKEN']);
    // No secret version is created here, and no variable carries a secret value.
    expect(tf.resource.google_secret_manager_secret_version).toBeUndefined();
    expect(Object.keys(tf.variable).filter((k) => /token|secret|password/i.test(k))).toEqual([]);
  });

  it('tells slackInteractions the one workspace and app it serves (ids, validated; not secrets)', () => {
    const env = String(local(tf, 'interactions_env'));
    expect(env).toMatch(/^\$\{merge\(local\.common_env, \{/);
    expect(env).toMatch(/SLACK_TEAM_ID\s+= var\.slack_team_id/);
    expect(env).toMatch(/SLACK_APP_ID\s+= var\.slack_app_id/);
    const vars = tf.variable as Hcl;
    for (const name of ['slack_team_id', 'slack_app_id']) expect(vars[name]?.[0]?.validation, name).toBeDefined();
  });

  it('exposes no secret in an output', () => {
    const outputs = tf.output as Hcl;
    expect(outputs.interactivity_url[0].value).toBe(
      '${google_cloudfunctions2_function.slack_interactions.service_config[0].uri}',
    );
    for (const [name, [o]] of Object.entries(outputs) as [string, Hcl[]][]) {
      expect(JSON.stringify(o!.value), name).not.toMatch(
        /secret_version|secret_data|\.payload|var\.[a-z_]*(token|secret)/,
      );
      expect(o!.sensitive, name).toBeUndefined();
    }
  });

  it('builds the remediation role from local.remediation_permissions', () => {
    expect(res('google_organization_iam_custom_role', 'remediation').permissions).toBe(
      '${local.remediation_permissions}',
    );
    expect(res('google_project_iam_custom_role', 'remediation').permissions).toBe('${local.remediation_permissions}');
  });

  it('builds the sweep role from local.sweep_permissions, which is exactly SWEEP_READ_PERMISSIONS', () => {
    expect(res('google_organization_iam_custom_role', 'sweep').permissions).toBe('${local.sweep_permissions}');
    expect(res('google_project_iam_custom_role', 'sweep').permissions).toBe('${local.sweep_permissions}');
    expect(local(tf, 'sweep_permissions')).toEqual([...SWEEP_READ_PERMISSIONS].sort());
    // Read-only: nothing in it changes a resource (reverting is the remediation role's job).
    for (const p of local(tf, 'sweep_permissions') as string[]) expect(p).toMatch(/\.(get|list|getIamPolicy)$/);
    // Granted on the whole watched level, whatever projects_in_enforce says.
    expect(res('google_organization_iam_member', 'sweep')).toMatchObject({
      for_each: '${var.level == "organization" ? local.sweepers : {}}',
      role: '${local.sweep_role_id}',
    });
    expect(res('google_folder_iam_member', 'sweep')).toMatchObject({
      for_each: '${var.level == "folder" ? local.sweepers : {}}',
      role: '${local.sweep_role_id}',
    });
    expect(res('google_project_iam_member', 'sweep')).toMatchObject({
      for_each: '${var.level == "project" ? local.sweepers : {}}',
      project: '${local.watched_project_id}',
      role: '${local.sweep_role_id}',
    });
  });

  it('puts a TTL on expireAt, runguard-claims included', () => {
    const field = res('google_firestore_field', 'expire_at');
    expect(field.field).toBe('expireAt');
    expect(field.ttl_config).toBeDefined();
  });

  it('counts decisions by rule and action', () => {
    const m = res('google_logging_metric', 'decisions');
    expect(m.filter).toBe('jsonPayload.event="decision"');
    expect(m.label_extractors).toEqual({ rule: 'EXTRACT(jsonPayload.rule)', action: 'EXTRACT(jsonPayload.action)' });
  });

  it('watches runguard itself: a metric per failure kind on the event field, and one policy paging on each', () => {
    const m = res('google_logging_metric', 'self_watch');
    expect(m.for_each).toBe('${local.self_watch}');
    const kinds = local(tf, 'self_watch') as Record<string, { filter: string }>;
    expect(Object.keys(kinds).sort()).toEqual(['alert-undelivered', 'failed', 'fight', 'malformed', 'rule-error']);
    expect(kinds['alert-undelivered']!.filter).toBe('jsonPayload.event="alert-undelivered"');
    expect(kinds['rule-error']!.filter).toBe('jsonPayload.event="rule-error"');
    expect(kinds.malformed!.filter).toBe('jsonPayload.event="malformed"');
    expect(kinds.failed!.filter).toContain('jsonPayload.event="failed"');
    expect(kinds.fight!.filter).toBe('jsonPayload.event="decision" AND jsonPayload.done="fighting"');
    // Only runguard's own functions' lines count.
    expect(m.filter).toContain('resource.labels.service_name=(');
    expect(m.filter).toContain('${each.value.filter}');
    const p = res('google_monitoring_alert_policy', 'self_watch');
    expect(p.notification_channels).toBe('${local.self_watch_channels}');
    const cond = p.dynamic.conditions[0];
    expect(cond.for_each).toBe('${local.self_watch}');
    expect(cond.content[0].condition_threshold[0].filter).toContain(
      'logging.googleapis.com/user/${google_logging_metric.self_watch[conditions.key].name}',
    );
    expect(local(tf, 'self_watch_channels')).toBe(
      '${coalesce(var.self_watch_notification_channels, var.alert_notification_channels)}',
    );
    const vars = tf.variable as Hcl;
    for (const name of ['self_watch_notification_channels', 'self_watch_alignment_period']) {
      expect(vars[name]?.[0]?.validation, name).toBeDefined();
      expect(vars[name][0].description, name).toBeTruthy();
    }
  });

  it('validates level, ids and region', () => {
    const vars = tf.variable as Hcl;
    for (const name of ['level', 'organization_id', 'folder_id', 'project_id', 'region', 'projects_in_enforce']) {
      expect(vars[name]?.[0]?.validation, name).toBeDefined();
      expect(vars[name][0].description, name).toBeTruthy();
    }
  });
});

describe('runguard identities: every grant, and why', () => {
  // What each function's own service account holds (local.access in main.tf). Change this table only
  // together with the code that needs the permission.
  const EXPECTED_ACCESS = {
    // decode → observe → act (enforcement/act.ts remediates) → notify → record
    events: {
      host_roles: ['roles/datastore.user', 'roles/logging.logWriter'],
      secrets: ['bot_token'],
      remediation: true,
      sweep: false,
      publishes: [],
    },
    // verifies Slack signatures; "Revert now" is published as a request for auditEvents (interactions/revert-now.ts)
    interactions: {
      host_roles: ['roles/datastore.user', 'roles/logging.logWriter'],
      secrets: ['bot_token', 'signing_secret'],
      remediation: false,
      sweep: false,
      publishes: ['revert_requests'],
    },
    // reads the whole level, reverts in enforce projects, posts a summary; never receives Slack requests
    reconcile: {
      host_roles: ['roles/datastore.user', 'roles/logging.logWriter'],
      secrets: ['bot_token'],
      remediation: true,
      sweep: true,
      publishes: [],
    },
  };

  it('states who holds what in one table', () => {
    expect(local(tf, 'access')).toEqual(EXPECTED_ACCESS);
    const access = local(tf, 'access') as typeof EXPECTED_ACCESS;
    expect(access.reconcile.secrets).not.toContain('signing_secret');
    expect(access.events.secrets).not.toContain('signing_secret');
    expect(
      Object.entries(access)
        .filter(([, a]) => a.sweep)
        .map(([f]) => f),
    ).toEqual(['reconcile']);
    // slackInteractions holds no remediation: Revert now is a request, and its dependencies have no Cloud Run client.
    expect(readFileSync('functions/interactions/revert-now.ts', 'utf8')).not.toMatch(/deps\.remediate|deps\.getRun/);
    expect(readFileSync('functions/interactions/types.ts', 'utf8')).not.toMatch(/RunPort|RemediateFn/);
    // A switched-off reconcile holds nothing.
    expect(local(tf, 'granted_functions')).toBe(
      '${[for f in keys(local.access) : f if f != "reconcile" || var.enable_reconcile]}',
    );
  });

  it('grants function service accounts nothing that does not come from that table', () => {
    const fromTable: Record<string, { for_each: RegExp; member: string }> = {
      'google_project_iam_member.host': {
        for_each: /local\.access\[f\]\.host_roles/,
        member: '${local.function_members[each.value.fn]}',
      },
      'google_secret_manager_secret_iam_member.function': {
        for_each: /local\.access\[f\]\.secrets/,
        member: '${local.function_members[each.value.fn]}',
      },
      'google_organization_iam_member.remediation': { for_each: /local\.remediators/, member: '${each.value}' },
      'google_folder_iam_member.remediation': { for_each: /local\.remediators/, member: '${each.value}' },
      'google_project_iam_member.remediation': {
        for_each: /local\.remediators/,
        member: '${local.remediators[each.value.sa]}',
      },
      'google_organization_iam_member.sweep': { for_each: /local\.sweepers/, member: '${each.value}' },
      'google_folder_iam_member.sweep': { for_each: /local\.sweepers/, member: '${each.value}' },
      'google_project_iam_member.sweep': { for_each: /local\.sweepers/, member: '${each.value}' },
      'google_organization_iam_member.report_folder_viewer': { for_each: /local\.sweepers/, member: '${each.value}' },
      'google_folder_iam_member.report_folder_viewer': { for_each: /local\.sweepers/, member: '${each.value}' },
      'google_pubsub_topic_iam_member.function': {
        for_each: /local\.access\[f\]\.publishes/,
        member: '${local.function_members[each.value.fn]}',
      },
    };
    for (const [address, want] of Object.entries(fromTable)) {
      const [type, name] = address.split('.') as [string, string];
      const r = res(type, name);
      expect(String(r.for_each), address).toMatch(want.for_each);
      expect(r.member, address).toBe(want.member);
    }
    expect(String(local(tf, 'remediators'))).toContain('if local.access[f].remediation');
    expect(String(local(tf, 'sweepers'))).toContain('if local.access[f].sweep');
    for (const l of ['remediators', 'sweepers'])
      expect(String(local(tf, l))).toContain('for f in local.granted_functions');
    // Any other grant reaching a function's service account would bypass the table.
    const FUNCTION_SA = /google_service_account\.function|local\.function_members|local\.remediators|local\.sweepers/;
    const granting = allResources()
      .filter(
        ([address, r]) =>
          IAM_TYPES.test(address.split('.')[0]!) &&
          (FUNCTION_SA.test(String(r.member)) || FUNCTION_SA.test(String(r.for_each))),
      )
      .map(([address]) => address)
      .sort();
    expect(granting).toEqual(Object.keys(fromTable).sort());
  });

  it('gives every function its own service account, distinct from the push identities', () => {
    const used = FUNCTIONS.map(
      (fn) => res('google_cloudfunctions2_function', fn).service_config[0].service_account_email,
    );
    expect(used).toEqual(FUNCTIONS.map((fn) => `\${google_service_account.function["${SA_KEY[fn]}"].email}`));
    expect(new Set(used).size).toBe(FUNCTIONS.length);
    expect(res('google_service_account', 'function').for_each).toBe('${module.naming.service_account_ids}');
    expect(String(res('google_service_account', 'pusher').for_each)).toContain('module.naming.pusher_ids');
  });

  it('lets each push identity invoke its own function and nothing else', () => {
    expect(res('google_cloud_run_service_iam_member', 'pusher_invoker')).toMatchObject({
      for_each: '${google_service_account.pusher}',
      service: '${local.pushed_services[each.key]}',
      role: 'roles/run.invoker',
      member: '${each.value.member}',
    });
    expect(local(tf, 'pushed_services')).toEqual({
      events: '${google_cloudfunctions2_function.audit_events.name}',
      reconcile: '${one(google_cloudfunctions2_function.reconcile[*].name)}',
    });
    // The push identities appear in no other grant; the functions' own accounts invoke nothing.
    const pusherGrants = allResources().filter(
      ([address, r]) =>
        IAM_TYPES.test(address.split('.')[0]!) && /google_service_account\.pusher/.test(`${r.member} ${r.for_each}`),
    );
    expect(pusherGrants.map(([a]) => a).sort()).toEqual([
      'google_cloud_run_service_iam_member.pusher_invoker',
      'google_service_account_iam_member.pubsub_agent_token_creator',
    ]);
    const invokers = allResources()
      .filter(([, r]) => r.role === 'roles/run.invoker')
      .map(([a, r]) => `${a} ${r.member}`);
    expect(invokers.sort()).toEqual([
      'google_cloud_run_service_iam_member.pusher_invoker ${each.value.member}',
      'google_cloud_run_service_iam_member.slack_interactions_public allUsers',
    ]);
  });

  it('lets the Pub/Sub service agent mint tokens for the push identities only', () => {
    expect(res('google_service_account_iam_member', 'pubsub_agent_token_creator')).toMatchObject({
      for_each: '${google_service_account.pusher}',
      service_account_id: '${each.value.name}',
      role: 'roles/iam.serviceAccountTokenCreator',
      member: PUBSUB_AGENT,
    });
    const agentGrants = allResources()
      .filter(([, r]) => r.member === PUBSUB_AGENT)
      .map(([a, r]) => `${a} ${r.role}`);
    expect(agentGrants.sort()).toEqual([
      'google_pubsub_subscription_iam_member.pubsub_agent_audit_subscriber roles/pubsub.subscriber',
      'google_pubsub_subscription_iam_member.pubsub_agent_revert_subscriber roles/pubsub.subscriber',
      'google_pubsub_topic_iam_member.pubsub_agent_dead_letter_publisher roles/pubsub.publisher',
      'google_service_account_iam_member.pubsub_agent_token_creator roles/iam.serviceAccountTokenCreator',
    ]);
  });
});

describe('slackInteractions can ask for a revert, never make one', () => {
  /** Every grant whose member or for_each can reach the interactions service account, with its role. */
  const interactionsGrants = () => {
    const access = local(tf, 'access') as Record<string, Record<string, unknown>>;
    return allResources().filter(([address, r]) => {
      if (!IAM_TYPES.test(address.split('.')[0]!)) return false;
      const text = `${r.member} ${r.for_each}`;
      if (/google_service_account\.function\["interactions"\]/.test(text)) return true;
      // Table-driven grants reach interactions only through the table's own fields.
      if (/local\.remediators/.test(text)) return access.interactions!.remediation === true;
      if (/local\.sweepers/.test(text)) return access.interactions!.sweep === true;
      return /local\.access\[f\]|local\.function_members/.test(text);
    });
  };

  it('holds no Cloud Run write permission: neither the remediation role nor any roles/run.* role', () => {
    const access = local(tf, 'access') as Record<
      string,
      { remediation: boolean; sweep: boolean; host_roles: string[] }
    >;
    expect(access.interactions!.remediation).toBe(false);
    expect(access.interactions!.sweep).toBe(false);
    expect(access.interactions!.host_roles.filter((r) => /^roles\/(run|owner|editor|cloudfunctions)/.test(r))).toEqual(
      [],
    );
    const roles = interactionsGrants().map(([address, r]) => `${address} ${r.role}`);
    expect(roles.sort()).toEqual([
      'google_project_iam_member.host ${each.value.role}',
      'google_pubsub_topic_iam_member.function roles/pubsub.publisher',
      'google_secret_manager_secret_iam_member.function roles/secretmanager.secretAccessor',
    ]);
    // The remediation permissions include Cloud Run writes; the remediators exclude a function without `remediation`.
    expect(local(tf, 'remediation_permissions')).toEqual(expect.arrayContaining(['run.services.update']));
    expect(String(local(tf, 'remediators'))).toContain('if local.access[f].remediation');
  });

  it('publishes to the revert-requests topic only, which pushes to auditEvents', () => {
    expect(local(tf, 'publish_topics')).toEqual({ revert_requests: '${google_pubsub_topic.revert_requests.name}' });
    expect(res('google_pubsub_topic_iam_member', 'function')).toMatchObject({
      topic: '${local.publish_topics[each.value.topic]}',
      role: 'roles/pubsub.publisher',
    });
    const push = res('google_pubsub_subscription', 'revert_push');
    expect(push.topic).toBe('${google_pubsub_topic.revert_requests.id}');
    expect(push.push_config[0].push_endpoint).toContain(uri('audit_events'));
    expect(push.push_config[0].oidc_token[0].service_account_email).toBe(
      '${google_service_account.pusher["events"].email}',
    );
    expect(push.dead_letter_policy[0].dead_letter_topic).toBe('${google_pubsub_topic.dead_letter.id}');
    expect(String(local(tf, 'interactions_env'))).toContain(
      'RUNGUARD_REVERT_TOPIC = google_pubsub_topic.revert_requests.id',
    );
  });
});

describe.skipIf(!hasTerraform)('terraform CLI (offline)', () => {
  it('terraform fmt -check -recursive terraform', () => {
    const r = spawnSync('terraform', ['fmt', '-check', '-recursive', '-diff', 'terraform'], { env, encoding: 'utf8' });
    expect(r.status, r.stdout).toBe(0);
  });

  it('terraform test in the provider-free naming module', () => {
    const out = execFileSync('terraform', ['-chdir=terraform/modules/naming', 'test', '-no-color'], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(out).toMatch(/Success! \d+ passed, 0 failed/);
  }, 20_000);
});
