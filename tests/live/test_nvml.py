"""The NVML reader: recorded answers replay through the same code as the driver's."""

from __future__ import annotations

import ctypes
import json
from dataclasses import asdict
from pathlib import Path

import pytest

from c4guard.live.nvml import (
    DriverNvml,
    NvmlError,
    NvmlUnavailable,
    RecordedNvml,
    plain,
    read_gpus,
    record,
)

H100_MIG = Path(__file__).parent / "fixtures" / "nvml" / "h100-mig.json"


def _driver() -> DriverNvml | None:
    try:
        return DriverNvml()
    except NvmlUnavailable:
        return None


def test_recorded_answers_translate_to_gpu_facts() -> None:
    report = read_gpus(RecordedNvml(H100_MIG))
    assert report.driver == "550.90.07" and len(report.gpus) == 2
    gpu = report.gpus[0]
    assert gpu.name == "NVIDIA H100 80GB HBM3" and gpu.mig_mode == (1, 1)
    assert gpu.ecc_mode == (1, 1) and gpu.compute_mode == "DEFAULT"
    assert report.confidential.feature is False and report.confidential.cpu_tee == "none"
    assert report.confidential.ready is False


def test_recording_a_recording_gives_the_same_answers() -> None:
    answers = json.loads(H100_MIG.read_text())["answers"]
    assert record(RecordedNvml(H100_MIG))["answers"] == answers


def test_unrecorded_and_error_answers(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(
        json.dumps(
            {
                "answers": {
                    "nvmlDeviceGetCount()": 1,
                    "nvmlDeviceGetName(0)": "Tesla T4",
                    "nvmlDeviceGetUUID(0)": "GPU-1",
                    "nvmlDeviceGetMigMode(0)": {"error": "NOT_SUPPORTED"},
                }
            }
        )
    )
    source = RecordedNvml(path)
    with pytest.raises(NvmlError) as raised:
        source.ask("nvmlDeviceGetMigMode", 0)
    assert raised.value.code == "NOT_SUPPORTED"
    report = read_gpus(source)
    assert report.gpus[0].mig_mode is None
    assert report.gpus[0].errors["GetMigMode"] == "NOT_SUPPORTED"
    assert report.gpus[0].errors["GetEccMode"] == "NOT_RECORDED"


def test_recording_limits_and_shape(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (4 * 1024 * 1024 + 1))
    with pytest.raises(NvmlUnavailable, match="larger than"):
        RecordedNvml(big)
    wrong = tmp_path / "wrong.json"
    wrong.write_text("[1, 2]")
    with pytest.raises(NvmlUnavailable, match="no `answers`"):
        RecordedNvml(wrong)
    no_count = tmp_path / "no-count.json"
    no_count.write_text(json.dumps({"answers": {"nvmlDeviceGetCount()": "many"}}))
    with pytest.raises(NvmlUnavailable, match="no GPU count"):
        read_gpus(RecordedNvml(no_count))


def test_plain_answers() -> None:
    class State(ctypes.Structure):
        _fields_ = [("environment", ctypes.c_uint), ("ccFeature", ctypes.c_uint)]

    assert plain(State(2, 1)) == {"environment": 2, "ccFeature": 1}
    assert plain(b"NVIDIA H200") == "NVIDIA H200"
    assert plain([1, 0]) == [1, 0]


def test_this_machines_driver(tmp_path: Path) -> None:
    """Whatever this machine has: without NVML, asking the driver is `NvmlUnavailable`;
    with it, the driver's answers, recorded and replayed, give the same facts. (One test
    for both cases, so that no machine skips it.)"""
    driver = _driver()
    if driver is None:
        with pytest.raises(NvmlUnavailable, match="NVML"):
            DriverNvml()
        return
    try:
        live = read_gpus(driver)
        recording = record(driver)
    finally:
        driver.close()
    assert live.gpus, "NVML reports no GPU"
    assert all(g.uuid.startswith(("GPU-", "MIG-")) for g in live.gpus)
    replayed_path = tmp_path / "answers.json"
    replayed_path.write_text(json.dumps(recording))
    replayed = read_gpus(RecordedNvml(replayed_path))
    assert [asdict(g) for g in replayed.gpus] == [asdict(g) for g in live.gpus]
    assert asdict(replayed.confidential) == asdict(live.confidential)
