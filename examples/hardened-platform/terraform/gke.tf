# A private GKE cluster: Binary Authorization enforced, Workload Identity, Secrets encrypted
# with an HSM key, shielded nodes, a gVisor pool for untrusted models, whole GPUs per pod.
resource "google_container_cluster" "ml" {
  name                     = "ml-platform"
  location                 = var.region
  network                  = google_compute_network.ml.id
  subnetwork               = google_compute_subnetwork.nodes.id
  remove_default_node_pool = true
  initial_node_count       = 1

  binary_authorization {
    evaluation_mode = "PROJECT_SINGLETON_POLICY_ENFORCE"
  }
  workload_identity_config {
    workload_pool = "${var.project}.svc.id.goog"
  }
  database_encryption {
    state    = "ENCRYPTED"
    key_name = google_kms_crypto_key.gke_secrets.id
  }
  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = true
    master_ipv4_cidr_block  = "172.16.0.0/28"
  }
  master_authorized_networks_config {
    cidr_blocks {
      cidr_block   = "10.40.0.0/20"
      display_name = "nodes"
    }
  }
  enable_shielded_nodes = true
}

resource "google_container_node_pool" "gpu" {
  name    = "gpu-l4"
  cluster = google_container_cluster.ml.id
  node_config {
    machine_type    = "g2-standard-24"
    service_account = google_service_account.nodes.email
    guest_accelerator {
      type  = "nvidia-l4"
      count = 2
      gpu_driver_installation_config {
        gpu_driver_version = "LATEST"
      }
    }
    workload_metadata_config {
      mode = "GKE_METADATA"
    }
    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }
}

resource "google_container_node_pool" "untrusted_models" {
  name    = "untrusted-models"
  cluster = google_container_cluster.ml.id
  node_config {
    machine_type    = "n2-standard-16"
    service_account = google_service_account.nodes.email
    labels = {
      c4guard-class = "untrusted_model"
    }
    sandbox_config {
      sandbox_type = "gvisor"
    }
    workload_metadata_config {
      mode = "GKE_METADATA"
    }
    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }
}

resource "google_binary_authorization_policy" "ml" {
  global_policy_evaluation_mode = "ENABLE"
  default_admission_rule {
    evaluation_mode         = "REQUIRE_ATTESTATION"
    enforcement_mode        = "ENFORCED_BLOCK_AND_AUDIT_LOG"
    require_attestations_by = [var.build_attestor]
  }
}

resource "google_service_account" "nodes" {
  account_id   = "ml-nodes"
  display_name = "GKE nodes of the ML platform"
}
