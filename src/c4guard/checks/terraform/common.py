"""What the Terraform checks of several sections share: the "setting must be X" outcome and
the TEE outcomes. Not a check module: it registers no check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from c4guard.checks.registry import Outcome, failed, not_applicable, passed, unknown
from c4guard.model import NotApplicable
from c4guard.views.terraform import TEE_READERS, TerraformIndex, TfResource, unknown_reason
from c4guard.workloads.views import Setting

if TYPE_CHECKING:
    pass


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


def expect(item: TfResource, setting: Setting, good: Any, passes: str, fails: str) -> Outcome:
    """Pass when the setting is `good`, unknown when it cannot be known here, else fail
    naming the value and whether it is the provider's default."""
    value = setting.value
    reason = unknown_reason(value)
    if reason:
        return unknown(item, f"{setting.path} is unknown: {reason}", setting=setting)
    if hcl_equal(value, good):
        return passed(item, passes, setting=setting)
    shown = str(value).lower() if isinstance(value, bool) else value
    default = "" if setting.present else ", the provider's default"
    return failed(
        item, f"{fails} ({setting.path.rsplit('.', 1)[-1]} = {shown}{default})", setting=setting
    )
