run "organization_defaults" {
  command = plan

  variables {
    level           = "organization"
    organization_id = "123456789012"
  }

  assert {
    condition     = output.sink_parent == "organizations/123456789012"
    error_message = "organization sink parent is wrong"
  }

  assert {
    condition     = output.custom_role_scope == "organization"
    error_message = "organization level must use an organization custom role"
  }

  assert {
    condition     = output.names.claims_collection == "runguard-claims"
    error_message = "the claims collection must match the state store's default prefix"
  }

  assert {
    condition     = alltrue([for id in values(output.service_account_ids) : length(id) >= 6 && length(id) <= 30])
    error_message = "service account ids must be 6-30 characters"
  }

  assert {
    condition     = alltrue([for id in values(output.pusher_ids) : can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", id))])
    error_message = "push identity ids must be valid service account ids (6-30 characters)"
  }

  assert {
    condition     = length(setintersection(toset(values(output.service_account_ids)), toset(values(output.pusher_ids)))) == 0
    error_message = "a push identity must never be a function's own service account"
  }

  assert {
    condition     = alltrue([for id in [output.names.custom_role_id, output.names.sweep_role_id] : can(regex("^[a-zA-Z0-9_.]{3,64}$", id))])
    error_message = "custom role id has characters IAM refuses"
  }

  assert {
    condition     = output.names.sweep_role_id != output.names.custom_role_id
    error_message = "the sweep role and the remediation role must be two roles"
  }
}

run "folder_uses_organization_role" {
  command = plan

  variables {
    level           = "folder"
    organization_id = "123456789012"
    folder_id       = "987654321098"
  }

  assert {
    condition     = output.sink_parent == "folders/987654321098"
    error_message = "folder sink parent is wrong"
  }

  assert {
    condition     = output.custom_role_scope == "organization"
    error_message = "custom roles cannot live on folders"
  }
}

run "project_level" {
  command = plan

  variables {
    level              = "project"
    watched_project_id = "my-watched-project"
    prefix             = "rg-dev"
  }

  assert {
    condition     = output.sink_parent == "projects/my-watched-project"
    error_message = "project sink parent is wrong"
  }

  assert {
    condition     = output.custom_role_scope == "project"
    error_message = "project level must use a project custom role"
  }

  assert {
    condition     = output.names.custom_role_id == "rg_dev_remediation"
    error_message = "hyphens must become underscores in the role id"
  }

  assert {
    condition     = contains(output.ttl_collections, "rg-dev-claims")
    error_message = "claims collection must get a TTL"
  }

  assert {
    condition     = length(setintersection(output.ttl_collections, ["rg-dev-digests", "rg-dev-digest-details"])) == 2
    error_message = "burst mode's collections must get a TTL"
  }
}

run "longest_prefix_fits_service_account_ids" {
  command = plan

  variables {
    level              = "project"
    watched_project_id = "my-watched-project"
    prefix             = "abcdefghijkl"
  }

  assert {
    condition     = alltrue([for id in concat(values(output.service_account_ids), values(output.pusher_ids)) : length(id) <= 30])
    error_message = "a 12-character prefix must still give service account ids of at most 30 characters"
  }
}

run "rejects_unknown_level" {
  command = plan

  variables {
    level = "billing-account"
  }

  expect_failures = [var.level]
}

run "rejects_prefixed_organization_id" {
  command = plan

  variables {
    level           = "organization"
    organization_id = "organizations/123"
  }

  expect_failures = [var.organization_id]
}

run "missing_level_id_warns" {
  command = plan

  variables {
    level = "folder"
  }

  expect_failures = [check.level_id_present]
}
