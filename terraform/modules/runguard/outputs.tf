output "interactivity_url" {
  description = "Slack app Interactivity Request URL (slackInteractions' URL)."
  value       = google_cloudfunctions2_function.slack_interactions.service_config[0].uri
}

output "audit_topic" {
  description = "The Pub/Sub topic the sink writes to."
  value       = google_pubsub_topic.audit.id
}

output "dead_letter_topic" {
  description = "Dead-letter topic; set it on the Eventarc subscription (see README)."
  value       = google_pubsub_topic.dead_letter.id
}

output "sink_writer_identity" {
  description = "The sink's writer identity (publisher on the audit topic only)."
  value       = local.sink_writer_identity
}

output "service_accounts" {
  description = "Service account emails, keyed events, interactions, reconcile."
  value       = { for k, sa in google_service_account.function : k => sa.email }
}

output "slack_secret_ids" {
  description = "Secret Manager secret ids to add versions to out of band (never their values)."
  value       = { for k, s in google_secret_manager_secret.slack : k => s.secret_id }
}

output "remediation_role" {
  description = "The remediation custom role's id."
  value       = local.remediation_role_id
}
