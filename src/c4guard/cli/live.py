"""`c4guard host` and `c4guard cluster`: live probes, judged and reported like `scan`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from c4guard.cli.common import ReportOptions, assess_and_exit, prepare, report_options
from c4guard.errors import UsageError
from c4guard.live.metadata import DEFAULT_ENDPOINT, check_endpoint

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _classes(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(c.strip() for v in values for c in v.split(",") if c.strip())


@click.command()
@report_options
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("/"),
    show_default=True,
    help="Filesystem root to read /proc, /sys and /dev from (a host's root mounted "
    "into a DaemonSet, or a saved tree).",
)
@click.option(
    "--pid",
    default="self",
    show_default=True,
    help="Process to judge (with the host's PID namespace, any container's process).",
)
@click.option(
    "--class",
    "classes",
    multiple=True,
    metavar="CLASS[,CLASS]",
    help="Workload classes this host runs (high-risk, confidential): they make the "
    "TEE checks apply.",
)
@click.option(
    "--probe-metadata",
    is_flag=True,
    help="Also check whether the cloud metadata service answers from here "
    "(sends HTTP requests to --metadata-endpoint).",
)
@click.option(
    "--metadata-endpoint",
    default=DEFAULT_ENDPOINT,
    show_default=True,
    help="Address of the cloud metadata service for --probe-metadata.",
)
@click.option(
    "--nvml-answers",
    type=_FILE,
    help="Read GPU facts from NVML answers recorded with --record-nvml instead of "
    "asking the driver.",
)
@click.option("--no-nvml", is_flag=True, help="Do not ask NVML about GPUs.")
@click.option(
    "--record-nvml",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Record this machine's NVML answers to FILE (for --nvml-answers).",
)
def host(
    report: ReportOptions,
    root: Path,
    pid: str,
    classes: tuple[str, ...],
    probe_metadata: bool,
    metadata_endpoint: str,
    nvml_answers: Path | None,
    no_nvml: bool,
    record_nvml: Path | None,
) -> None:
    """Probe this process and the node it runs on: capabilities, seccomp, LSM, mounts,
    cgroup limits, TEE, TPM, Secure Boot, runtime monitors, GPUs (NVML)."""
    from c4guard.live.host import HostOptions, read_host
    from c4guard.live.nvml import NvmlSource, NvmlUnavailable, RecordedNvml

    if not (pid == "self" or pid.isdigit()):
        raise UsageError(f"--pid must be a process id or `self`, not {pid!r}")
    if probe_metadata:
        try:
            check_endpoint(metadata_endpoint)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    prepared = prepare(report, ["."])
    if record_nvml is not None:
        _record_nvml(record_nvml)
    nvml: str | NvmlSource = "off" if no_nvml else "auto"
    if nvml_answers is not None:
        try:
            nvml = RecordedNvml(nvml_answers)
        except NvmlUnavailable as exc:
            raise UsageError(f"--nvml-answers: {exc}") from exc
    options = HostOptions(
        root=root,
        pid=pid,
        classes=_classes(classes),
        nvml=nvml,
        metadata_endpoint=metadata_endpoint if probe_metadata else None,
    )
    inputs = read_host(options)
    if not inputs.resources:
        problems = "; ".join(f"{e.path}: {e.reason}" for e in inputs.summary.input_errors)
        raise UsageError(f"nothing to assess under {root}: {problems}")
    target = f"host {root}" + ("" if pid == "self" else f" (pid {pid})")
    assess_and_exit(inputs, prepared, [target], report)


def _record_nvml(path: Path) -> None:
    from c4guard.live.nvml import DriverNvml, NvmlUnavailable, record

    try:
        source = DriverNvml()
    except NvmlUnavailable as exc:
        raise UsageError(f"cannot record NVML answers: {exc}") from exc
    try:
        recording = record(source)
    finally:
        source.close()
    path.write_text(json.dumps(recording, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    click.echo(f"c4guard: recorded NVML answers to {path}", err=True)


@click.command()
@report_options
@click.option(
    "--kubeconfig",
    type=click.Path(exists=True, dir_okay=False),
    help="kubeconfig file [default: $KUBECONFIG, else ~/.kube/config].",
)
@click.option("--context", help="kubeconfig context [default: the current context].")
@click.option(
    "--in-cluster",
    is_flag=True,
    help="Use the pod's service account (the default in a pod without a kubeconfig).",
)
@click.option(
    "-n",
    "--namespace",
    "namespaces",
    multiple=True,
    metavar="NAMESPACE",
    help="Read namespaced objects of this namespace only (repeatable); "
    "cluster-scoped objects are still read.",
)
def cluster(
    report: ReportOptions,
    kubeconfig: str | None,
    context: str | None,
    in_cluster: bool,
    namespaces: tuple[str, ...],
) -> None:
    """Read a live cluster through the Kubernetes API and run the Kubernetes checks on it."""
    from c4guard.live.cluster import ClusterOptions, read_cluster
    from c4guard.live.kubeapi import ConnectOptions, connect

    prepared = prepare(report, ["."])
    conn = connect(ConnectOptions(kubeconfig, context, in_cluster))  # ClusterError: exit 2
    try:
        inputs = read_cluster(conn, ClusterOptions(namespaces=tuple(dict.fromkeys(namespaces))))
    finally:
        conn.close()
    if not inputs.resources:
        reasons = [g.reason for g in inputs.summary.gaps[:5]]
        raise UsageError(
            "nothing to assess: no object could be read from the cluster"
            + "".join(f"\n  {r}" for r in reasons)
        )
    scope = f" namespaces {', '.join(namespaces)}" if namespaces else ""
    assess_and_exit(inputs, prepared, [f"cluster {conn.name} ({conn.server}){scope}"], report)
