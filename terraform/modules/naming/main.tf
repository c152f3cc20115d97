# Provider-free naming and level logic for the runguard module, testable offline with `terraform test`.

locals {
  # The id the chosen level needs, or null when it is missing.
  level_id = {
    organization = var.organization_id
    folder       = var.folder_id
    project      = var.watched_project_id
  }[var.level]

  sink_parent = {
    organization = "organizations/${coalesce(var.organization_id, "-")}"
    folder       = "folders/${coalesce(var.folder_id, "-")}"
    project      = "projects/${coalesce(var.watched_project_id, "-")}"
  }[var.level]

  # Custom roles cannot be created on folders: folder deployments use an organization role.
  custom_role_scope = var.level == "project" ? "project" : "organization"

  functions = ["events", "interactions", "reconcile"]

  names = {
    topic                  = "${var.prefix}-audit"
    audit_subscription     = "${var.prefix}-audit-push"
    dead_letter_topic      = "${var.prefix}-audit-dead-letter"
    dead_letter_sub        = "${var.prefix}-audit-dead-letter-hold"
    sink                   = "${var.prefix}-audit-sink"
    source_bucket          = "${var.prefix}-source"
    custom_role_id         = "${replace(var.prefix, "-", "_")}_remediation"
    sweep_role_id          = "${replace(var.prefix, "-", "_")}_sweep"
    decision_metric        = "${var.prefix}/decisions"
    scheduler_job          = "${var.prefix}-reconcile"
    report_scheduler_job   = "${var.prefix}-weekly-report"
    reconcile_topic        = "${var.prefix}-reconcile"
    reconcile_subscription = "${var.prefix}-reconcile-push"
    secret_bot_token       = "${var.prefix}-slack-bot-token"
    secret_signing         = "${var.prefix}-slack-signing-secret"
    claims_collection      = "${var.prefix}-claims"
    revert_topic           = "${var.prefix}-revert-requests"
    revert_subscription    = "${var.prefix}-revert-requests-push"
  }

  function_names = {
    events       = "${var.prefix}-audit-events"
    interactions = "${var.prefix}-slack-interactions"
    reconcile    = "${var.prefix}-reconcile"
  }

  service_account_ids = { for f in local.functions : f => "${var.prefix}-${f}" }

  # The identities Pub/Sub signs push requests as: one per pushed function, holding nothing but
  # run.invoker on that function, so that the token Pub/Sub mints opens one door only.
  pusher_ids = { for f in ["events", "reconcile"] : f => "${var.prefix}-push-${f}" }

  # Every collection the Firestore state store writes with an expireAt field, and burst mode's
  # (functions/state/firestore-digest.ts): the channel digests, the marks of the findings seen, the
  # queued thread details and the digests' messages.
  ttl_collections = [
    for c in [
      "claims", "reverts", "fights", "threads", "exemptions-current",
      "decisions", "digests", "digest-findings", "digest-details", "digest-messages",
    ] : "${var.prefix}-${c}"
  ]
}

check "level_id_present" {
  assert {
    condition     = local.level_id != null
    error_message = "level ${var.level} needs its id: organization_id, folder_id or watched_project_id."
  }
}
