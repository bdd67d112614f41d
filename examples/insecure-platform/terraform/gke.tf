# A public GKE cluster with the defaults: no Binary Authorization, node metadata exposed,
# Secrets not encrypted with a customer key, GPUs time-shared between tenants.
resource "google_container_cluster" "ml" {
  name                     = "ml-platform"
  location                 = var.region
  network                  = google_compute_network.ml.id
  subnetwork               = google_compute_subnetwork.nodes.id
  remove_default_node_pool = true
  initial_node_count       = 1
}

resource "google_container_node_pool" "gpu" {
  name    = "gpu-l4"
  cluster = google_container_cluster.ml.id
  node_config {
    machine_type = "g2-standard-24"
    labels = {
      c4guard-class = "untrusted_model"
    }
    guest_accelerator {
      type  = "nvidia-l4"
      count = 2
      gpu_sharing_config {
        gpu_sharing_strategy       = "TIME_SHARING"
        max_shared_clients_per_gpu = 8
      }
    }
    workload_metadata_config {
      mode = "GCE_METADATA"
    }
  }
}

# CI deploys with a downloaded key.
resource "google_service_account" "deployer" {
  account_id = "ml-deployer"
}

resource "google_service_account_key" "deployer" {
  service_account_id = google_service_account.deployer.name
}
