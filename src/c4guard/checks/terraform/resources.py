"""C4.6 Resource management, backup and recovery: Terraform evidence for rate limits in
front of services (4.6.2) and WORM backups (4.6.3)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from c4guard.checks.registry import Outcome, check, failed, passed, unknown
from c4guard.checks.terraform.common import expect
from c4guard.views.terraform import TerraformIndex, TfResource, terraform, unknown_reason

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

BACKUP_STORAGE = re.compile(r"backup|snapshot|velero|archive", re.IGNORECASE)


# ---------------------------------------------------------------------------- 4.6.2


@check(
    "TF-RATE-LIMITS",
    requirement="4.6.2",
    severity="medium",
    title="API gateways throttle and web application firewalls rate-limit requests",
    remediation="Set throttling on API Gateway stages (`aws_api_gateway_method_settings` "
    "throttling_*), a `rate_based_statement` rule in WAFv2 web ACLs, "
    "`rate_based_ban`/`throttle` rules in Cloud Armor, RateLimitRule custom "
    "rules in Azure WAF policies.",
    references=(
        "https://docs.aws.amazon.com/apigateway/latest/developerguide/"
        "api-gateway-request-throttling.html",
    ),
)
def rate_limits(inv: Inventory) -> Iterator[Outcome]:
    """An inference endpoint without request limits can be exhausted by one client."""
    index = terraform(inv)
    for stage in index.kinds("aws_api_gateway_stage"):
        yield _rest_stage(index, stage)
    for stage in index.kinds("aws_apigatewayv2_stage"):
        setting = stage.setting("default_route_settings", "throttling_rate_limit")
        if setting.value is not None:
            yield passed(stage, f"throttles routes to {setting.value} requests/s", setting=setting)
        else:
            yield failed(
                stage,
                "sets no route throttling (only the account-wide quota applies)",
                setting=setting,
            )
    for acl in index.kinds("aws_wafv2_web_acl"):
        rule = next(
            (r for r in acl.blocks("rule") if _has(r, "statement", "rate_based_statement")), None
        )
        yield _rule_outcome(
            acl, rule is not None, "has a rate-based rule", "has no rate-based rule"
        )
    for policy in index.kinds("google_compute_security_policy"):
        rate = any(r.get("action") in ("throttle", "rate_based_ban") for r in policy.blocks("rule"))
        yield _rule_outcome(
            policy,
            rate,
            "throttles or bans clients over a rate",
            "has no throttle or rate_based_ban rule",
        )
    for policy in index.kinds("azurerm_web_application_firewall_policy"):
        rate = any(r.get("rule_type") == "RateLimitRule" for r in policy.blocks("custom_rules"))
        yield _rule_outcome(policy, rate, "has a RateLimitRule", "has no RateLimitRule")


def _has(block: Any, *keys: str) -> bool:
    for key in keys:
        items = block.get(key) if isinstance(block, dict) else None
        block = items[0] if isinstance(items, list) and items else items
        if block is None:
            return False
    return True


def _rest_stage(index: TerraformIndex, stage: TfResource) -> Outcome:
    for settings in index.kinds("aws_api_gateway_method_settings"):
        if (
            _same(index, settings, stage, "rest_api_id")
            and (
                _same(index, settings, stage, "stage_name")
                or index.resolve(settings.get("stage_name"), settings, "aws_api_gateway_stage")
                is stage
            )
            and settings.get("settings", "throttling_rate_limit") is not None
        ):
            return passed(
                stage,
                f"is throttled by {settings.address}",
                setting=settings.setting("settings", "throttling_rate_limit"),
            )
    return failed(
        stage, "has no method settings with throttling (only the account-wide quota applies)"
    )


def _same(index: TerraformIndex, one: TfResource, other: TfResource, key: str) -> bool:
    """Both name the same resource, or the same known value, at `key`."""
    first, second = one.get(key), other.get(key)
    target = index.resolve(first, one)
    if target is not None:
        return target is index.resolve(second, other)
    return isinstance(first, str) and first == second


def _rule_outcome(item: TfResource, ok: bool, good: str, bad: str) -> Outcome:
    return passed(item, good) if ok else failed(item, bad)


# ---------------------------------------------------------------------------- 4.6.3


@check(
    "TF-WORM-BACKUPS",
    requirement="4.6.3",
    severity="high",
    title="Backups are immutable (WORM) in compliance mode",
    remediation="AWS: `aws_backup_vault_lock_configuration` with `changeable_for_days` "
    "(compliance mode), S3 Object Lock with a COMPLIANCE default retention; GCP: "
    'a locked `retention_policy`; Azure: `immutability = "Locked"` on '
    "backup vaults, locked container immutability policies.",
    references=(
        "https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html",
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html",
    ),
)
def worm_backups(inv: Inventory) -> Iterator[Outcome]:
    """Ransomware and insiders delete backups first. A vault lock without
    changeable_for_days is in governance mode and can be removed; S3 buckets have no
    Object Lock unless it is enabled; GOVERNANCE retention can be bypassed."""
    index = terraform(inv)
    yield from _aws_vaults(index)
    for bucket in index.kinds("aws_s3_bucket"):
        outcome = _s3_object_lock(index, bucket)
        if outcome is not None:
            yield outcome
    for bucket in index.kinds("google_storage_bucket"):
        outcome = _gcs_retention(bucket)
        if outcome is not None:
            yield outcome
    yield from _azure_immutability(index)


def _aws_vaults(index: TerraformIndex) -> Iterator[Outcome]:
    for vault in index.kinds("aws_backup_logically_air_gapped_vault"):
        yield passed(vault, "is a logically air-gapped vault (locked in compliance mode)")
    for vault in index.kinds("aws_backup_vault"):
        lock = next(
            index.referring(vault, ["aws_backup_vault_lock_configuration"], "backup_vault_name"),
            None,
        )
        if lock is None:
            yield failed(vault, "has no vault lock: backups can be deleted")
        elif lock.get("changeable_for_days") is None:
            yield failed(
                lock,
                "locks the vault in governance mode (no changeable_for_days): "
                "the lock can be removed",
                setting=lock.setting("changeable_for_days"),
            )
        else:
            yield passed(
                lock,
                "locks the vault in compliance mode",
                setting=lock.setting("changeable_for_days"),
            )


def _is_backup(bucket: TfResource) -> bool:
    names = [
        bucket.address,
        bucket.get("bucket"),
        bucket.get("name"),
        *(str(v) for v in bucket.tags.values()),
    ]
    return any(isinstance(n, str) and BACKUP_STORAGE.search(n) for n in names)


def _s3_object_lock(index: TerraformIndex, bucket: TfResource) -> Outcome | None:
    legacy = bucket.blocks("object_lock_configuration")
    enabled = bucket.get("object_lock_enabled") is True or (
        legacy and legacy[0].get("object_lock_enabled") == "Enabled"
    )
    configs = list(index.referring(bucket, ["aws_s3_bucket_object_lock_configuration"], "bucket"))
    holder, keys = (
        (configs[0], ("rule", "default_retention", "mode"))
        if configs
        else (bucket, ("object_lock_configuration", "rule", "default_retention", "mode"))
    )
    mode = holder.setting(*keys)
    if not enabled and not configs:
        if _is_backup(bucket):
            return failed(
                bucket,
                "holds backups without Object Lock (S3 buckets have none by default)",
                setting=bucket.setting("object_lock_enabled"),
            )
        return None
    if mode.present and unknown_reason(mode.value):
        return unknown(
            bucket, f"Object Lock mode is unknown: {unknown_reason(mode.value)}", setting=mode
        )
    if mode.value == "COMPLIANCE":
        return passed(
            bucket, "keeps objects immutable under COMPLIANCE-mode Object Lock", setting=mode
        )
    if mode.value == "GOVERNANCE":
        return failed(
            bucket,
            "uses GOVERNANCE-mode Object Lock, which privileged users can bypass",
            setting=mode,
        )
    return failed(
        bucket,
        "enables Object Lock without a default retention: new objects are not protected",
        setting=mode,
    )


def _gcs_retention(bucket: TfResource) -> Outcome | None:
    policy = bucket.setting("retention_policy")
    if not policy.present:
        if _is_backup(bucket):
            return failed(bucket, "holds backups without a retention policy")
        return None
    locked = bucket.setting("retention_policy", "is_locked")
    if locked.value is True:
        return passed(bucket, "has a locked retention policy", setting=locked)
    return failed(
        bucket, "has a retention policy that is not locked (it can be removed)", setting=locked
    )


def _azure_immutability(index: TerraformIndex) -> Iterator[Outcome]:
    for vault in index.kinds(
        "azurerm_recovery_services_vault", "azurerm_data_protection_backup_vault"
    ):
        yield expect(
            vault,
            vault.setting("immutability", default="Disabled"),
            "Locked",
            "has locked immutability",
            "is not locked immutable",
        )
    for policy in index.kinds("azurerm_storage_container_immutability_policy"):
        yield expect(
            policy,
            policy.setting("locked", default=False),
            True,
            "is a locked immutability policy",
            "is an unlocked immutability policy (it can be deleted)",
        )
