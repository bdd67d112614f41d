"""A read-only connection to a Kubernetes API through the official client: kubeconfig (and
context) or the in-cluster service account, plain JSON GETs with a size limit."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.incluster_config import SERVICE_HOST_ENV_NAME, InClusterConfigLoader
from urllib3.exceptions import HTTPError

from c4guard import __version__
from c4guard.errors import ServiceError

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
TIMEOUT_S = (10, 120)  # connect, read
READ_CHUNK = 1024 * 1024


class ClusterError(ServiceError):
    """The cluster cannot be reached or its configuration is unusable (exit 2)."""


class ApiProblem(ServiceError):
    """The API answered a request with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message  # the API's message, without the status


@dataclass(frozen=True, slots=True)
class ConnectOptions:
    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool = False
    service_account_dir: Path = SERVICE_ACCOUNT_DIR


class Connection:
    """GETs against one API server, answered as parsed JSON."""

    def __init__(self, api: client.ApiClient, name: str) -> None:
        self.api = api
        self.name = name

    @property
    def server(self) -> str:
        return str(self.api.configuration.host)

    def get(self, path: str, query: list[tuple[str, Any]] | None = None) -> Any:
        """The JSON document at `path`; ApiProblem for an error status, ClusterError when
        the server cannot be reached at all."""
        request = self.api.param_serialize(
            "GET",
            path,
            query_params=query or [],
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        try:
            response = self.api.call_api(*request, _request_timeout=TIMEOUT_S)
            raw = _read_limited(response.response, MAX_RESPONSE_BYTES, path)
        except ApiException as exc:
            raise ClusterError(
                f"cannot reach the Kubernetes API at {self.server}: {exc.reason}"
            ) from exc
        except (HTTPError, OSError) as exc:
            raise ClusterError(
                f"cannot reach the Kubernetes API at {self.server}: {type(exc).__name__}: {exc}"
            ) from exc
        if not 200 <= response.status < 300:
            raise ApiProblem(response.status, _status_message(raw) or str(response.reason))
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ApiProblem(response.status, f"the answer is not JSON ({exc})") from exc
        except RecursionError as exc:
            raise ApiProblem(response.status, "the answer is nested too deeply") from exc

    def close(self) -> None:
        self.api.close()


def _read_limited(response: Any, limit: int, path: str) -> bytes:
    chunks, size = [], 0
    try:
        for chunk in response.stream(READ_CHUNK):
            size += len(chunk)
            if size > limit:
                raise ApiProblem(
                    response.status,
                    f"the answer for {path} is larger than {limit // (1024 * 1024)} MiB",
                )
            chunks.append(chunk)
    finally:
        response.release_conn()
    return b"".join(chunks)


def _status_message(raw: bytes) -> str:
    """The message of a Kubernetes Status answer (or the start of whatever came back)."""
    try:
        status = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return raw[:200].decode("utf-8", "replace").strip()
    message = status.get("message") if isinstance(status, dict) else None
    return str(message) if message else ""


def connect(options: ConnectOptions) -> Connection:
    """A connection from the kubeconfig (or `--in-cluster`), else from the in-cluster
    service account when running in a pod without a kubeconfig."""
    configuration = client.Configuration()
    try:
        if options.in_cluster or _only_in_cluster(options):
            loader = InClusterConfigLoader(
                token_filename=str(options.service_account_dir / "token"),
                cert_filename=str(options.service_account_dir / "ca.crt"),
            )
            loader.load_and_set(configuration)
            name = "in-cluster"
        else:
            config.load_kube_config(
                config_file=options.kubeconfig,
                context=options.context,
                client_configuration=configuration,
                persist_config=False,
            )
            name = options.context or _current_context(options.kubeconfig)
    except (ConfigException, OSError, ValueError, TypeError) as exc:
        raise ClusterError(f"cannot load the Kubernetes client configuration: {exc}") from exc
    configuration.retries = 1
    api = client.ApiClient(configuration)
    api.user_agent = f"c4guard/{__version__}"  # how the API server's audit log names us
    return Connection(api, name)


def _only_in_cluster(options: ConnectOptions) -> bool:
    """No kubeconfig anywhere, but the pod environment of a service account."""
    if options.kubeconfig or options.context or os.environ.get("KUBECONFIG"):
        return False
    return not Path(config.KUBE_CONFIG_DEFAULT_LOCATION).expanduser().exists() and bool(
        os.environ.get(SERVICE_HOST_ENV_NAME)
    )


def _current_context(kubeconfig: str | None) -> str:
    _, active = config.list_kube_config_contexts(config_file=kubeconfig)
    return str(active.get("name")) if isinstance(active, dict) else "kubeconfig"
