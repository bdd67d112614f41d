"""What the Terraform checks of several sections share: the "setting must be X" outcome of
a value Terraform may know only at apply, and the TEE outcomes. Not a check module: it
registers no check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from c4guard.checks.registry import Outcome, expect, failed, not_applicable, passed, unknown
from c4guard.model import NotApplicable
from c4guard.views.terraform import TEE_READERS, TerraformIndex, TfResource, unknown_reason
from c4guard.workloads.views import Setting


def tee_outcomes(
    index: TerraformIndex, klass: str, requirement: str, any_tee_counts: bool
) -> Iterator[Outcome | NotApplicable]:
    """Resources of `klass` must run in a TEE; with `any_tee_counts`, every TEE is evidence."""
    judged = False
    for item in index.kinds(*TEE_READERS):
        declared = klass in item.classes
        if not (declared or any_tee_counts):
            continue
        tee, setting = TEE_READERS[item.kind](item)
        if tee is True:
            judged = True
            yield passed(item, "runs in a trusted execution environment", setting=setting)
        elif isinstance(tee, str):
            judged = True
            yield failed(item, tee, setting=setting)
        elif declared:
            judged = True
            yield failed(item, f"is declared {klass} but runs without a TEE", setting=setting)
    if not judged:
        yield not_applicable(
            requirement,
            f"no Terraform resource is declared {klass}"
            + (" or configures a TEE" if any_tee_counts else ""),
        )


def hcl_equal(value: Any, good: Any) -> bool:
    """Equal as Terraform compares after its type conversion: `"true"` is the bool true."""
    if isinstance(good, bool) and isinstance(value, str) and value.lower() in ("true", "false"):
        return (value.lower() == "true") is good
    return bool(value == good and type(value) is type(good))


def expect_known(item: TfResource, setting: Setting, good: Any, passes: str, fails: str) -> Outcome:
    """`expect` for Terraform: unknown when the value cannot be known before apply; a failure
    names the value and whether it is the provider's default."""
    reason = unknown_reason(setting.value)
    if reason:
        return unknown(item, f"{setting.path} is unknown: {reason}", setting=setting)
    value = setting.value
    if hcl_equal(value, good):
        good = value  # `"true"` where `true` is expected: what Terraform converts it to
    shown = str(value).lower() if isinstance(value, bool) else value
    default = "" if setting.present else ", the provider's default"
    key = setting.path.rsplit(".", 1)[-1]
    return expect(item, setting, good, passes, f"{fails} ({key} = {shown}{default})")
