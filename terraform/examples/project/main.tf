# runguard watching a whole project. Build the source first:
#   npx tsx scripts/bundle.ts --config examples/runguard.yaml
terraform {
  required_version = ">= 1.5"
}

provider "google" {
  project = "my-runguard-host"
  region  = "europe-west1"
}

provider "google-beta" {
  project = "my-runguard-host"
  region  = "europe-west1"
}

module "runguard" {
  source = "../../modules/runguard"

  project_id          = "my-runguard-host"
  region              = "europe-west1"
  level               = "project"
  watched_project_id  = "my-app-project"
  projects_in_enforce = ["my-app-project"]
  source_archive      = "${path.root}/../../../build/function.zip"
  slack_team_id       = "T0123ABCD" # Slack workspace id
  slack_app_id        = "A0123ABCD" # Slack app id
}

output "interactivity_url" {
  description = "Paste into the Slack app's Interactivity Request URL."
  value       = module.runguard.interactivity_url
}
