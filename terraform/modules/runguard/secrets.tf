# Slack secrets: resources only; versions are added out of band so that no value ever passes
# through a variable, a plan or the state:
#   printf %s "$TOKEN" | gcloud secrets versions add <prefix>-slack-bot-token --data-file=-
# Who may read which secret is local.access (main.tf), granted in iam.tf.

resource "google_secret_manager_secret" "slack" {
  for_each = {
    bot_token      = local.names.secret_bot_token
    signing_secret = local.names.secret_signing
  }

  project   = var.project_id
  secret_id = each.value
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}
