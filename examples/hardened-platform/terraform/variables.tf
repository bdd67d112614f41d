variable "project" {
  type        = string
  description = "GCP project id"
}

variable "region" {
  type    = string
  default = "europe-west4"
}

variable "build_attestor" {
  type        = string
  description = "Attestor of images built and signed by CI"
}

variable "project_number" {
  type = string
}

variable "inference_image_digest" {
  type        = string
  description = "sha256 digest of the released inference image"
}
