"""Terraform: HCL and JSON configurations (evaluated per module) and `terraform show -json`
plans, for AWS, GCP and Azure. See docs/terraform.md."""

from __future__ import annotations

from c4guard.sources.handlers import FileHandler
from c4guard.sources.structured import Interpreter
from c4guard.sources.terraform import files, modules, plan

DOMAIN = files.DOMAIN
ORIGIN = modules.ORIGIN

HANDLER = FileHandler("terraform", files.claims, files.parse)
PLAN_INTERPRETER = Interpreter(DOMAIN, plan.resources_from_plan)
FINALIZER = modules.finalize_terraform
