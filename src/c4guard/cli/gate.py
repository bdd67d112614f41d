"""`c4guard gate serve | check | webhook-config | certs`.

The decision stack (checks, the verifier with sigstore) and the server stack (uvicorn,
prometheus_client) are imported when a command runs, not when `c4guard` starts.
"""

from __future__ import annotations

import gc
import json
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import yaml

from c4guard.cli.recording import (
    DEFAULT_TRAIL,
    F,
    audit_option,
    receipt_line,
    record,
    trail_location,
)
from c4guard.cli.supplychain import registry_options
from c4guard.config import Config, find_config, load_config
from c4guard.config.gate import GatePolicy
from c4guard.errors import EXIT_FINDINGS, EXIT_OK, ConfigError, ServiceError, UsageError

if TYPE_CHECKING:
    from c4guard.gate.decision import Decision, Gate, Reason
    from c4guard.model import Resource

SWITCH_INTERVAL_S = 0.0005  # 5 ms by default: each select() of the loop would wait that long
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def gate() -> None:
    """The deployment gate: an admission webhook (`serve`) and the same decision in CI
    (`check`)."""


def gate_options(func: F) -> F:
    """The options `serve` and `check` share: config, trust policy, registry access."""
    func = registry_options(func)
    func = click.option(
        "--trust-policy",
        type=_FILE,
        help="Trust policy for images (docs/verify.md) [default: "
        "gate.images.trust_policy of the config].",
    )(func)
    return click.option(
        "--config",
        "config_path",
        type=_FILE,
        help="c4guard.yaml with the `gate:` section [default: c4guard.yaml "
        "of a single directory argument, else of the current "
        "directory].",
    )(func)


@gate.command()
@gate_options
@click.option(
    "--listen",
    default="0.0.0.0:8443",
    show_default=True,
    metavar="HOST:PORT",
    help="Address to serve HTTPS on.",
)
@click.option(
    "--probe-listen",
    metavar="HOST:PORT",
    help="Also serve /healthz, /readyz and /metrics over plain HTTP here (kubelet "
    "probes and Prometheus cannot present the client certificate --client-ca "
    "requires).",
)
@click.option("--tls-cert", type=_FILE, required=True, help="Server certificate chain (PEM).")
@click.option("--tls-key", type=_FILE, required=True, help="Server private key (PEM).")
@click.option(
    "--client-ca",
    type=_FILE,
    help="Require client certificates signed by this CA (mTLS with the API server).",
)
@click.option(
    "--tls-reload-interval",
    type=click.FloatRange(0.1, 3600),
    default=10.0,
    show_default=True,
    help="Seconds between checks for a rotated certificate.",
)
@click.option(
    "--audit-db",
    "--audit",
    "audit_location",
    metavar="PATH|URL",
    help="Audit trail: SQLite file or postgresql:// URL [default: the config's "
    "audit.db, else the default trail in the state directory].",
)
@click.option(
    "--audit-from",
    type=_FILE,
    help="Read the audit trail location (a postgresql:// URL with its password) from this "
    "file, e.g. a mounted Secret, so it is in no argument or environment variable.",
)
@click.option("--actor", help="Who the audit entries name [default: c4guard-gate@HOSTNAME].")
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=16,
    show_default=True,
    help="Threads for registry lookups and objects too large to judge on the event loop.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(16, 1_000_000),
    default=1000,
    show_default=True,
    help="Connections open at once on --listen (lowered to what RLIMIT_NOFILE allows); "
    "at the cap the oldest connection still in its TLS handshake is dropped.",
)
@click.option(
    "--handshake-timeout",
    type=click.FloatRange(0.1, 60),
    default=5.0,
    show_default=True,
    help="Seconds a new connection has to finish its TLS handshake.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
def serve(
    config_path: Path | None,
    trust_policy: Path | None,
    plain_http: bool,
    registry_ca: Path | None,
    docker_config: Path | None,
    listen: str,
    probe_listen: str | None,
    tls_cert: Path,
    tls_key: Path,
    client_ca: Path | None,
    tls_reload_interval: float,
    audit_location: str | None,
    audit_from: Path | None,
    actor: str | None,
    threads: int,
    max_connections: int,
    handshake_timeout: float,
    log_level: str,
) -> None:
    """Serve the validating admission webhook (AdmissionReview v1 at POST /validate) over
    HTTPS, with /healthz, /readyz and /metrics."""
    from concurrent.futures import ThreadPoolExecutor

    from c4guard.audit import AuditError
    from c4guard.gate import logs
    from c4guard.gate.connections import ConnectionLimits
    from c4guard.gate.metrics import GateMetrics
    from c4guard.gate.recorder import DecisionRecorder
    from c4guard.gate.server import ListenError, ReloadingTLS, TLSFiles, serve_app
    from c4guard.gate.webhook import GateApp

    logs.configure(log_level)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)  # a clean exit 0, even while starting
    if audit_from is not None:
        if audit_location:
            raise UsageError("give the audit trail by --audit or by --audit-from, not both")
        audit_location = audit_from.read_text(encoding="utf-8").strip()
    address = _listen_address(listen, "--listen")
    probes = _listen_address(probe_listen, "--probe-listen") if probe_listen else None
    config = _config(config_path)
    metrics = GateMetrics()
    decider = build_gate(
        config,
        trust_policy,
        (plain_http, registry_ca, docker_config),
        on_cache_lookup=metrics.cache_lookup,
    )
    try:
        tls = ReloadingTLS(TLSFiles(tls_cert, tls_key, client_ca), metrics)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot load the TLS certificate and key: {exc}") from exc
    try:
        recorder = DecisionRecorder(_trail(audit_location, config), _actor(actor, config))
    except (AuditError, OSError, ValueError) as exc:
        raise ServiceError(f"audit trail unavailable: {exc}") from exc
    executor = ThreadPoolExecutor(threads, thread_name_prefix="c4guard-gate")
    app = GateApp(decider, recorder, metrics=metrics, executor=executor)
    logs.log_event(
        "serving",
        listen=listen,
        checks=[c.id for c in decider.checks],
        mtls=client_ca is not None,
        images_verified=decider.images is not None,
        policy=decider.policy_digests(),
    )
    sys.setswitchinterval(SWITCH_INTERVAL_S)  # the event loop gets the GIL back sooner
    gc.freeze()  # what startup built lives on: full collections then skip it (80 ms -> 1 ms)
    try:
        limits = ConnectionLimits(max_connections, handshake_timeout)
        serve_app(app, address, tls, tls_reload_interval, probes, limits)
    except ListenError as exc:
        logs.log_event("listen_failed", error=str(exc))
        raise ServiceError(str(exc)) from exc
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
        recorder.close()
        logs.log_event("stopped")


def _stop_on_sigterm(_signum: int, _frame: Any) -> None:
    raise SystemExit(0)


@gate.command()
@click.argument("paths", nargs=-1, type=click.Path(allow_dash=True))
@gate_options
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@audit_option
def check(
    paths: tuple[str, ...],
    config_path: Path | None,
    trust_policy: Path | None,
    plain_http: bool,
    registry_ca: Path | None,
    docker_config: Path | None,
    fmt: str,
    audit_location: str | None,
) -> None:
    """Decide admission for the workloads in manifest files, directories or `-` (stdin),
    exactly as the webhook would, one object at a time. Exit 0 all allowed, 1 any denied
    or unreadable, 2 usage error or no workload found."""
    from c4guard.sources import read_inputs

    targets = list(paths) or ["-"]
    config = _config(config_path, targets)
    decider = build_gate(config, trust_policy, (plain_http, registry_ca, docker_config))
    inputs = read_inputs(targets)
    decisions = [(r, decider.decide(r)) for r in _gated(inputs.resources)]
    errors = [f"{e.path}:{e.line or 1}: {e.reason}" for e in inputs.summary.input_errors]
    if not decisions and not errors:
        raise UsageError("no workload among the inputs: nothing to decide")
    if fmt == "json":
        click.echo(
            json.dumps(
                {"decisions": [_json_decision(r, d) for r, d in decisions], "input_errors": errors},
                ensure_ascii=False,
            )
        )
    else:
        click.echo(_text_report(decisions, errors))
    configured = (config.audit.db or DEFAULT_TRAIL) if config.audit else None
    location = trail_location(audit_location, configured)
    if location is not False:
        actor = _actor(None, config)
        events = [_check_event(r, d, decider, actor) for r, d in decisions]
        click.echo(receipt_line(record(location, events)), err=True)
    denied = errors or any(not d.allowed for _, d in decisions)
    sys.exit(EXIT_FINDINGS if denied else EXIT_OK)


@gate.command("webhook-config")
@click.option(
    "--config",
    "config_path",
    type=_FILE,
    help="c4guard.yaml whose gate.time_budget sets the webhook timeout.",
)
@click.option(
    "--name",
    default="c4guard-gate",
    show_default=True,
    help="Name of the ValidatingWebhookConfiguration.",
)
@click.option(
    "--namespace",
    default="c4guard",
    show_default=True,
    help="Namespace the gate runs in (never sent to the gate).",
)
@click.option(
    "--service",
    default="c4guard-gate",
    show_default=True,
    help="Service in front of the gate replicas.",
)
@click.option("--port", type=click.IntRange(1, 65535), default=443, show_default=True)
@click.option("--url", help="Reach the gate at this https:// URL instead of a Service.")
@click.option("--ca-bundle", type=_FILE, help="CA (PEM) that signs the gate's certificate.")
@click.option(
    "--exclude-namespace",
    "excluded",
    multiple=True,
    help="Another namespace the gate does not judge (repeatable).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True
)
def webhook_config(
    config_path: Path | None,
    name: str,
    namespace: str,
    service: str,
    port: int,
    url: str | None,
    ca_bundle: Path | None,
    excluded: tuple[str, ...],
    fmt: str,
) -> None:
    """Print the ValidatingWebhookConfiguration for the gate (failurePolicy: Fail)."""
    from c4guard.gate import webhook_config as wc

    policy = _policy(_config(config_path))
    ca = ca_bundle.read_bytes() if ca_bundle else None
    try:
        client = (
            wc.url_client_config(url, ca)
            if url
            else wc.service_client_config(namespace, service, port, ca)
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    document = wc.webhook_configuration(
        name=name,
        client_config=client,
        time_budget=policy.time_budget,
        exclude_namespaces=[namespace, "kube-system", *excluded],
    )
    if fmt == "json":
        click.echo(json.dumps(document, indent=2))
    else:
        click.echo(yaml.safe_dump(document, sort_keys=False), nl=False)


@gate.command()
@click.option("--service", default="c4guard-gate", show_default=True, help="The gate's Service.")
@click.option("--namespace", default="c4guard", show_default=True, help="The gate's namespace.")
@click.option("--dns", "extra_dns", multiple=True, help="Another DNS name (repeatable).")
@click.option("--days", type=click.IntRange(1, 3650), default=365, show_default=True)
@click.option(
    "--renew-before",
    type=click.IntRange(0, 3650),
    default=30,
    show_default=True,
    help="Renew a certificate that expires within this many days.",
)
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep ca.crt, ca.key, tls.crt and tls.key here (kept while valid, renewed when "
    "near expiry).",
)
@click.option(
    "--secret",
    "secret_name",
    help="Print the serving Secret NAME and the CA Secret NAME-ca as YAML on stdout.",
)
@click.option(
    "--in-cluster",
    "in_cluster",
    metavar="NAME",
    help="Keep the PKI in Secrets NAME and NAME-ca of --namespace in the cluster "
    "(in-cluster service account or kubeconfig).",
)
@click.option(
    "--webhook",
    help="With --in-cluster: put the CA into this ValidatingWebhookConfiguration's caBundle.",
)
def certs(
    service: str,
    namespace: str,
    extra_dns: tuple[str, ...],
    days: int,
    renew_before: int,
    out_dir: Path | None,
    secret_name: str | None,
    in_cluster: str | None,
    webhook: str | None,
) -> None:
    """Create the CA and the serving certificate for the gate's Service DNS names; an
    existing one is kept while valid and renewed when it expires within --renew-before."""
    from c4guard.gate import certs as pki
    from c4guard.gate import certs_store

    if not (out_dir or secret_name or in_cluster):
        raise click.UsageError("say where the certificates go: --out-dir, --secret or --in-cluster")
    if webhook and not in_cluster:
        raise click.UsageError("--webhook needs --in-cluster")
    request = pki.CertRequest(service, namespace, extra_dns, days, max(days, 3650), renew_before)
    if in_cluster:
        _kube_certs(request, in_cluster, webhook)
        return
    try:
        existing = certs_store.read_dir(out_dir) if out_dir else None
        bundle, action, why = pki.ensure(existing, request)
        if out_dir and action != "kept":
            certs_store.write_dir(out_dir, bundle)
    except OSError as exc:
        raise UsageError(f"cannot keep the certificates in {out_dir}: {exc}") from exc
    click.echo(f"c4guard: gate certificate {action} ({why})", err=True)
    if secret_name:
        manifests = certs_store.secret_manifests(bundle, secret_name, namespace)
        click.echo(yaml.safe_dump_all(manifests, sort_keys=False), nl=False)


def _kube_certs(request: Any, name: str, webhook: str | None) -> None:
    from c4guard.gate import certs as pki
    from c4guard.gate import certs_kube
    from c4guard.live.kubeapi import ConnectOptions, connect

    try:
        api = connect(ConnectOptions()).api
        bundle, action, why = pki.ensure(
            certs_kube.read_bundle(api, name, request.namespace), request
        )
        if action != "kept":
            certs_kube.write_bundle(api, bundle, name, request.namespace)
        patched = certs_kube.patch_ca_bundle(api, webhook, bundle.ca_cert) if webhook else 0
    except certs_kube.KubeCertsError as exc:
        raise ServiceError(str(exc)) from exc
    message = f"c4guard: gate certificate in Secret {request.namespace}/{name} {action} ({why})"
    if webhook and patched is None:
        message += f"; {webhook} does not exist yet (its caBundle is set on the next run)"
    elif webhook:
        message += f"; caBundle set on {patched} webhook(s) of {webhook}"
    click.echo(message, err=True)


@gate.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["vap", "kyverno"]),
    required=True,
    help="vap: ValidatingAdmissionPolicy and bindings; kyverno: Kyverno ValidatingPolicy "
    "(and ImageValidatingPolicy from the trust policy).",
)
@click.option("--config", "config_path", type=_FILE, help="c4guard.yaml with the `gate:` section.")
@click.option(
    "--trust-policy", type=_FILE, help="Trust policy for Kyverno image policies [default: config]."
)
@click.option(
    "--namespace",
    default="c4guard",
    show_default=True,
    help="Namespace of the params ConfigMap; left out of the policies, as for the webhook.",
)
@click.option(
    "--exclude-namespace",
    "excluded",
    multiple=True,
    help="Another namespace the policies leave out (repeatable; kube-system always).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File.")
def export(
    fmt: str,
    config_path: Path | None,
    trust_policy: Path | None,
    namespace: str,
    excluded: tuple[str, ...],
    output: Path | None,
) -> None:
    """Export the checks the gate judges on one object as native admission policies."""
    from c4guard.gate.export.document import render
    from c4guard.gate.export.plan import build_export
    from c4guard.supplychain.policy import PolicyError, load_policy

    config = _config(config_path)
    policy = _policy(config)
    trust = None
    path = trust_policy or _relative(config, policy.images.trust_policy)
    if fmt == "kyverno" and policy.images.verify and path is not None:
        try:
            trust = load_policy(path)
        except PolicyError as exc:
            raise ConfigError(f"trust policy: {exc}") from exc
    plan = build_export(
        config,
        policy,
        excluded_namespaces=[namespace, "kube-system", *excluded],
        params_namespace=namespace,
    )
    text = render(plan, policy, fmt, trust)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


# -- building the gate ------------------------------------------------------------------
def build_gate(
    config: Config,
    trust_policy: Path | None,
    registry: tuple[bool, Path | None, Path | None],
    on_cache_lookup: Any = None,
) -> Gate:
    """The decider for `config`'s gate policy, with its image verifier."""
    from c4guard.gate.decision import Gate
    from c4guard.gate.images import ImageVerifier
    from c4guard.supplychain.policy import PolicyError, load_policy
    from c4guard.supplychain.signatures import SignerError
    from c4guard.supplychain.verifier import RegistryOptions

    policy = _policy(config)
    images = policy.images
    if not images.verify:
        return Gate(config, policy, None)
    path = trust_policy or _relative(config, images.trust_policy)
    if path is None:
        raise ConfigError(
            "image verification needs a trust policy: set gate.images.trust_policy "
            "in the config or pass --trust-policy (or set gate.images.verify: false)"
        )
    plain_http, registry_ca, docker_config = registry
    options = RegistryOptions(
        docker_config=docker_config or _relative(config, images.docker_config),
        ca_file=registry_ca or _relative(config, images.registry_ca),
        plain_http=plain_http or images.plain_http,
        timeout=policy.time_budget,
        total_timeout=policy.decision_budget,
    )
    try:
        verifier = ImageVerifier(
            load_policy(path),
            options,
            ttl=images.cache_ttl,
            error_ttl=images.error_cache_ttl,
            cache_size=images.cache_size,
            on_lookup=on_cache_lookup,
        )
    except (PolicyError, SignerError, OSError, ValueError) as exc:
        raise ConfigError(f"trust policy: {exc}") from exc
    return Gate(config, policy, verifier)


def _config(path: Path | None, targets: list[str] | None = None) -> Config:
    return load_config(find_config(str(path) if path else None, targets or ["-"]))


def _policy(config: Config) -> GatePolicy:
    return config.gate or GatePolicy()


def _relative(config: Config, value: str | None) -> Path | None:
    """A path from the config, relative to the config file's folder."""
    if value is None:
        return None
    base = Path(config.source).parent if config.source else Path.cwd()
    return base / value


def _trail(option: str | None, config: Config) -> str | None:
    configured = config.audit.db if config.audit else None
    location = trail_location(option, configured)
    return None if location is False else location


def _actor(option: str | None, config: Config) -> str:
    configured = config.audit.actor if config.audit else None
    return option or configured or f"c4guard-gate@{socket.gethostname()}"


def _listen_address(listen: str, option: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"{option}: {listen!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


# -- gate check output ------------------------------------------------------------------
def _gated(resources: list[Resource]) -> list[Resource]:
    from c4guard.gate.webhook_config import is_gated

    return [r for r in resources if is_gated(r)]


def _title(resource: Resource) -> str:
    namespace = f"{resource.namespace}/" if resource.namespace else ""
    return f"{resource.kind} {namespace}{resource.name} ({resource.location})"


def _text_report(decisions: list[tuple[Resource, Decision]], errors: list[str]) -> str:
    lines = []
    for resource, decision in decisions:
        lines.append(f"{'ALLOW' if decision.allowed else 'DENY '} {_title(resource)}")
        lines += [f"  deny: {_located(reason)}" for reason in decision.denials]
        lines += [f"  warn: {_located(reason)}" for reason in decision.warnings]
        left = sorted({n.check for n in decision.not_judged})
        if left:
            lines.append(
                f"  left to the scan (needs evidence beyond the object): {', '.join(left)}"
            )
    lines += [f"input error: {error}" for error in errors]
    denied = sum(1 for _, d in decisions if not d.allowed)
    lines.append(
        f"{len(decisions)} object(s): {len(decisions) - denied} allowed, "
        f"{denied} denied" + (f", {len(errors)} input error(s)" if errors else "")
    )
    return "\n".join(lines)


def _located(reason: Reason) -> str:
    return f"{reason.location}: {reason.text()}" if reason.location else reason.text()


def _json_decision(resource: Resource, decision: Decision) -> dict[str, Any]:
    return {"location": str(resource.location), **decision.payload()}


def _check_event(resource: Resource, decision: Decision, decider: Gate, actor: str) -> Any:
    from c4guard.audit.events import Event

    payload = {
        "request": {"source": "gate check", "location": str(resource.location)},
        **decision.payload(),
        "policy": decider.policy_digests(),
    }
    return Event("gate.decision", payload, actor)
