# runguard: Log Router sink -> Pub/Sub push subscription -> auditEvents (Cloud Functions gen2),
# Slack interactivity, the scheduled reconcile sweep, Firestore state, least-privilege roles.
# local.sink_filter, local.remediation_permissions and local.sweep_permissions come from
# generated.tf.json (scripts/generate-terraform-inputs.ts).
#
#   main.tf        names, who-holds-what, APIs
#   sink.tf        the audit path: sink, topic, push subscription, dead letters
#   schedule.tf    the reconcile path: scheduler job, topic, push subscription
#   functions.tf   source bucket and the three functions
#   iam.tf         service accounts, custom roles and every grant
#   secrets.tf     Slack secrets (no values)
#   state.tf       Firestore
#   monitoring.tf  decision metric and alert policies

module "naming" {
  source = "../naming"

  prefix             = var.prefix
  level              = var.level
  organization_id    = var.organization_id
  folder_id          = var.folder_id
  watched_project_id = local.watched_project_id
}

locals {
  watched_project_id = coalesce(var.watched_project_id, var.project_id)
  names              = module.naming.names
  function_names     = module.naming.function_names

  # What each function's own service account holds, in one table so that a review (and
  # test/terraform/module.test.ts) sees every grant at once. iam.tf only expands it.
  #   host_roles   roles in the host project (state store, logs)
  #   secrets      Slack secrets it may read: only interactions verifies signatures
  #   remediation  the remediation role where reverts are allowed: auditEvents reverts (its own
  #                findings and the "Revert now" requests slackInteractions passes on), and the sweep
  #                reverts in enforce mode. slackInteractions is on the internet: it holds no Cloud Run
  #                permission at all, it can only ask.
  #   sweep        the read-only sweep role on the whole watched level
  #   publishes    topics it may publish to: slackInteractions, the revert requests
  access = {
    events = {
      host_roles  = ["roles/datastore.user", "roles/logging.logWriter"]
      secrets     = ["bot_token"]
      remediation = true
      sweep       = false
      publishes   = []
    }
    interactions = {
      host_roles  = ["roles/datastore.user", "roles/logging.logWriter"]
      secrets     = ["bot_token", "signing_secret"]
      remediation = false
      sweep       = false
      publishes   = ["revert_requests"]
    }
    reconcile = {
      host_roles  = ["roles/datastore.user", "roles/logging.logWriter"]
      secrets     = ["bot_token"]
      remediation = true
      sweep       = true
      publishes   = []
    }
  }

  # A switched-off reconcile keeps its (empty) service account but holds nothing.
  granted_functions = [for f in keys(local.access) : f if f != "reconcile" || var.enable_reconcile]

  # The configuration ships inside the source zip (scripts/bundle.ts --config); Cloud Functions gen2
  # runs the source from /workspace.
  # RUNGUARD_FUNCTION_TIMEOUT_SECONDS: a delivery's claim on an entry must outlast the function's
  # timeout, so the lease is derived from it (plus a margin).
  common_env = {
    RUNGUARD_CONFIG                   = "/workspace/runguard.yaml"
    RUNGUARD_RULES_DIR                = "/workspace/rules"
    RUNGUARD_STATE_STORE              = "firestore"
    RUNGUARD_FUNCTION_TIMEOUT_SECONDS = tostring(local.pushed_function_timeout_seconds)
    RUNGUARD_HISTORY_RETENTION        = "${var.history_retention_days}d"
  }

  # slackInteractions serves one workspace and one app; ids, not secrets.
  interactions_env = merge(local.common_env, {
    SLACK_TEAM_ID         = var.slack_team_id
    SLACK_APP_ID          = var.slack_app_id
    RUNGUARD_REVERT_TOPIC = google_pubsub_topic.revert_requests.id
  })

  # The sweep lists projects under the level the sink watches: organizations/N, folders/N or projects/P.
  reconcile_env = merge(local.common_env, { RUNGUARD_SCOPE = module.naming.sink_parent })

  # Pub/Sub waits this long for a push response before it counts a delivery as failed. It must
  # outlast the function's timeout, or a slow but successful run (auditEvents queued behind Slack's
  # 1 message/s per channel, a long sweep) is redelivered while it is still running.
  push_ack_deadline_seconds = 600
  # 600 s is also the most Pub/Sub allows, so a pushed function must answer sooner. 540 s keeps a
  # margin for the push round trip and is the gen2 limit for event-driven functions, so the value
  # stays valid if a function ever moves back to an Eventarc trigger.
  pushed_function_timeout_seconds = 540

  apis = [
    "cloudfunctions.googleapis.com",
    "run.googleapis.com",
    "pubsub.googleapis.com",
    "cloudbuild.googleapis.com",
    "artifactregistry.googleapis.com",
    "secretmanager.googleapis.com",
    "firestore.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "cloudscheduler.googleapis.com",
    "iam.googleapis.com",
    # The sweep lists projects through Resource Manager; calls are billed to the host project.
    "cloudresourcemanager.googleapis.com",
  ]
}

resource "google_project_service" "apis" {
  for_each = toset(local.apis)

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}
