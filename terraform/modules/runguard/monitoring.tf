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

# runguard watches itself: each kind of failure nobody would otherwise hear about is a log-based
# metric on the structured `event` field of runguard's own log lines, and one alert policy pages on
# any of them. (The same kinds also reach the default Slack channel while Slack works, rate-limited.)
locals {
  self_watch = {
    "alert-undelivered" = {
      filter = "jsonPayload.event=\"alert-undelivered\""
      what   = "an alert could not be delivered to Slack (revoked token, deleted channel, bot not in channel)"
    }
    "rule-error" = {
      filter = "jsonPayload.event=\"rule-error\""
      what   = "a rule failed to evaluate on a real entry (never treated as a pass)"
    }
    "malformed" = {
      filter = "jsonPayload.event=\"malformed\""
      what   = "an audit entry could not be read or normalized"
    }
    "failed" = {
      filter = "(jsonPayload.event=\"failed\" OR (jsonPayload.event=\"decision\" AND jsonPayload.done=\"failed\"))"
      what   = "an entry or a revert failed permanently"
    }
    "fight" = {
      filter = "jsonPayload.event=\"decision\" AND jsonPayload.done=\"fighting\""
      what   = "runguard stopped reverting because something keeps putting an insecure setting back"
    }
  }
  self_watch_channels = coalesce(var.self_watch_notification_channels, var.alert_notification_channels)
}

resource "google_logging_metric" "self_watch" {
  for_each = local.self_watch

  project     = var.project_id
  name        = "${var.prefix}/health/${each.key}"
  description = "runguard: ${each.value.what}."
  # Only runguard's own functions: another workload in the host project may log an "event" field too.
  filter = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=(\"${local.function_names.events}\" OR \"${local.function_names.interactions}\" OR \"${local.function_names.reconcile}\") AND ${each.value.filter}"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }
}

resource "google_monitoring_alert_policy" "self_watch" {
  project               = var.project_id
  display_name          = "runguard: failures nobody would hear about"
  combiner              = "OR"
  notification_channels = local.self_watch_channels

  dynamic "conditions" {
    for_each = local.self_watch
    content {
      display_name = "runguard ${conditions.key}: ${conditions.value.what}"

      condition_threshold {
        filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.self_watch[conditions.key].name}\""
        comparison      = "COMPARISON_GT"
        threshold_value = 0
        duration        = "0s"

        aggregations {
          alignment_period   = var.self_watch_alignment_period
          per_series_aligner = "ALIGN_SUM"
        }
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  documentation {
    content   = "runguard logged something a person must look at. Find it with jsonPayload.event=(\"alert-undelivered\" OR \"rule-error\" OR \"malformed\" OR \"failed\") or jsonPayload.done=(\"failed\" OR \"fighting\"). alert-undelivered: Slack cannot be reached (check the bot token secret and the channel); every later alert may be lost until it is fixed."
    mime_type = "text/markdown"
  }
}
