# Function source and the three functions. Each runs as its own service account (iam.tf).

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

# No event_trigger: Pub/Sub pushes to it through google_pubsub_subscription.audit_push (sink.tf), so
# Cloud Functions sees an HTTP function. The code still registers a CloudEvent function, and the
# Functions Framework serves the signature the code registers, not the deployment's.
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
    service_account_email = google_service_account.function["events"].email
    # Pub/Sub push from this project counts as internal traffic; nothing else needs to reach it.
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    available_memory               = "512M"
    # An alert can wait minutes in Slack's 1 message/s per channel queue; see push_ack_deadline_seconds.
    timeout_seconds       = local.pushed_function_timeout_seconds
    max_instance_count    = 10
    environment_variables = local.common_env

    secret_environment_variables {
      key        = "SLACK_BOT_TOKEN"
      project_id = var.project_id
      secret     = google_secret_manager_secret.slack["bot_token"].secret_id
      version    = "latest"
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.function, google_project_service.apis]
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
    # Everything that matters happens before the response (gen2 gives little or no CPU after it);
    # a warm instance keeps the first click of the day inside Slack's 3 seconds.
    min_instance_count    = 1
    max_instance_count    = 5
    available_memory      = "512M"
    timeout_seconds       = 60
    environment_variables = local.interactions_env

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

  depends_on = [google_secret_manager_secret_iam_member.function, google_project_service.apis]
}

# Pushed like auditEvents, from the reconcile topic (schedule.tf).
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
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    available_memory               = "512M"
    timeout_seconds                = local.pushed_function_timeout_seconds
    # One sweep at a time: a second trigger is refused rather than sweeping (and reverting) twice.
    max_instance_count               = 1
    max_instance_request_concurrency = 1
    environment_variables            = local.reconcile_env

    # For the sweep's summary message; the sweep never verifies Slack requests.
    secret_environment_variables {
      key        = "SLACK_BOT_TOKEN"
      project_id = var.project_id
      secret     = google_secret_manager_secret.slack["bot_token"].secret_id
      version    = "latest"
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.function, google_project_service.apis]
}
