# Model weights under a software key that never rotates; backups that can be deleted.
resource "google_kms_key_ring" "ml" {
  name     = "ml-platform"
  location = var.region
}

resource "google_kms_crypto_key" "models" {
  name     = "model-weights"
  key_ring = google_kms_key_ring.ml.id
}

resource "google_storage_bucket" "model_weights" {
  name     = "${var.project}-model-weights"
  location = var.region
  encryption {
    default_kms_key_name = google_kms_crypto_key.models.id
  }
}

resource "google_storage_bucket" "velero_backups" {
  name     = "${var.project}-velero-backups"
  location = var.region
}

resource "google_sql_user" "mlflow" {
  name     = "mlflow"
  instance = "mlflow"
  password = "mlflow-Passw0rd!"
}
