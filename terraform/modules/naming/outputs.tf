output "level_id" {
  description = "The id of the watched organization, folder or project."
  value       = local.level_id
}

output "sink_parent" {
  description = "The sink's parent resource: organizations/ID, folders/ID or projects/ID."
  value       = local.sink_parent
}

output "custom_role_scope" {
  description = "Where the remediation custom role is created: organization (organization and folder levels) or project."
  value       = local.custom_role_scope
}

output "names" {
  description = "Resource names derived from the prefix."
  value       = local.names
}

output "function_names" {
  description = "Cloud Functions names, keyed events, interactions, reconcile."
  value       = local.function_names
}

output "service_account_ids" {
  description = "One service account id per function, keyed events, interactions, reconcile."
  value       = local.service_account_ids
}

output "pusher_ids" {
  description = "Service account ids of the Pub/Sub push identities, keyed events, reconcile."
  value       = local.pusher_ids
}

output "ttl_collections" {
  description = "Firestore collections whose expireAt field gets a TTL policy."
  value       = local.ttl_collections
}
