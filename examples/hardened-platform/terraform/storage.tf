# Model weights and backups: encrypted with HSM keys that rotate; backups locked (WORM).
resource "google_kms_key_ring" "ml" {
  name     = "ml-platform"
  location = var.region
}

resource "google_kms_crypto_key" "models" {
  name            = "model-weights"
  key_ring        = google_kms_key_ring.ml.id
  rotation_period = "7776000s"
  version_template {
    algorithm        = "GOOGLE_SYMMETRIC_ENCRYPTION"
    protection_level = "HSM"
  }
}

resource "google_kms_crypto_key" "gke_secrets" {
  name            = "gke-secrets"
  key_ring        = google_kms_key_ring.ml.id
  rotation_period = "7776000s"
  version_template {
    algorithm        = "GOOGLE_SYMMETRIC_ENCRYPTION"
    protection_level = "HSM"
  }
}

resource "google_storage_bucket" "model_weights" {
  name                        = "${var.project}-model-weights"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  encryption {
    default_kms_key_name = google_kms_crypto_key.models.id
  }
}

resource "google_storage_bucket" "velero_backups" {
  name                        = "${var.project}-velero-backups"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  retention_policy {
    retention_period = 2592000
    is_locked        = true
  }
}

# The Hugging Face token lives in Secret Manager; its value is added outside Terraform.
# Secret Manager only announces the rotation date: the rotate-hf-token function, subscribed
# to the topic, issues a new token and adds it as a new secret version.
resource "google_pubsub_topic" "rotate_hf_token" {
  name = "rotate-hf-token"
}

resource "google_cloudfunctions2_function" "rotate_hf_token" {
  name     = "rotate-hf-token"
  location = var.region
  build_config {
    runtime     = "python312"
    entry_point = "rotate"
  }
  event_trigger {
    trigger_region = var.region
    event_type     = "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic   = google_pubsub_topic.rotate_hf_token.id
  }
}

resource "google_secret_manager_secret" "hf_token" {
  secret_id = "hf-token"
  topics {
    name = google_pubsub_topic.rotate_hf_token.id
  }
  rotation {
    rotation_period    = "2592000s"
    next_rotation_time = "2027-01-01T00:00:00Z"
  }
  replication {
    auto {}
  }
}

# Model weights are decrypted only by attested Confidential Space workloads running the
# released inference image.
resource "google_iam_workload_identity_pool" "attested" {
  workload_identity_pool_id = "attested-inference"
}

resource "google_iam_workload_identity_pool_provider" "confidential_space" {
  workload_identity_pool_id          = google_iam_workload_identity_pool.attested.workload_identity_pool_id
  workload_identity_pool_provider_id = "confidential-space"
  attribute_mapping = {
    "google.subject" = "assertion.sub"
  }
  attribute_condition = <<-EOT
    assertion.swname == 'CONFIDENTIAL_SPACE' &&
    'STABLE' in assertion.submods.confidential_space.support_attributes &&
    assertion.submods.container.image_digest == '${var.inference_image_digest}'
  EOT
  oidc {
    issuer_uri        = "https://confidentialcomputing.googleapis.com/"
    allowed_audiences = ["https://sts.googleapis.com"]
  }
}

resource "google_kms_crypto_key_iam_member" "attested_decrypt" {
  crypto_key_id = google_kms_crypto_key.models.id
  role          = "roles/cloudkms.cryptoKeyDecrypter"
  member        = "principalSet://iam.googleapis.com/projects/${var.project_number}/locations/global/workloadIdentityPools/attested-inference/*"
}
