output "interactivity_url" {
  description = "Slack app Interactivity Request URL (slackInteractions' URL)."
  value       = google_cloudfunctions2_function.slack_interactions.service_config[0].uri
}

output "audit_topic" {
  description = "The Pub/Sub topic the sink writes to."
  value       = google_pubsub_topic.audit.id
}

output "audit_subscription" {
  description = "The push subscription that delivers audit events to auditEvents (dead letters after 10 attempts)."
  value       = google_pubsub_subscription.audit_push.id
}

output "dead_letter_topic" {
  description = "Where audit events go after 10 failed deliveries; the dead-letter hold subscription keeps them for replay."
  value       = google_pubsub_topic.dead_letter.id
}

output "dead_letter_subscription" {
  description = "Pull subscription holding dead-lettered audit events (7 days); the dead-letter alert watches its backlog."
  value       = google_pubsub_subscription.dead_letter_hold.id
}

output "reconcile_topic" {
  description = "The topic the reconcile Cloud Scheduler job publishes to (null when enable_reconcile is false). Publishing to it starts a sweep."
  value       = one(google_pubsub_topic.reconcile[*].id)
}

output "sink_writer_identity" {
  description = "The sink's writer identity (publisher on the audit topic only)."
  value       = local.sink_writer_identity
}

output "service_accounts" {
  description = "Service account emails, keyed events, interactions, reconcile."
  value       = { for k, sa in google_service_account.function : k => sa.email }
}

output "push_service_accounts" {
  description = "The identities Pub/Sub pushes as (run.invoker on one function each), keyed events, reconcile."
  value       = { for k, sa in google_service_account.pusher : k => sa.email }
}

output "slack_secret_ids" {
  description = "Secret Manager secret ids to add versions to out of band (never their values)."
  value       = { for k, s in google_secret_manager_secret.slack : k => s.secret_id }
}

output "remediation_role" {
  description = "The remediation custom role's id."
  value       = local.remediation_role_id
}

output "sweep_role" {
  description = "The reconcile sweep's read-only custom role's id."
  value       = local.sweep_role_id
}
