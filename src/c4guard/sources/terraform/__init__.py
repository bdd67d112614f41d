"""Terraform: HCL and JSON configurations (evaluated per module) and `terraform show -json`
plans, for AWS, GCP and Azure. See docs/terraform.md."""

from __future__ import annotations

from c4guard.sources import cloudformation
from c4guard.sources.handlers import FINALIZERS, HANDLERS, FileHandler
from c4guard.sources.structured import INTERPRETERS, Interpreter
from c4guard.sources.terraform import files, modules, plan

DOMAIN = files.DOMAIN
ORIGIN = modules.ORIGIN

# `.tf.json` and `.tfvars.json` end in .json: this handler must come before YAML/JSON's.
HANDLERS.insert(0, FileHandler("terraform", files.claims, files.parse))
INTERPRETERS.insert(0, Interpreter(DOMAIN, plan.resources_from_plan))
INTERPRETERS.append(Interpreter("cloudformation", cloudformation.recognise))
FINALIZERS.append(modules.finalize_terraform)
