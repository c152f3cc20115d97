# The reconcile path: Cloud Scheduler -> reconcile topic -> push subscription -> reconcile.
# Same delivery as the audit path (push, OIDC, 600 s ack deadline), but without retries.

resource "google_pubsub_topic" "reconcile" {
  count = var.enable_reconcile ? 1 : 0

  project = var.project_id
  name    = local.names.reconcile_topic
  labels  = var.labels

  depends_on = [google_project_service.apis]
}

# The Cloud Scheduler service agent publishes with its own role (roles/cloudscheduler.serviceAgent
# includes pubsub.topics.publish in this project): no grant needed.
resource "google_cloud_scheduler_job" "reconcile" {
  count = var.enable_reconcile ? 1 : 0

  project     = var.project_id
  region      = var.region
  name        = local.names.scheduler_job
  description = "Starts a runguard reconcile sweep."
  schedule    = var.reconcile_schedule
  time_zone   = "Etc/UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.reconcile[0].id
    # Pub/Sub refuses a message with neither data nor attributes. The Functions Framework only
    # converts a push body whose message has data, so the body must not be empty either.
    data = base64encode(jsonencode({ trigger = "schedule", job = local.names.scheduler_job }))
  }

  depends_on = [google_project_service.apis]
}

# The weekly report rides the reconcile path: the same topic, function and identity (which already
# reads the state store and holds the Slack token), asked by its own message. No new grant. Its
# minute must not fall inside a sweep (max one instance: a message that finds one running expires).
resource "google_cloud_scheduler_job" "weekly_report" {
  count = var.enable_reconcile && var.enable_weekly_report ? 1 : 0

  project     = var.project_id
  region      = var.region
  name        = local.names.report_scheduler_job
  description = "Asks runguard's reconcile function for the weekly report in Slack."
  schedule    = var.weekly_report_schedule
  time_zone   = var.weekly_report_time_zone

  pubsub_target {
    topic_name = google_pubsub_topic.reconcile[0].id
    data       = base64encode(jsonencode({ report = "weekly", since = "7d", job = local.names.report_scheduler_job }))
  }

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_subscription" "reconcile_push" {
  count = var.enable_reconcile ? 1 : 0

  project = var.project_id
  name    = local.names.reconcile_subscription
  topic   = google_pubsub_topic.reconcile[0].id
  labels  = var.labels

  ack_deadline_seconds = local.push_ack_deadline_seconds

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.reconcile[0].service_config[0].uri}/${google_pubsub_topic.reconcile[0].id}"

    oidc_token {
      service_account_email = google_service_account.pusher["reconcile"].email
      audience              = google_cloudfunctions2_function.reconcile[0].service_config[0].uri
    }
  }

  # No retries: a sweep that fails waits for the next schedule instead of piling up behind the
  # running one. A push subscription cannot switch retries off, so this makes a second attempt
  # impossible instead: the earliest redelivery (failure + 600 s backoff) comes after the message
  # has expired (600 s after it was published, the shortest retention Pub/Sub allows). A trigger
  # that arrives while a sweep runs is refused (max one instance) and expires the same way.
  message_retention_duration = "600s"

  retry_policy {
    minimum_backoff = "600s"
    maximum_backoff = "600s"
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [
    google_service_account_iam_member.pubsub_agent_token_creator,
    google_cloud_run_service_iam_member.pusher_invoker,
  ]
}
