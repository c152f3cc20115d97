# "Revert now" from Slack: slackInteractions (on the internet, no Cloud Run permission) publishes an
# attributed request (who clicked, which finding) to this topic; its push subscription delivers it
# to auditEvents, which reverts with the live path's safety rules and reports in the alert's thread.
# Only slackInteractions may publish here (iam.tf, from local.access).

resource "google_pubsub_topic" "revert_requests" {
  project = var.project_id
  name    = local.names.revert_topic
  labels  = var.labels

  # A click is about now: a request that could not be delivered within an hour is dropped.
  message_retention_duration = "3600s"

  depends_on = [google_project_service.apis]
}

locals {
  publish_topics = { revert_requests = google_pubsub_topic.revert_requests.name }
}

resource "google_pubsub_subscription" "revert_push" {
  project = var.project_id
  name    = local.names.revert_subscription
  topic   = google_pubsub_topic.revert_requests.id
  labels  = var.labels

  ack_deadline_seconds       = local.push_ack_deadline_seconds
  message_retention_duration = "3600s"

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.audit_events.service_config[0].uri}/${google_pubsub_topic.revert_requests.id}"

    oidc_token {
      service_account_email = google_service_account.pusher["events"].email
      audience              = google_cloudfunctions2_function.audit_events.service_config[0].uri
    }
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = 10
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "300s"
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [
    google_pubsub_topic_iam_member.pubsub_agent_dead_letter_publisher,
    google_service_account_iam_member.pubsub_agent_token_creator,
    google_cloud_run_service_iam_member.pusher_invoker,
  ]
}
