import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { type Hcl, parseModule } from './hcl.js';

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
const SINKS = ['google_logging_organization_sink', 'google_logging_folder_sink', 'google_logging_project_sink'] as const;
const FUNCTIONS = ['audit_events', 'slack_interactions', 'reconcile'] as const;

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
    expect(binding).toMatchObject({ topic: '${google_pubsub_topic.audit.name}', role: 'roles/pubsub.publisher', member: '${local.sink_writer_identity}' });
    const identity = String(tf.locals.find((l: Hcl) => 'sink_writer_identity' in l).sink_writer_identity);
    for (const type of SINKS) expect(identity).toContain(`${type}.audit[*].writer_identity`);
  });

  it('triggers auditEvents from the audit topic with retries', () => {
    const fn = res('google_cloudfunctions2_function', 'audit_events');
    expect(fn.build_config[0].entry_point).toBe('auditEvents');
    expect(fn.event_trigger[0]).toMatchObject({
      pubsub_topic: '${google_pubsub_topic.audit.id}',
      retry_policy: 'RETRY_POLICY_RETRY',
      event_type: 'google.cloud.pubsub.topic.v1.messagePublished',
    });
  });

  it('keeps slackInteractions warm and reachable by Slack', () => {
    const fn = res('google_cloudfunctions2_function', 'slack_interactions');
    expect(fn.build_config[0].entry_point).toBe('slackInteractions');
    expect(fn.service_config[0]).toMatchObject({ min_instance_count: 1, ingress_settings: 'ALLOW_ALL' });
    expect(res('google_cloud_run_service_iam_member', 'slack_interactions_public').service).toBe('${google_cloudfunctions2_function.slack_interactions.name}');
    expect(res('google_cloudfunctions2_function', 'reconcile').count).toContain('var.enable_reconcile');
  });

  it('passes Slack secrets only through secret_environment_variables', () => {
    for (const name of FUNCTIONS) {
      const sc = res('google_cloudfunctions2_function', name).service_config[0];
      expect(sc.environment_variables).toBe('${local.common_env}');
      for (const s of sc.secret_environment_variables ?? []) expect(s.secret).toMatch(/^\$\{google_secret_manager_secret\.slack\["(bot_token|signing_secret)"\]\.secret_id\}$/);
    }
    const commonEnv = tf.locals.find((l: Hcl) => 'common_env' in l).common_env as Hcl;
    expect(Object.keys(commonEnv).filter((k) => /SLACK|SECRET|TOKEN/i.test(k))).toEqual([]);
    expect(commonEnv.RUNGUARD_STATE_STORE).toBe('firestore');
    const interactionKeys = res('google_cloudfunctions2_function', 'slack_interactions').service_config[0].secret_environment_variables.map((s: Hcl) => s.key);
    expect(interactionKeys.sort()).toEqual(['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']);
    // No secret version is created here, and no variable carries a secret value.
    expect(tf.resource.google_secret_manager_secret_version).toBeUndefined();
    expect(Object.keys(tf.variable).filter((k) => /token|secret|password/i.test(k))).toEqual([]);
  });

  it('exposes no secret in an output', () => {
    const outputs = tf.output as Hcl;
    expect(outputs.interactivity_url[0].value).toBe('${google_cloudfunctions2_function.slack_interactions.service_config[0].uri}');
    for (const [name, [o]] of Object.entries(outputs) as [string, Hcl[]][]) {
      expect(JSON.stringify(o!.value), name).not.toMatch(/secret_version|secret_data|\.payload|var\.[a-z_]*(token|secret)/);
      expect(o!.sensitive, name).toBeUndefined();
    }
  });

  it('builds the remediation role from local.remediation_permissions', () => {
    expect(res('google_organization_iam_custom_role', 'remediation').permissions).toBe('${local.remediation_permissions}');
    expect(res('google_project_iam_custom_role', 'remediation').permissions).toBe('${local.remediation_permissions}');
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

  it('validates level, ids and region', () => {
    const vars = tf.variable as Hcl;
    for (const name of ['level', 'organization_id', 'folder_id', 'project_id', 'region', 'projects_in_enforce']) {
      expect(vars[name]?.[0]?.validation, name).toBeDefined();
      expect(vars[name][0].description, name).toBeTruthy();
    }
  });
});

describe.skipIf(!hasTerraform)('terraform CLI (offline)', () => {
  it('terraform fmt -check -recursive terraform', () => {
    const r = spawnSync('terraform', ['fmt', '-check', '-recursive', '-diff', 'terraform'], { env, encoding: 'utf8' });
    expect(r.status, r.stdout).toBe(0);
  });

  it('terraform test in the provider-free naming module', () => {
    const out = execFileSync('terraform', ['-chdir=terraform/modules/naming', 'test', '-no-color'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(out).toMatch(/Success! \d+ passed, 0 failed/);
  }, 20_000);
});
