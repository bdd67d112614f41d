"""Every registered check has a passing and a failing fixture: one test over the whole
registry, so that no check arrives without them.

- Expectation markers (`# expect: CHECK-ID result`) anywhere under tests/checks/fixtures;
  the tests of each area hold every marker to its file and line.
- Host checks read a machine, not files: they prove theirs through host scenarios, the
  fixture roots under tests/live/fixtures/roots with recorded NVML answers and declared
  classes (and a cloud metadata service on loopback), read by `c4guard host`.
- Secrets in files and images: a secret must not sit in this repository and an image layer
  cannot carry a comment, so the test writes those inputs (tests/secrets builders).

A check that by design reports one side only is listed in ONE_SIDED with the reason.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from c4guard.checks import REGISTRY
from c4guard.cli import main
from c4guard.model import Domain
from tests.conftest import findings_of, scan_paths
from tests.expectations import expectations
from tests.live.imds import serving
from tests.secrets.image_builder import Layer, OciLayout
from tests.secrets.labelled_secrets import positive_cases, write_cases

FIXTURES = Path(__file__).parent / "fixtures"
HOST_FIXTURES = Path(__file__).parents[1] / "live" / "fixtures"
ROOTS = HOST_FIXTURES / "roots"
NVML = HOST_FIXTURES / "nvml"
CLASSES = ("--class", "confidential", "--class", "high-risk")
# Fixture root, NVML answers (or none), further arguments.
HOST_SCENARIOS = [
    *((root.name, None, ()) for root in sorted(ROOTS.iterdir())),
    ("bare-host", None, CLASSES),
    ("tee-guest", None, CLASSES),
    ("gpu-node", "h100-mig", CLASSES),
    ("bare-host", "h100-mig", ()),  # GPUs make the TPM matter: measured boot shown
    ("hardened-container", "h100-mig", ()),  # ... and not visible
    ("gpu-node", "h100-shared-no-ecc", ()),
    ("gpu-node", "h100-cc-on", CLASSES),
]
ONE_SIDED = {
    "K8S-RUNTIME-RESPONSE": (
        "pass",
        "a monitor that does not terminate is `unknown` (it may alert a person), never a "
        "failure: only the absence of evidence is reported",
    ),
    "PRIVATE-KEY-FILE": (
        "fail",
        "reports the keys it finds; that no file holds a secret is SECRET-IN-FILE's pass",
    ),
}
# Split where written, so that scanning this repository finds nothing.
HF_TOKEN = "hf_" + "Qw8rTzYyUkMoPaBsDfCgHjXkLzRxCvJbNm"


def _host_run(args: list[str], found: dict[str, set[str]]) -> None:
    result = CliRunner().invoke(
        main, ["host", "--format", "json", "--show-passes", *args], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    for requirement in json.loads(result.output)["requirements"]:
        for finding in requirement["findings"]:
            found[finding["check_id"]].add(finding["result"])


def host_results() -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for root, nvml, extra in HOST_SCENARIOS:
        answers = ["--nvml-answers", str(NVML / f"{nvml}.json")] if nvml else []
        _host_run(["--root", str(ROOTS / root), *answers, *extra], found)
    for token_status in (200, 403):  # a metadata service that answers, one that refuses
        with serving(token_status) as (endpoint, _):
            metadata = ["--probe-metadata", "--metadata-endpoint", endpoint]
            _host_run(["--root", str(ROOTS / "hardened-container"), *metadata], found)
    return found


def secret_results(root: Path) -> dict[str, set[str]]:
    """Scans of written inputs: a file with a token, clean files, private keys, an image
    with a token in a layer and an image without."""
    inputs = {name: root / name for name in ("token", "clean", "keys", "image", "clean-image")}
    for directory in inputs.values():
        directory.mkdir()
    (inputs["token"] / "notebook.py").write_text(f"TOKEN = '{HF_TOKEN}'\n")
    (inputs["clean"] / "README.md").write_text("nothing to see\n")
    write_cases(inputs["keys"], [c for c in positive_cases() if c.family == "private-key"][:1])
    for name, layer in (
        ("image", Layer().file("app/.env", f"HF_TOKEN={HF_TOKEN}\n")),
        ("clean-image", Layer().file("app/main.py", "print('serving')\n")),
    ):
        layout = OciLayout(inputs[name])
        layout.image([layer], "gzip")
        layout.write_index()
    found: dict[str, set[str]] = defaultdict(set)
    for directory in inputs.values():
        for finding in findings_of(scan_paths([str(directory)])):
            found[finding.check_id].add(finding.result.value)
    return found


@pytest.fixture(scope="module")
def proven(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for expectation in expectations(FIXTURES):
        found[expectation.check_id].add(expectation.result)
    for source in (host_results(), secret_results(tmp_path_factory.mktemp("secrets"))):
        for check_id, results in source.items():
            found[check_id] |= results
    return found


@pytest.mark.slow
@pytest.mark.parametrize("check_id", sorted(REGISTRY))
def test_every_check_has_passing_and_failing_fixtures(
    check_id: str, proven: dict[str, set[str]]
) -> None:
    needed = {ONE_SIDED[check_id][0]} if check_id in ONE_SIDED else {"pass", "fail"}
    results = proven.get(check_id, set())
    where = "host scenarios" if REGISTRY[check_id].domain is Domain.HOST else "fixture markers"
    assert needed <= results, f"{check_id} lacks {sorted(needed - results)} in its {where}"


def test_one_sided_checks_are_registered() -> None:
    assert set(ONE_SIDED) <= set(REGISTRY)
