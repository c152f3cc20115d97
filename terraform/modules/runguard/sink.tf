# The audit path: Log Router sink -> audit topic -> push subscription -> auditEvents, with dead letters.
# Grants for every identity on this path are in iam.tf.

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
# Without a subscription, messages published to the dead-letter topic would be lost.
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

locals {
  sink_writer_identity = one(concat(
    google_logging_organization_sink.audit[*].writer_identity,
    google_logging_folder_sink.audit[*].writer_identity,
    google_logging_project_sink.audit[*].writer_identity,
  ))
}

# Our own push subscription instead of an Eventarc trigger: the subscription Eventarc creates cannot
# be given a dead-letter policy, an ack deadline or a retention, and it keeps messages for 24 h only.
# The Functions Framework turns this raw push body into the same CloudEvent Eventarc would send
# (see README: "Delivery"), so auditEvents is unchanged.
resource "google_pubsub_subscription" "audit_push" {
  project = var.project_id
  name    = local.names.audit_subscription
  topic   = google_pubsub_topic.audit.id
  labels  = var.labels

  ack_deadline_seconds = local.push_ack_deadline_seconds

  push_config {
    # The path names the topic so that the Functions Framework can fill in the CloudEvent's source;
    # with a bare URL it logs a warning for every message.
    push_endpoint = "${google_cloudfunctions2_function.audit_events.service_config[0].uri}/${google_pubsub_topic.audit.id}"

    oidc_token {
      service_account_email = google_service_account.pusher["events"].email
      # Cloud Run checks the audience against the service URL, not against the path above.
      audience = google_cloudfunctions2_function.audit_events.service_config[0].uri
    }
  }

  # A change that fails ten times (a bug, a rule that throws on this entry) is set aside instead of
  # blocking or vanishing; the dead-letter alert then tells someone to look.
  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = 10
  }

  # Spaces out retries through a Slack or Cloud Run outage instead of hammering it.
  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  # The default expires a subscription after 31 days without a push; a quiet month must not
  # silently disconnect runguard.
  expiration_policy {
    ttl = ""
  }

  depends_on = [
    google_pubsub_topic_iam_member.pubsub_agent_dead_letter_publisher,
    google_service_account_iam_member.pubsub_agent_token_creator,
    google_cloud_run_service_iam_member.pusher_invoker,
  ]
}
