# runguard: Log Router sink -> Pub/Sub -> auditEvents (Cloud Functions gen2), Slack interactivity,
# Firestore state, least-privilege remediation role. local.sink_filter and
# local.remediation_permissions come from generated.tf.json (scripts/generate-terraform-inputs.ts).

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

  # Where the sink looks is where the remediation role is granted, unless projects_in_enforce narrows it.
  grant_on_projects = length(var.projects_in_enforce) > 0 ? toset(var.projects_in_enforce) : (var.level == "project" ? toset([local.watched_project_id]) : toset([]))
  grant_on_level    = length(var.projects_in_enforce) == 0 && var.level != "project"
  remediators = {
    events       = google_service_account.function["events"].member
    interactions = google_service_account.function["interactions"].member
  }
  remediation_role_id = module.naming.custom_role_scope == "organization" ? one(google_organization_iam_custom_role.remediation[*].name) : one(google_project_iam_custom_role.remediation[*].name)

  sink_writer_identity = one(concat(
    google_logging_organization_sink.audit[*].writer_identity,
    google_logging_folder_sink.audit[*].writer_identity,
    google_logging_project_sink.audit[*].writer_identity,
  ))

  # The configuration ships inside the source zip (scripts/bundle.ts --config); Cloud Functions gen2
  # runs the source from /workspace.
  common_env = {
    RUNGUARD_CONFIG      = "/workspace/runguard.yaml"
    RUNGUARD_RULES_DIR   = "/workspace/rules"
    RUNGUARD_STATE_STORE = "firestore"
  }

  apis = [
    "cloudfunctions.googleapis.com",
    "run.googleapis.com",
    "eventarc.googleapis.com",
    "pubsub.googleapis.com",
    "cloudbuild.googleapis.com",
    "artifactregistry.googleapis.com",
    "secretmanager.googleapis.com",
    "firestore.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "cloudscheduler.googleapis.com",
  ]
}

resource "google_project_service" "apis" {
  for_each = toset(local.apis)

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

# --- Audit log transport -------------------------------------------------------------------------

resource "google_pubsub_topic" "audit" {
  project = var.project_id
  name    = local.names.topic
  labels  = var.labels

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "dead_letter" {
  project = var.project_id
  name    = local.names.dead_letter_topic
  labels  = var.labels

  depends_on = [google_project_service.apis]
}

# Holds dead-lettered events for inspection and replay; its backlog is what the alert watches.
resource "google_pubsub_subscription" "dead_letter_hold" {
  project                    = var.project_id
  name                       = local.names.dead_letter_sub
  topic                      = google_pubsub_topic.dead_letter.id
  message_retention_duration = "604800s"
  labels                     = var.labels

  expiration_policy {
    ttl = ""
  }
}

resource "google_logging_organization_sink" "audit" {
  count = var.level == "organization" ? 1 : 0

  name             = local.names.sink
  org_id           = var.organization_id
  include_children = true
  filter           = local.sink_filter
  destination      = "pubsub.googleapis.com/${google_pubsub_topic.audit.id}"
}

resource "google_logging_folder_sink" "audit" {
  count = var.level == "folder" ? 1 : 0

  name             = local.names.sink
  folder           = var.folder_id
  include_children = true
  filter           = local.sink_filter
  destination      = "pubsub.googleapis.com/${google_pubsub_topic.audit.id}"
}

resource "google_logging_project_sink" "audit" {
  count = var.level == "project" ? 1 : 0

  name                   = local.names.sink
  project                = local.watched_project_id
  unique_writer_identity = true
  filter                 = local.sink_filter
  destination            = "pubsub.googleapis.com/${google_pubsub_topic.audit.id}"
}

# The sink's writer may publish to this topic and nothing else.
resource "google_pubsub_topic_iam_member" "sink_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.audit.name
  role    = "roles/pubsub.publisher"
  member  = local.sink_writer_identity
}

# --- Function source -----------------------------------------------------------------------------

resource "google_storage_bucket" "source" {
  project                     = var.project_id
  name                        = "${var.project_id}-${local.names.source_bucket}"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  labels                      = var.labels

  lifecycle_rule {
    condition {
      num_newer_versions = 3
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  versioning {
    enabled = true
  }
}

resource "google_storage_bucket_object" "source" {
  # The content hash in the name redeploys the functions whenever code, rules or configuration change.
  name   = "function-${filemd5(var.source_archive)}.zip"
  bucket = google_storage_bucket.source.name
  source = var.source_archive
}

# --- Identities ----------------------------------------------------------------------------------

resource "google_service_account" "function" {
  for_each = module.naming.service_account_ids

  project      = var.project_id
  account_id   = each.value
  display_name = "runguard ${each.key} function"
}

resource "google_project_iam_member" "host" {
  for_each = {
    for pair in setproduct(["events", "interactions", "reconcile"], ["roles/datastore.user", "roles/logging.logWriter"]) :
    "${pair[0]}:${pair[1]}" => { sa = pair[0], role = pair[1] }
  }

  project = var.project_id
  role    = each.value.role
  member  = google_service_account.function[each.value.sa].member
}

# --- Remediation role: exactly the permissions the remediation catalog declares -------------------

resource "google_organization_iam_custom_role" "remediation" {
  count = module.naming.custom_role_scope == "organization" ? 1 : 0

  org_id      = var.organization_id
  role_id     = local.names.custom_role_id
  title       = "runguard remediation"
  description = "Generated from functions/remediation/catalog.ts: what runguard may read and revert."
  permissions = local.remediation_permissions
}

resource "google_project_iam_custom_role" "remediation" {
  count = module.naming.custom_role_scope == "project" ? 1 : 0

  project     = local.watched_project_id
  role_id     = local.names.custom_role_id
  title       = "runguard remediation"
  description = "Generated from functions/remediation/catalog.ts: what runguard may read and revert."
  permissions = local.remediation_permissions
}

resource "google_organization_iam_member" "remediation" {
  for_each = local.grant_on_level && var.level == "organization" ? local.remediators : {}

  org_id = var.organization_id
  role   = local.remediation_role_id
  member = each.value
}

resource "google_folder_iam_member" "remediation" {
  for_each = local.grant_on_level && var.level == "folder" ? local.remediators : {}

  folder = "folders/${var.folder_id}"
  role   = local.remediation_role_id
  member = each.value
}

resource "google_project_iam_member" "remediation" {
  for_each = {
    for pair in setproduct(tolist(local.grant_on_projects), keys(local.remediators)) :
    "${pair[0]}:${pair[1]}" => { project = pair[0], sa = pair[1] }
  }

  project = each.value.project
  role    = local.remediation_role_id
  member  = local.remediators[each.value.sa]
}

# --- Slack secrets: resources only; versions are added out of band --------------------------------
#   printf %s "$TOKEN" | gcloud secrets versions add <prefix>-slack-bot-token --data-file=-

resource "google_secret_manager_secret" "slack" {
  for_each = {
    bot_token      = local.names.secret_bot_token
    signing_secret = local.names.secret_signing
  }

  project   = var.project_id
  secret_id = each.value
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_iam_member" "events_bot_token" {
  project   = var.project_id
  secret_id = google_secret_manager_secret.slack["bot_token"].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function["events"].member
}

resource "google_secret_manager_secret_iam_member" "interactions" {
  for_each = google_secret_manager_secret.slack

  project   = var.project_id
  secret_id = each.value.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function["interactions"].member
}

# --- State ---------------------------------------------------------------------------------------

resource "google_firestore_database" "default" {
  count = var.create_firestore_database ? 1 : 0

  project                 = var.project_id
  name                    = "(default)"
  location_id             = var.firestore_location
  type                    = "FIRESTORE_NATIVE"
  delete_protection_state = "DELETE_PROTECTION_ENABLED"
  deletion_policy         = "ABANDON"

  depends_on = [google_project_service.apis]
}

# TTL on expireAt for every collection the state store writes it in (runguard-claims first).
resource "google_firestore_field" "expire_at" {
  for_each = toset(module.naming.ttl_collections)

  project    = var.project_id
  database   = "(default)"
  collection = each.value
  field      = "expireAt"

  ttl_config {}

  index_config {}

  depends_on = [google_firestore_database.default]
}

# --- Functions -----------------------------------------------------------------------------------

resource "google_cloudfunctions2_function" "audit_events" {
  project  = var.project_id
  name     = local.function_names.events
  location = var.region
  labels   = var.labels

  build_config {
    runtime     = var.runtime
    entry_point = "auditEvents"
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email          = google_service_account.function["events"].email
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    available_memory               = "512M"
    timeout_seconds                = 120
    max_instance_count             = 10
    environment_variables          = local.common_env

    secret_environment_variables {
      key        = "SLACK_BOT_TOKEN"
      project_id = var.project_id
      secret     = google_secret_manager_secret.slack["bot_token"].secret_id
      version    = "latest"
    }
  }

  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic          = google_pubsub_topic.audit.id
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = google_service_account.function["events"].email
  }

  depends_on = [google_secret_manager_secret_iam_member.events_bot_token, google_project_service.apis]
}

# Eventarc pushes to the function as the events service account.
resource "google_cloud_run_service_iam_member" "audit_events_invoker" {
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.audit_events.name
  role     = "roles/run.invoker"
  member   = google_service_account.function["events"].member
}

resource "google_cloudfunctions2_function" "slack_interactions" {
  project  = var.project_id
  name     = local.function_names.interactions
  location = var.region
  labels   = var.labels

  build_config {
    runtime     = var.runtime
    entry_point = "slackInteractions"
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.function["interactions"].email
    # Slack must reach it; requests are authenticated by the Slack signature instead.
    ingress_settings               = "ALLOW_ALL"
    all_traffic_on_latest_revision = true
    # Work after the response (forms, reverts) needs CPU: keep an instance warm.
    min_instance_count    = 1
    max_instance_count    = 5
    available_memory      = "512M"
    timeout_seconds       = 60
    environment_variables = local.common_env

    secret_environment_variables {
      key        = "SLACK_BOT_TOKEN"
      project_id = var.project_id
      secret     = google_secret_manager_secret.slack["bot_token"].secret_id
      version    = "latest"
    }

    secret_environment_variables {
      key        = "SLACK_SIGNING_SECRET"
      project_id = var.project_id
      secret     = google_secret_manager_secret.slack["signing_secret"].secret_id
      version    = "latest"
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.interactions, google_project_service.apis]
}

# Public on purpose (Slack cannot send Google credentials). runguard's own rules flag this
# (run-public-invoker, run-ingress-all): exempt this service in the configuration (see README).
resource "google_cloud_run_service_iam_member" "slack_interactions_public" {
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.slack_interactions.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_cloudfunctions2_function" "reconcile" {
  count = var.enable_reconcile ? 1 : 0

  project  = var.project_id
  name     = local.function_names.reconcile
  location = var.region
  labels   = var.labels

  build_config {
    runtime     = var.runtime
    entry_point = "reconcile"
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email          = google_service_account.function["reconcile"].email
    ingress_settings               = "ALLOW_ALL"
    all_traffic_on_latest_revision = true
    available_memory               = "512M"
    timeout_seconds                = 540
    max_instance_count             = 1
    environment_variables          = local.common_env
  }

  depends_on = [google_project_service.apis]
}

resource "google_cloud_run_service_iam_member" "reconcile_invoker" {
  count = var.enable_reconcile ? 1 : 0

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.reconcile[0].name
  role     = "roles/run.invoker"
  member   = google_service_account.function["reconcile"].member
}

resource "google_cloud_scheduler_job" "reconcile" {
  count = var.enable_reconcile ? 1 : 0

  project   = var.project_id
  region    = var.region
  name      = local.names.scheduler_job
  schedule  = var.reconcile_schedule
  time_zone = "Etc/UTC"

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.reconcile[0].service_config[0].uri

    oidc_token {
      service_account_email = google_service_account.function["reconcile"].email
      audience              = google_cloudfunctions2_function.reconcile[0].service_config[0].uri
    }
  }
}

# --- Monitoring ----------------------------------------------------------------------------------

resource "google_logging_metric" "decisions" {
  project = var.project_id
  name    = local.names.decision_metric
  filter  = "jsonPayload.event=\"decision\""

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"

    labels {
      key         = "rule"
      value_type  = "STRING"
      description = "The rule that produced the finding."
    }

    labels {
      key         = "action"
      value_type  = "STRING"
      description = "What runguard decided: alert, revert, exempt, ..."
    }
  }

  label_extractors = {
    rule   = "EXTRACT(jsonPayload.rule)"
    action = "EXTRACT(jsonPayload.action)"
  }
}

resource "google_monitoring_alert_policy" "dead_letter" {
  project               = var.project_id
  display_name          = "runguard: audit events dead-lettered"
  combiner              = "OR"
  notification_channels = var.alert_notification_channels

  conditions {
    display_name = "undelivered messages on ${local.names.dead_letter_sub}"

    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND resource.labels.subscription_id = \"${google_pubsub_subscription.dead_letter_hold.name}\" AND metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    content   = "Audit events that auditEvents could not process reached the dead-letter topic. Inspect ${local.names.dead_letter_sub}, fix the cause (logs: jsonPayload.event=\"startup-failed\"), then replay."
    mime_type = "text/markdown"
  }
}

resource "google_monitoring_alert_policy" "function_errors" {
  project               = var.project_id
  display_name          = "runguard: function errors"
  combiner              = "OR"
  notification_channels = var.alert_notification_channels

  conditions {
    display_name = "5xx responses from runguard functions"

    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = one_of(\"${local.function_names.events}\", \"${local.function_names.interactions}\") AND metric.type = \"run.googleapis.com/request_count\" AND metric.labels.response_code_class = \"5xx\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }

  documentation {
    content   = "A runguard function failed. auditEvents failures are retried by Pub/Sub; look for jsonPayload.event=\"startup-failed\" first."
    mime_type = "text/markdown"
  }
}
