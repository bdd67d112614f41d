"""Views: what the checks judge, read from the inventory. One module per input kind
(Dockerfile stages, Compose services, CI steps and jobs, host subjects, Terraform
resources, their index and network rules); Kubernetes workload views live in
`c4guard.workloads`. Views never build outcomes and never import checks."""
