# What runguard decided (a log-based metric) and when it needs a person (alert policies).

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
      filter          = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = one_of(\"${local.function_names.events}\", \"${local.function_names.interactions}\", \"${local.function_names.reconcile}\") AND metric.type = \"run.googleapis.com/request_count\" AND metric.labels.response_code_class = \"5xx\""
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
    content   = "A runguard function failed. auditEvents failures are retried by Pub/Sub (then dead-lettered); a failed reconcile sweep is not retried and waits for its next schedule. Look for jsonPayload.event=\"startup-failed\" first."
    mime_type = "text/markdown"
  }
}
