# The GKE platform of the insecure example: the network defaults GCP gives, plus a
# convenient SSH rule.
resource "google_compute_network" "ml" {
  name = "ml-platform"
}

resource "google_compute_subnetwork" "nodes" {
  name          = "ml-nodes"
  network       = google_compute_network.ml.id
  region        = var.region
  ip_cidr_range = "10.40.0.0/20"
}

resource "google_compute_firewall" "ssh" {
  name          = "ml-ssh"
  network       = google_compute_network.ml.id
  source_ranges = ["0.0.0.0/0"]
  allow {
    protocol = "tcp"
    ports    = ["22"]
  }
}
