# Every identity runguard uses and every grant it receives. What each function's own service account
# holds is decided in local.access (main.tf); this file only expands it.

# --- Identities ----------------------------------------------------------------------------------

resource "google_service_account" "function" {
  for_each = module.naming.service_account_ids

  project      = var.project_id
  account_id   = each.value
  display_name = "runguard ${each.key} function"
}

# What Pub/Sub signs its push requests as. Kept apart from the functions' own accounts: the
# Pub/Sub service agent may mint tokens for it, and it can do nothing but invoke one function.
resource "google_service_account" "pusher" {
  for_each = { for k, id in module.naming.pusher_ids : k => id if k != "reconcile" || var.enable_reconcile }

  project      = var.project_id
  account_id   = each.value
  display_name = "runguard Pub/Sub push to ${each.key}"
}

# Enabling the API does not create the Pub/Sub service agent; granting to it before it exists fails.
resource "google_project_service_identity" "pubsub" {
  provider = google-beta

  project = var.project_id
  service = "pubsub.googleapis.com"

  depends_on = [google_project_service.apis]
}

locals {
  function_members = { for k, sa in google_service_account.function : k => sa.member }

  remediators = { for f in local.granted_functions : f => local.function_members[f] if local.access[f].remediation }
  sweepers    = { for f in local.granted_functions : f => local.function_members[f] if local.access[f].sweep }

  # Where the sink looks is where the remediation role is granted, unless projects_in_enforce narrows it.
  grant_on_projects = length(var.projects_in_enforce) > 0 ? toset(var.projects_in_enforce) : (var.level == "project" ? toset([local.watched_project_id]) : toset([]))
  grant_on_level    = length(var.projects_in_enforce) == 0 && var.level != "project"

  remediation_role_id = module.naming.custom_role_scope == "organization" ? one(google_organization_iam_custom_role.remediation[*].name) : one(google_project_iam_custom_role.remediation[*].name)
  sweep_role_id       = module.naming.custom_role_scope == "organization" ? one(google_organization_iam_custom_role.sweep[*].name) : one(google_project_iam_custom_role.sweep[*].name)

  # one() keeps this valid when reconcile is switched off.
  pushed_services = {
    events    = google_cloudfunctions2_function.audit_events.name
    reconcile = one(google_cloudfunctions2_function.reconcile[*].name)
  }
}

# --- Host project --------------------------------------------------------------------------------

resource "google_project_iam_member" "host" {
  for_each = {
    for pair in flatten([for f in local.granted_functions : [for role in local.access[f].host_roles : { fn = f, role = role }]]) :
    "${pair.fn}:${pair.role}" => pair
  }

  project = var.project_id
  role    = each.value.role
  member  = local.function_members[each.value.fn]
}

# Per secret, never project-wide: the sweep and auditEvents must not read the signing secret.
resource "google_secret_manager_secret_iam_member" "function" {
  for_each = {
    for pair in flatten([for f in local.granted_functions : [for s in local.access[f].secrets : { fn = f, secret = s }]]) :
    "${pair.fn}:${pair.secret}" => pair
  }

  project   = var.project_id
  secret_id = google_secret_manager_secret.slack[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.function_members[each.value.fn]
}

moved {
  from = google_secret_manager_secret_iam_member.events_bot_token
  to   = google_secret_manager_secret_iam_member.function["events:bot_token"]
}

moved {
  from = google_secret_manager_secret_iam_member.interactions["bot_token"]
  to   = google_secret_manager_secret_iam_member.function["interactions:bot_token"]
}

moved {
  from = google_secret_manager_secret_iam_member.interactions["signing_secret"]
  to   = google_secret_manager_secret_iam_member.function["interactions:signing_secret"]
}

# --- Pub/Sub delivery ----------------------------------------------------------------------------

# The sink's writer may publish to this topic and nothing else.
resource "google_pubsub_topic_iam_member" "sink_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.audit.name
  role    = "roles/pubsub.publisher"
  member  = local.sink_writer_identity
}

# Each push identity may invoke its own function only.
resource "google_cloud_run_service_iam_member" "pusher_invoker" {
  for_each = google_service_account.pusher

  project  = var.project_id
  location = var.region
  service  = local.pushed_services[each.key]
  role     = "roles/run.invoker"
  member   = each.value.member
}

# Public on purpose (Slack cannot send Google credentials). runguard's own rules flag this
# (run-public-invoker, run-ingress-all): exempt this service in the configuration (see README).
resource "google_cloud_run_service_iam_member" "slack_interactions_public" {
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.slack_interactions.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# Pub/Sub mints the push requests' OIDC tokens as the push identity. Projects created since April
# 2021 give the service agent this project-wide; granting it per account works for older ones too.
resource "google_service_account_iam_member" "pubsub_agent_token_creator" {
  for_each = google_service_account.pusher

  service_account_id = each.value.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_project_service_identity.pubsub.member
}

# Dead-lettering is done by the Pub/Sub service agent: it publishes the message to the dead-letter
# topic and acknowledges it on the source subscription. Without both grants, failed events are
# retried forever instead of being set aside.
resource "google_pubsub_topic_iam_member" "pubsub_agent_dead_letter_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letter.name
  role    = "roles/pubsub.publisher"
  member  = google_project_service_identity.pubsub.member
}

resource "google_pubsub_subscription_iam_member" "pubsub_agent_audit_subscriber" {
  project      = var.project_id
  subscription = google_pubsub_subscription.audit_push.name
  role         = "roles/pubsub.subscriber"
  member       = google_project_service_identity.pubsub.member
}

# Per topic, from local.access: slackInteractions publishes "Revert now" requests and nothing else.
resource "google_pubsub_topic_iam_member" "function" {
  for_each = {
    for pair in flatten([for f in local.granted_functions : [for t in local.access[f].publishes : { fn = f, topic = t }]]) :
    "${pair.fn}:${pair.topic}" => pair
  }

  project = var.project_id
  topic   = local.publish_topics[each.value.topic]
  role    = "roles/pubsub.publisher"
  member  = local.function_members[each.value.fn]
}

resource "google_pubsub_subscription_iam_member" "pubsub_agent_revert_subscriber" {
  project      = var.project_id
  subscription = google_pubsub_subscription.revert_push.name
  role         = "roles/pubsub.subscriber"
  member       = google_project_service_identity.pubsub.member
}

# --- Remediation role: exactly the permissions the remediation catalog declares -------------------

resource "google_organization_iam_custom_role" "remediation" {
  count = module.naming.custom_role_scope == "organization" ? 1 : 0

  org_id      = var.organization_id
  role_id     = local.names.custom_role_id
  title       = "runguard remediation"
  description = "Generated from functions/remediation/catalog.ts: what runguard may read and revert."
  permissions = local.remediation_permissions
}

resource "google_project_iam_custom_role" "remediation" {
  count = module.naming.custom_role_scope == "project" ? 1 : 0

  project     = local.watched_project_id
  role_id     = local.names.custom_role_id
  title       = "runguard remediation"
  description = "Generated from functions/remediation/catalog.ts: what runguard may read and revert."
  permissions = local.remediation_permissions
}

resource "google_organization_iam_member" "remediation" {
  for_each = local.grant_on_level && var.level == "organization" ? local.remediators : {}

  org_id = var.organization_id
  role   = local.remediation_role_id
  member = each.value
}

resource "google_folder_iam_member" "remediation" {
  for_each = local.grant_on_level && var.level == "folder" ? local.remediators : {}

  folder = "folders/${var.folder_id}"
  role   = local.remediation_role_id
  member = each.value
}

resource "google_project_iam_member" "remediation" {
  for_each = {
    for pair in setproduct(tolist(local.grant_on_projects), keys(local.remediators)) :
    "${pair[0]}:${pair[1]}" => { project = pair[0], sa = pair[1] }
  }

  project = each.value.project
  role    = local.remediation_role_id
  member  = local.remediators[each.value.sa]
}

# --- Sweep role: what the reconcile sweep reads, on the whole watched level -----------------------
# Granted on the whole level even when projects_in_enforce is set: the sweep reports drift in
# monitor projects too, it only reverts where the remediation role reaches.
# The role exists even with enable_reconcile off: IAM keeps a deleted role's id reserved for weeks,
# so deleting it on every switch would make switching back on fail.

resource "google_organization_iam_custom_role" "sweep" {
  count = module.naming.custom_role_scope == "organization" ? 1 : 0

  org_id      = var.organization_id
  role_id     = local.names.sweep_role_id
  title       = "runguard sweep"
  description = "Generated from functions/reconcile/permissions.ts: what the reconcile sweep reads."
  permissions = local.sweep_permissions
}

resource "google_project_iam_custom_role" "sweep" {
  count = module.naming.custom_role_scope == "project" ? 1 : 0

  project     = local.watched_project_id
  role_id     = local.names.sweep_role_id
  title       = "runguard sweep"
  description = "Generated from functions/reconcile/permissions.ts: what the reconcile sweep reads."
  permissions = local.sweep_permissions
}

resource "google_organization_iam_member" "sweep" {
  for_each = var.level == "organization" ? local.sweepers : {}

  org_id = var.organization_id
  role   = local.sweep_role_id
  member = each.value
}

resource "google_folder_iam_member" "sweep" {
  for_each = var.level == "folder" ? local.sweepers : {}

  folder = "folders/${var.folder_id}"
  role   = local.sweep_role_id
  member = each.value
}

resource "google_project_iam_member" "sweep" {
  for_each = var.level == "project" ? local.sweepers : {}

  project = local.watched_project_id
  role    = local.sweep_role_id
  member  = each.value
}

# --- Weekly report: the folders above the watched projects -----------------------------------------
# The report's "recommended guardrails" place an organization policy on the narrowest folder that
# covers the findings, so the reconcile identity reads the folder tree (resourcemanager.folders.get,
# list): read-only, and only with the weekly report on. A project-level deployment watches one
# project, which is its own narrowest cover.

resource "google_organization_iam_member" "report_folder_viewer" {
  for_each = var.enable_reconcile && var.enable_weekly_report && var.level == "organization" ? local.sweepers : {}

  org_id = var.organization_id
  role   = "roles/resourcemanager.folderViewer"
  member = each.value
}

resource "google_folder_iam_member" "report_folder_viewer" {
  for_each = var.enable_reconcile && var.enable_weekly_report && var.level == "folder" ? local.sweepers : {}

  folder = "folders/${var.folder_id}"
  role   = "roles/resourcemanager.folderViewer"
  member = each.value
}
