"""Reports do not change by accident: the JSON reports of the bundled examples and of every
corpus repository equal the stored references (timing fields aside). A change meant to alter
verdicts regenerates them with `python scripts/reference_reports.py --update`."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from tests.conftest import REPO, shared_path


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "reference_reports", REPO / "scripts" / "reference_reports.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["reference_reports"] = module
    spec.loader.exec_module(module)
    return module


reference = _script()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(reference.targets()) if reference.SHARED.exists() else [])
def test_report_equals_its_reference(name: str) -> None:
    shared_path("corpus")
    target = reference.targets()[name]
    report = reference.report_of(target)
    text = json.dumps(report)
    for where in {str(reference.SHARED.resolve()), str(REPO)}:
        assert where not in text, f"{name}: the report depends on where it ran ({where})"
    assert report == reference.stored(name), (
        f"{name}: the report changed; if that is intended, run "
        "`python scripts/reference_reports.py --update` and say why in the commit"
    )


def test_every_target_has_a_reference() -> None:
    shared_path("corpus")
    stored = {p.name.removesuffix(".json.gz") for p in reference.STORE.glob("*.json.gz")}
    assert stored == set(reference.targets())
