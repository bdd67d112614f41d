variable "project" {
  type    = string
  default = "acme-ml"
}

variable "region" {
  type    = string
  default = "europe-west4"
}
