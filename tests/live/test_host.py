"""`c4guard host` on fixture roots, on this machine itself, and its readers."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from c4guard.cli import main
from c4guard.live.procfs import parse_mountinfo, tcp_listeners
from c4guard.report.json import report_schema

FIXTURES = Path(__file__).parent / "fixtures"
ROOTS = FIXTURES / "roots"
H100_MIG = FIXTURES / "nvml" / "h100-mig.json"
HOST_REQUIREMENTS = (
    "4.1.1",
    "4.1.2",
    "4.1.3",
    "4.1.4",
    "4.1.5",
    "4.3.2",
    "4.4.5",
    "4.5.4",
    "4.6.1",
    "4.7.1",
    "4.7.2",
    "4.8.2",
)


def host(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["host", "--format", "json", *args], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.output)
    jsonschema.validate(report, report_schema())
    return result.exit_code, report


def statuses(report: dict) -> dict[str, str]:
    return {r["id"]: r["status"] for r in report["requirements"] if r["id"] in HOST_REQUIREMENTS}


def findings(report: dict, check_id: str) -> list[dict]:
    return [f for r in report["requirements"] for f in r["findings"] if f["check_id"] == check_id]


def results(report: dict, check_id: str) -> list[str]:
    return [f["result"] for f in findings(report, check_id)]


# ------------------------------------------------------------------------ fixture roots


def test_hardened_container() -> None:
    code, report = host("--root", str(ROOTS / "hardened-container"))
    assert code == 0  # reviews only: nothing at --fail-on fail
    assert statuses(report) == {
        "4.1.1": "pass",
        "4.1.2": "pass",
        "4.1.3": "pass",
        "4.1.4": "review",
        "4.1.5": "not_applicable",
        "4.3.2": "pass",
        "4.4.5": "pass",
        "4.5.4": "not_applicable",
        "4.6.1": "pass",
        "4.7.1": "not_applicable",
        "4.7.2": "not_applicable",
        "4.8.2": "review",
    }
    assert report["scanned_domains"] == ["host"]
    mounts = {f["resource"]["name"]: f["result"] for f in findings(report, "HOST-WRITABLE-MOUNTS")}
    assert mounts == {"/dev/shm": "pass", "/tmp": "pass"}  # /etc/hosts, /proc/kcore: not judged
    assert results(report, "HOST-RUNTIME-MONITOR") == ["unknown"]  # no host PID namespace
    assert "docker-default" in findings(report, "HOST-LSM-CONFINEMENT")[0]["message"]
    limits = {f["setting"]: f["message"] for f in findings(report, "HOST-CGROUP-LIMITS")}
    assert "2048 MiB" in limits["memory"] and "2 CPUs" in limits["cpu"] and "256" in limits["pids"]
    level_1 = next(level for level in report["summary"]["levels"] if level["level"] == 1)
    assert all(r not in level_1["unmet"] for r in ("4.1.1", "4.1.2", "4.3.2"))


def test_privileged_container() -> None:
    code, report = host("--root", str(ROOTS / "privileged-container"))
    assert code == 1
    assert statuses(report) == {
        "4.1.1": "fail",
        "4.1.2": "fail",
        "4.1.3": "fail",
        "4.1.4": "fail",
        "4.1.5": "not_applicable",
        "4.3.2": "fail",
        "4.4.5": "fail",
        "4.5.4": "not_applicable",
        "4.6.1": "fail",
        "4.7.1": "not_applicable",
        "4.7.2": "not_applicable",
        "4.8.2": "review",
    }
    capabilities = findings(report, "HOST-CAPABILITIES")[0]
    assert "every capability" in capabilities["message"]
    assert capabilities["path"].endswith("proc/self/status") and capabilities["line"] == 46
    token = findings(report, "HOST-SA-TOKEN")[0]
    assert token["result"] == "fail" and "serviceaccount/token" in token["message"]
    assert sorted(f["setting"] for f in findings(report, "HOST-SECRET-ENV")) == [
        "environment.DB_PASSWORD",
        "environment.OPENAI_API_KEY",
    ]
    text = json.dumps(report)
    assert "fixture-not-a-real-password" not in text and "sk-fixture" not in text
    sshd = findings(report, "HOST-SSHD")[0]
    assert "0.0.0.0:22" in sshd["message"] and "[::]:22" in sshd["message"]
    assert {f["resource"]["name"] for f in findings(report, "HOST-WRITABLE-MOUNTS")} == {
        "/work",
        "/host",
        "/dev/shm",
    }


def test_bare_host() -> None:
    code, report = host("--root", str(ROOTS / "bare-host"))
    assert code == 1
    assert statuses(report) == {
        "4.1.1": "fail",
        "4.1.2": "fail",
        "4.1.3": "fail",
        "4.1.4": "review",
        "4.1.5": "not_applicable",
        "4.3.2": "fail",
        "4.4.5": "pass",
        "4.5.4": "not_applicable",
        "4.6.1": "fail",
        "4.7.1": "not_applicable",
        "4.7.2": "not_applicable",
        "4.8.2": "review",
    }
    assert results(report, "HOST-RUNTIME-MONITOR") == ["pass"]
    assert "Falco (pid 2210)" in findings(report, "HOST-RUNTIME-MONITOR")[0]["message"]
    assert results(report, "HOST-SECURE-BOOT") == ["pass"]
    assert results(report, "HOST-KERNEL-LOCKDOWN") == ["pass"]
    assert "integrity" in findings(report, "HOST-KERNEL-LOCKDOWN")[0]["message"]
    limits = {f["setting"]: f["result"] for f in findings(report, "HOST-CGROUP-LIMITS")}
    assert limits == {"memory": "fail", "cpu": "fail", "pids": "pass"}  # pids set on the slice
    pids = next(f for f in findings(report, "HOST-CGROUP-LIMITS") if f["setting"] == "pids")
    assert pids["path"].endswith("user.slice/user-0.slice/pids.max")
    boot_efi = next(
        f for f in findings(report, "HOST-WRITABLE-MOUNTS") if f["resource"]["name"] == "/boot/efi"
    )
    assert boot_efi["line"] == 17 and "nosuid, nodev, noexec" in boot_efi["message"]


def test_bare_host_declared_confidential_fails_the_tee_requirements() -> None:
    _, report = host("--root", str(ROOTS / "bare-host"), "--class", "confidential,high-risk")
    assert statuses(report)["4.5.4"] == "fail" and statuses(report)["4.1.5"] == "fail"


def test_tee_guest() -> None:
    code, report = host(
        "--root", str(ROOTS / "tee-guest"), "--class", "confidential", "--class", "high-risk"
    )
    assert code == 0
    assert statuses(report) == {
        "4.1.1": "pass",
        "4.1.2": "pass",
        "4.1.3": "pass",
        "4.1.4": "review",
        "4.1.5": "review",
        "4.3.2": "pass",
        "4.4.5": "pass",
        "4.5.4": "pass",
        "4.6.1": "pass",
        "4.7.1": "not_applicable",
        "4.7.2": "not_applicable",
        "4.8.2": "review",
    }
    tee = findings(report, "HOST-TEE-GUEST")[0]
    assert "AMD SEV-SNP" in tee["message"] and tee["path"].endswith("dev/sev-guest")
    root_user = findings(report, "HOST-ROOT-USER")[0]
    assert "user namespace (uid 100000" in root_user["message"]
    assert "container_t" in findings(report, "HOST-LSM-CONFINEMENT")[0]["message"]


def test_container_declared_confidential_without_a_visible_tee_is_unknown() -> None:
    _, report = host("--root", str(ROOTS / "hardened-container"), "--class", "confidential")
    assert results(report, "HOST-TEE-GUEST") == ["unknown"]
    assert statuses(report)["4.5.4"] == "review"


def test_gpu_node_with_mig() -> None:
    code, report = host("--root", str(ROOTS / "gpu-node"), "--nvml-answers", str(H100_MIG))
    assert code == 1
    assert statuses(report) == {
        "4.1.1": "pass",
        "4.1.2": "pass",
        "4.1.3": "fail",
        "4.1.4": "review",
        "4.1.5": "not_applicable",
        "4.3.2": "pass",
        "4.4.5": "fail",
        "4.5.4": "not_applicable",
        "4.6.1": "pass",
        "4.7.1": "fail",
        "4.7.2": "pass",
        "4.8.2": "review",
    }
    assert results(report, "HOST-GPU-PARTITION") == ["pass", "pass"]
    assert results(report, "HOST-GPU-ECC") == ["pass", "pass"]
    assert results(report, "HOST-TPM") == ["unknown"]  # TPM in sysfs, no securityfs
    assert [f["setting"] for f in findings(report, "HOST-SECRET-ENV")] == ["environment.HF_TOKEN"]
    shm = findings(report, "HOST-WRITABLE-MOUNTS")
    assert [(f["resource"]["name"], f["result"]) for f in shm if f["result"] == "fail"] == [
        ("/dev/shm", "fail")
    ]
    gpu = findings(report, "HOST-GPU-PARTITION")[0]
    assert gpu["resource"] == {
        "kind": "GPU",
        "namespace": None,
        "origin": "host",
        "name": "GPU-5e1f6a2b-8c0d-4e7a-9b3f-1a2c3d4e5f60",
    }


def test_gpu_node_without_nvml_answers_is_unknown() -> None:
    _, report = host("--root", str(ROOTS / "gpu-node"))
    assert set(results(report, "HOST-GPU-PARTITION")) == {"unknown"}
    assert len(results(report, "HOST-GPU-PARTITION")) == 2  # /dev/nvidia0 and /dev/nvidia1
    assert statuses(report)["4.7.2"] == "review"
    assert (
        "--root reads another filesystem root"
        in findings(report, "HOST-GPU-PARTITION")[0]["message"]
    )


def _recording(tmp_path: Path, **changes: object) -> Path:
    data = json.loads(H100_MIG.read_text())
    data["answers"].update(changes)
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(data))
    return path


def test_shared_gpu_without_mig_and_ecc_fails(tmp_path: Path) -> None:
    answers = _recording(
        tmp_path,
        **{
            "nvmlDeviceGetMigMode(1)": [0, 1],
            "nvmlDeviceGetEccMode(1)": [0, 0],
            "nvmlDeviceGetMigMode(0)": {"error": "NOT_SUPPORTED"},
            "nvmlDeviceGetComputeMode(0)": 3,
        },
    )
    _, report = host("--root", str(ROOTS / "gpu-node"), "--nvml-answers", str(answers))
    partition = findings(report, "HOST-GPU-PARTITION")
    assert [f["result"] for f in partition] == ["pass", "fail"]
    assert "EXCLUSIVE_PROCESS" in partition[0]["message"]
    assert "MIG is off" in partition[1]["message"] and "pending" in partition[1]["message"]
    assert results(report, "HOST-GPU-ECC") == ["pass", "fail"]
    assert statuses(report)["4.7.2"] == "fail"


def test_gpu_confidential_computing_on(tmp_path: Path) -> None:
    answers = _recording(
        tmp_path,
        **{
            "nvmlSystemGetConfComputeState()": {
                "ccFeature": 1,
                "devToolsMode": 0,
                "environment": 2,
            },
            "nvmlSystemGetConfComputeGpusReadyState()": 1,
        },
    )
    _, report = host(
        "--root", str(ROOTS / "gpu-node"), "--nvml-answers", str(answers), "--class", "confidential"
    )
    assert results(report, "HOST-GPU-ATTESTATION") == ["pass", "pass"]
    assert results(report, "HOST-GPU-CC-MODE") == ["pass", "pass"]
    assert statuses(report)["4.7.1"] == "review"  # partial automation, TPM log not visible


def test_gpu_devtools_mode_fails_for_confidential_workloads(tmp_path: Path) -> None:
    answers = _recording(
        tmp_path,
        **{
            "nvmlSystemGetConfComputeState()": {"ccFeature": 1, "devToolsMode": 1, "environment": 2}
        },
    )
    _, report = host(
        "--root", str(ROOTS / "gpu-node"), "--nvml-answers", str(answers), "--class", "confidential"
    )
    cc = findings(report, "HOST-GPU-CC-MODE")[0]
    assert cc["result"] == "fail" and "devtools" in cc["message"]


def test_bad_nvml_recording_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(
        main, ["host", "--root", str(ROOTS / "gpu-node"), "--nvml-answers", str(bad)]
    )
    assert result.exit_code == 2
    assert f"{bad}: not a JSON recording of NVML answers" in result.output


def test_missing_root_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["host", "--root", str(tmp_path)])
    assert result.exit_code == 2
    assert "cannot read the process status" in result.output


# ------------------------------------------------------------------------ this machine


def _own_status() -> dict[str, str]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def test_host_on_this_machine_matches_proc_self_status() -> None:
    """The acceptance test: `c4guard host` on the CI machine itself completes, and what it
    parsed agrees with /proc/self/status read here independently."""
    _, report = host("--show-passes")
    status = _own_status()
    evidence = findings(report, "HOST-CAPABILITIES")[0]["evidence"]
    for label, key in (
        ("effective", "CapEff"),
        ("permitted", "CapPrm"),
        ("bounding", "CapBnd"),
        ("ambient", "CapAmb"),
        ("inheritable", "CapInh"),
    ):
        mask = int(status[key], 16)
        assert int(evidence[f"{label}_mask"], 16) == mask
        assert len(evidence[label]) == bin(mask).count("1")
        assert ("SYS_ADMIN" in evidence[label]) == bool(mask >> 21 & 1)
        assert ("NET_BIND_SERVICE" in evidence[label]) == bool(mask >> 10 & 1)
    seccomp = findings(report, "HOST-SECCOMP")[0]
    assert seccomp["evidence"]["mode"] == int(status["Seccomp"])
    assert seccomp["evidence"]["filters"] == int(status.get("Seccomp_filters", "0"))
    assert seccomp["line"] == next(
        n
        for n, line in enumerate(Path("/proc/self/status").read_text().splitlines(), start=1)
        if line.startswith("Seccomp:")
    )
    uid = int(status["Uid"].split()[1])
    root_user = findings(report, "HOST-ROOT-USER")[0]
    assert (f"uid {uid}" in root_user["message"]) or ("root" in root_user["message"] and uid == 0)


def test_no_metadata_traffic_without_the_flag() -> None:
    _, report = host("--root", str(ROOTS / "hardened-container"))
    assert findings(report, "HOST-CLOUD-METADATA") == []


# ------------------------------------------------------------------------ readers


def test_mountinfo_escapes_and_bad_lines() -> None:
    text = "36 35 98:0 /mnt1 /mnt/my\\040data rw,noatime master:1 - ext3 /dev/root rw\ngarbage\n"
    entries, errors = parse_mountinfo(text)
    assert entries[0].mount_point == "/mnt/my data" and entries[0].fs_type == "ext3"
    assert [e.line for e in errors] == [2]


def test_malformed_mountinfo_is_an_input_error(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "root"
    shutil.copytree(ROOTS / "hardened-container", root)
    with open(root / "proc/self/mountinfo", "a") as handle:
        handle.write("this is not a mount\n")
    code, report = host("--root", str(root))
    assert code == 1
    assert report["input_errors"] == [
        {"path": str(root / "proc/self/mountinfo"), "line": 25, "reason": "not a mountinfo line"}
    ]


def test_tcp_listeners() -> None:
    table = (ROOTS / "privileged-container/proc/self/net/tcp").read_text()
    assert [(x.address, x.port) for x in tcp_listeners(table)] == [
        ("0.0.0.0", 22),
        ("127.0.0.1", 10056),
    ]


def test_cgroup_v1_tightest_limit_up_the_hierarchy(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "root"
    shutil.copytree(ROOTS / "hardened-container", root)
    (root / "proc/self/cgroup").write_text(
        "12:pids:/kubepods/pod1/c1\n5:memory:/kubepods/pod1/c1\n4:cpu,cpuacct:/kubepods/pod1/c1\n"
        "0::/\n"
    )
    mountinfo = (
        (root / "proc/self/mountinfo")
        .read_text()
        .replace(
            "1185 1184 0:30 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup "
            "rw,nsdelegate,memory_recursiveprot",
            "1185 1184 0:30 / /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime - cgroup "
            "cgroup rw,memory\n1193 1184 0:31 /kubepods /sys/fs/cgroup/cpu,cpuacct ro,nosuid,"
            "nodev,noexec,relatime - cgroup cgroup rw,cpu,cpuacct\n1194 1184 0:32 / "
            "/sys/fs/cgroup/pids ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,pids",
        )
    )
    (root / "proc/self/mountinfo").write_text(mountinfo)
    memory = root / "sys/fs/cgroup/memory/kubepods/pod1"
    (memory / "c1").mkdir(parents=True)
    (memory / "c1/memory.limit_in_bytes").write_text("9223372036854771712\n")
    (memory / "memory.limit_in_bytes").write_text("1073741824\n")
    cpu = root / "sys/fs/cgroup/cpu,cpuacct/pod1/c1"
    cpu.mkdir(parents=True)
    (cpu / "cpu.cfs_quota_us").write_text("-1\n")
    (cpu / "cpu.cfs_period_us").write_text("100000\n")
    _, report = host("--root", str(root), "--show-passes")
    limits = {f["setting"]: f for f in findings(report, "HOST-CGROUP-LIMITS")}
    assert limits["memory"]["result"] == "pass" and "1024 MiB" in limits["memory"]["message"]
    assert limits["memory"]["path"].endswith("memory/kubepods/pod1/memory.limit_in_bytes")
    assert limits["cpu"]["result"] == "fail"
    assert limits["cpu"]["path"].endswith("cpu,cpuacct/pod1/c1/cpu.cfs_quota_us")
    assert limits["pids"]["result"] == "fail"


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("HF_TOKEN", True),
        ("OPENAI_API_KEY", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("DB_PASSWORD", True),
        ("SIGNING_KEY", True),
        ("SECRET_KEY_BASE", True),
        ("HF_TOKEN_FILE", False),
        ("AWS_ACCESS_KEY_ID", False),
        ("PWD", False),
        ("OLDPWD", False),
        ("SSL_CERT_FILE", False),
        ("PIP_CERT", False),
        ("MONKEY", False),
        ("KUBERNETES_SERVICE_HOST", False),
        ("TOKEN_URL", False),
    ],
)
def test_secret_like_names(name: str, secret: bool) -> None:
    from c4guard.views.host import secret_like

    assert secret_like(name) is secret


@pytest.mark.parametrize(
    ("label", "enforce", "result"),
    [
        ("docker-default (complain)", None, "fail"),
        ("system_u:system_r:spc_t:s0", "1", "fail"),
        ("system_u:system_r:container_t:s0:c1,c2", "0", "fail"),
        ("system_u:system_r:container_t:s0:c1,c2", None, "unknown"),
        ("system_u:system_r:container_t:s0:c1,c2", "1", "pass"),
        ("cri-containerd.apparmor.d (kill)", None, "pass"),
    ],
)
def test_lsm_labels(tmp_path: Path, label: str, enforce: str | None, result: str) -> None:
    import shutil

    root = tmp_path / "root"
    shutil.copytree(ROOTS / "hardened-container", root)
    (root / "proc/self/attr/apparmor/current").unlink()
    (root / "proc/self/attr/current").write_text(label + "\n")
    if enforce is not None:
        (root / "sys/fs/selinux").mkdir(parents=True)
        (root / "sys/fs/selinux/enforce").write_text(enforce)
    _, report = host("--root", str(root))
    [finding] = findings(report, "HOST-LSM-CONFINEMENT")
    assert finding["result"] == result, finding["message"]
    assert finding["evidence"]["apparmor_enabled"] is True
