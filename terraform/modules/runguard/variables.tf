variable "project_id" {
  description = "Host project where runguard runs (functions, topics, Firestore, secrets)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project id: 6-30 characters, lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Region of the functions, the source bucket and the Cloud Scheduler job (e.g. europe-west1)."
  type        = string
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1 or us-central1."
  }
}

variable "firestore_location" {
  description = "Location of the Firestore database (a region such as europe-west1, or a multi-region: eur3, nam5)."
  type        = string
  default     = "eur3"

  validation {
    condition     = can(regex("^([a-z]+-[a-z]+[0-9]|eur3|nam5|nam7)$", var.firestore_location))
    error_message = "firestore_location must be a region (europe-west1) or eur3, nam5, nam7."
  }
}

variable "level" {
  description = "What the Log Router sink watches: organization (every project, include_children), folder (include_children) or project."
  type        = string

  validation {
    condition     = contains(["organization", "folder", "project"], var.level)
    error_message = "level must be one of organization, folder, project."
  }
}

variable "organization_id" {
  description = "Numeric organization id, without organizations/. Required for level organization and folder (the remediation custom role is an organization role there)."
  type        = string
  default     = null

  validation {
    condition     = var.organization_id == null || can(regex("^[0-9]{1,20}$", var.organization_id))
    error_message = "organization_id must be numeric (e.g. 123456789012), without the organizations/ prefix."
  }
}

variable "folder_id" {
  description = "Numeric folder id, without folders/. Required for level folder."
  type        = string
  default     = null

  validation {
    condition     = var.folder_id == null || can(regex("^[0-9]{1,20}$", var.folder_id))
    error_message = "folder_id must be numeric (e.g. 987654321098), without the folders/ prefix."
  }
}

variable "watched_project_id" {
  description = "Project the sink watches at level project. Defaults to project_id."
  type        = string
  default     = null

  validation {
    condition     = var.watched_project_id == null || can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.watched_project_id))
    error_message = "watched_project_id must be a project id: 6-30 characters, lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "projects_in_enforce" {
  description = "Projects where runguard may revert changes. When non-empty, the remediation role is granted on these projects only instead of on the whole watched level (least privilege); keep it in line with the enforce projects of the configuration."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.projects_in_enforce : can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", p))])
    error_message = "every entry of projects_in_enforce must be a project id (6-30 characters, lowercase letters, digits, hyphens)."
  }
}

variable "prefix" {
  description = "Prefix of every resource name. Also the Firestore collection prefix the state store uses (runguard by default)."
  type        = string
  default     = "runguard"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,11}$", var.prefix)) && !endswith(var.prefix, "-")
    error_message = "prefix must be 1-12 characters: a lowercase letter, then lowercase letters, digits or hyphens, not ending with a hyphen."
  }
}

variable "source_archive" {
  description = "Path of the function source zip built by `npm run bundle -- --config <runguard.yaml>` (default build/function.zip). The configuration is shipped inside it; its package.json and package-lock.json declare the dependencies the Cloud Functions build installs."
  type        = string

  validation {
    condition     = endswith(var.source_archive, ".zip")
    error_message = "source_archive must be the path of a .zip built by npm run bundle (scripts/bundle.ts)."
  }
}

variable "runtime" {
  description = "Cloud Functions runtime."
  type        = string
  default     = "nodejs20"

  validation {
    condition     = can(regex("^nodejs(20|22)$", var.runtime))
    error_message = "runtime must be nodejs20 or nodejs22."
  }
}

variable "enable_reconcile" {
  description = "Deploy the reconcile sweep: a Cloud Scheduler job publishes to the reconcile topic, whose push subscription runs the reconcile function (entry point reconcile, one sweep at a time, no retries). It finds insecure settings no event reported and reverts them in enforce projects. Off removes the job, topic, subscription and function and every grant of the reconcile service account."
  type        = bool
  default     = true
}

variable "reconcile_schedule" {
  description = "Cron schedule (UTC) of the reconcile sweep, when enable_reconcile. Keep the interval well above 10 minutes: a sweep may run for 9."
  type        = string
  default     = "17 * * * *"

  validation {
    condition     = length(split(" ", trimspace(var.reconcile_schedule))) == 5
    error_message = "reconcile_schedule must be a five-field cron expression such as \"17 * * * *\"."
  }
}

variable "enable_weekly_report" {
  description = "Post the weekly report (a chart of findings, reverts and exemptions per day and rule, top actors and projects, exemptions about to expire, fights) to slack.defaultChannel, through the reconcile function; needs enable_reconcile and the Slack app's files:write scope."
  type        = bool
  default     = true
}

variable "weekly_report_schedule" {
  description = "Cron schedule of the weekly report, in weekly_report_time_zone. Keep it off the reconcile sweep's minutes (reconcile_schedule): one instance runs at a time."
  type        = string
  default     = "0 9 * * 1"

  validation {
    condition     = length(split(" ", trimspace(var.weekly_report_schedule))) == 5
    error_message = "weekly_report_schedule must be a five-field cron expression such as \"0 9 * * 1\"."
  }
}

variable "weekly_report_time_zone" {
  description = "IANA time zone of weekly_report_schedule (e.g. Europe/Berlin): Monday 09:00 where the security leads are."
  type        = string
  default     = "Etc/UTC"

  validation {
    condition     = can(regex("^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$", var.weekly_report_time_zone))
    error_message = "weekly_report_time_zone must be an IANA time zone name such as Europe/Berlin or Etc/UTC."
  }
}

variable "history_retention_days" {
  description = "How long each decision is kept in Firestore (<prefix>-decisions, TTL on expireAt) for the weekly report and runguard recommend."
  type        = number
  default     = 400

  validation {
    condition     = var.history_retention_days >= 7 && floor(var.history_retention_days) == var.history_retention_days
    error_message = "history_retention_days must be a whole number of days, at least 7 (the report's week)."
  }
}

variable "alert_notification_channels" {
  description = "Monitoring notification channel ids (projects/P/notificationChannels/N) for the alert policies."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.alert_notification_channels : can(regex("^projects/[^/]+/notificationChannels/[0-9]+$", c))])
    error_message = "alert_notification_channels entries must look like projects/P/notificationChannels/N."
  }
}

variable "self_watch_notification_channels" {
  description = "Monitoring notification channel ids (projects/P/notificationChannels/N) paged when runguard itself fails: alerts not delivered to Slack, rule errors, unreadable entries, permanent failures, fights. Null: alert_notification_channels. Give a channel that does not depend on Slack (e-mail, PagerDuty): one of the failures is Slack itself."
  type        = list(string)
  default     = null

  validation {
    condition     = var.self_watch_notification_channels == null || alltrue([for c in coalesce(var.self_watch_notification_channels, []) : can(regex("^projects/[^/]+/notificationChannels/[0-9]+$", c))])
    error_message = "self_watch_notification_channels entries must look like projects/P/notificationChannels/N."
  }
}

variable "self_watch_alignment_period" {
  description = "How long the self-watch alert policy sums each failure metric over before it pages, in seconds with an s suffix (60s to 3600s)."
  type        = string
  default     = "300s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.self_watch_alignment_period)) && try(tonumber(trimsuffix(var.self_watch_alignment_period, "s")) >= 60 && tonumber(trimsuffix(var.self_watch_alignment_period, "s")) <= 3600, false)
    error_message = "self_watch_alignment_period must be between 60s and 3600s, e.g. 300s."
  }
}

variable "create_firestore_database" {
  description = "Create the (default) Firestore database. Set false when the project already has one."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels added to every resource that takes labels."
  type        = map(string)
  default     = {}
}

variable "slack_team_id" {
  description = "The Slack workspace (team) id, T… (or the Enterprise Grid org id, E…): slackInteractions refuses a signed request from any other workspace with 403."
  type        = string

  validation {
    condition     = can(regex("^[TE][A-Z0-9]{2,30}$", var.slack_team_id))
    error_message = "slack_team_id must be a Slack team id such as T0123ABCD."
  }
}

variable "slack_app_id" {
  description = "The Slack app id, A… (Basic Information → App ID): slackInteractions refuses a signed request for any other app with 403."
  type        = string

  validation {
    condition     = can(regex("^A[A-Z0-9]{2,30}$", var.slack_app_id))
    error_message = "slack_app_id must be a Slack app id such as A0123ABCD."
  }
}
