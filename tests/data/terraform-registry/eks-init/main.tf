# The same call as tests/checks/fixtures/terraform-registry/known, after `terraform init`:
# .terraform/modules holds the module's source, which is evaluated with these inputs.
module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 20.0"

  cluster_name                   = "inference"
  cluster_version                = "1.30"
  cluster_endpoint_public_access = true
}
