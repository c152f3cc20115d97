# Firestore: idempotency claims, exemptions, message references, flip counters, decision history.
# The history (<prefix>-decisions) is read by a range on `at` alone, which Firestore's automatic
# single-field index serves: no composite index (the report filters a project after the read).

resource "google_firestore_database" "default" {
  count = var.create_firestore_database ? 1 : 0

  project                 = var.project_id
  name                    = "(default)"
  location_id             = var.firestore_location
  type                    = "FIRESTORE_NATIVE"
  delete_protection_state = "DELETE_PROTECTION_ENABLED"
  deletion_policy         = "ABANDON"

  depends_on = [google_project_service.apis]
}

# TTL on expireAt for every collection the state store writes it in (runguard-claims first).
resource "google_firestore_field" "expire_at" {
  for_each = toset(module.naming.ttl_collections)

  project    = var.project_id
  database   = "(default)"
  collection = each.value
  field      = "expireAt"

  ttl_config {}

  index_config {}

  depends_on = [google_firestore_database.default]
}
