"""An HTTPS server on loopback that answers like a Kubernetes API server from recorded
documents: discovery (`fixtures/cluster/discovery.json`, plus entries for the custom kinds of
the objects it serves, as the API server adds them for installed CRDs), and lists of objects
in the API's wire format (items of built-in kinds without apiVersion/kind, uid,
resourceVersion, managedFields), paged with continue tokens. It can refuse a kind (403 with
the API server's Status), expire a continue token (410) or fail a kind (500)."""

from __future__ import annotations

import base64
import copy
import json
import socket
import ssl
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from c4guard.sources.kubernetes import CLUSTER_SCOPED_KINDS
from tests.tls import self_signed_certificate

FIXTURES = Path(__file__).parent / "fixtures" / "cluster"
TOKEN = "c4guard-test-token"
PAGE_CAP = 2  # fewer items than asked for, as the API may answer: every list pages
SERVICE_ACCOUNT = "system:serviceaccount:c4guard:scanner"


@dataclass
class Behaviour:
    """What the server does besides answering: (group, resource) pairs to refuse or fail,
    continue tokens to expire once, and every request seen."""

    forbidden: set[tuple[str, str]] = field(default_factory=set)
    failing: set[tuple[str, str]] = field(default_factory=set)
    expire_once: set[str] = field(default_factory=set)  # resources whose 1st token expires
    requests: list[str] = field(default_factory=list)
    user_agents: set[str] = field(default_factory=set)
    page_cap: int = PAGE_CAP


def manifests(*folders: Path) -> list[dict[str, Any]]:
    """The Kubernetes objects of the YAML files in `folders`."""
    objects = []
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")):
            objects += [
                d
                for d in yaml.safe_load_all(path.read_text())
                if isinstance(d, dict) and "apiVersion" in d and "kind" in d
            ]
    return objects


def recorded_controlled_objects() -> list[dict[str, Any]]:
    return json.loads((FIXTURES / "controlled.json").read_text())["items"]


def server_uid(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata", {})
    key = f"{obj['apiVersion']}/{obj['kind']}/{meta.get('namespace', '')}/{meta['name']}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, key))


class Store:
    """Discovery documents and objects by (group, version, resource)."""

    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self.discovery = json.loads((FIXTURES / "discovery.json").read_text())
        self.kinds: dict[tuple[str, str], tuple[str, str, dict[str, Any]]] = {}
        for path, doc in self.discovery.items():
            for entry in doc.get("resources", []):
                if "/" not in entry["name"]:
                    group_version = doc["groupVersion"]
                    group = group_version.rpartition("/")[0]
                    self.kinds[(group, entry["kind"])] = (group_version, path, entry)
        self.custom_bases: set[str] = set()
        self.objects: dict[str, list[dict[str, Any]]] = {}
        for index, obj in enumerate(objects):
            self.add(obj, index)

    def add(self, obj: dict[str, Any], index: int) -> None:
        group = obj["apiVersion"].rpartition("/")[0]
        if (group, obj["kind"]) not in self.kinds:
            self._install_crd(obj)
        _, path, entry = self.kinds[(group, obj["kind"])]
        stored = copy.deepcopy(obj)
        meta = stored.setdefault("metadata", {})
        if entry["namespaced"]:
            meta.setdefault("namespace", "default")
        meta.setdefault("uid", server_uid(obj))
        meta.setdefault("resourceVersion", str(40000 + index))
        meta.setdefault("creationTimestamp", "2024-10-14T08:12:30Z")
        meta["managedFields"] = [
            {
                "manager": "kubectl-client-side-apply",
                "operation": "Update",
                "apiVersion": obj["apiVersion"],
                "time": "2024-10-14T08:12:30Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {}},
            }
        ]
        meta.setdefault("annotations", {})["kubectl.kubernetes.io/last-applied-configuration"] = (
            json.dumps(obj)
        )
        self.objects.setdefault(f"{path}/{entry['name']}", []).append(stored)

    def _install_crd(self, obj: dict[str, Any]) -> None:
        """What the API server serves once a CRD for this kind is installed."""
        group_version = obj["apiVersion"]
        group, _, version = group_version.rpartition("/")
        kind = obj["kind"]
        plural = kind.lower() + ("es" if kind.endswith("s") else "s")
        path = f"/apis/{group_version}"
        self.custom_bases.add(path)
        doc = self.discovery.setdefault(
            path,
            {
                "kind": "APIResourceList",
                "apiVersion": "v1",
                "groupVersion": group_version,
                "resources": [],
            },
        )
        entry = {
            "name": plural,
            "singularName": kind.lower(),
            "kind": kind,
            "namespaced": kind not in CLUSTER_SCOPED_KINDS,
            "verbs": [
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "create",
                "update",
                "watch",
            ],
        }
        doc["resources"].append(entry)
        groups = self.discovery["/apis"]["groups"]
        gv = {"groupVersion": group_version, "version": version}
        known = next((g for g in groups if g["name"] == group), None)
        if known is None:
            groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
        elif gv not in known["versions"]:
            known["versions"].append(gv)
        self.kinds[(group, kind)] = (group_version, path, entry)

    def entry(self, base: str, resource: str) -> dict[str, Any] | None:
        doc = self.discovery.get(base, {})
        return next((e for e in doc.get("resources", []) if e["name"] == resource), None)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as API servers do
    store: Store
    behaviour: Behaviour

    def setup(self) -> None:
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as Go servers do

    def do_GET(self) -> None:
        self.behaviour.requests.append(self.path)
        self.behaviour.user_agents.add(self.headers.get("User-Agent", ""))
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or token != TOKEN:
            self._status(401, "Unauthorized", "Unauthorized")
            return
        url = urlsplit(self.path)
        if url.path in self.store.discovery:
            if url.path.startswith("/apis/metrics.k8s.io"):
                self._status(
                    503,
                    "ServiceUnavailable",
                    "the server is currently unable to handle the request",
                )
            else:
                self._json(200, self.store.discovery[url.path])
            return
        self._resource(url.path, parse_qs(url.query))

    def _resource(self, path: str, query: dict[str, list[str]]) -> None:
        parts = path.strip("/").split("/")
        base_len = 2 if parts[0] == "api" else 3
        base, rest = "/" + "/".join(parts[:base_len]), parts[base_len:]
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        entry = self.store.entry(base, rest[0]) if rest else None
        if entry is None:
            self._status(404, "NotFound", "the server could not find the requested resource")
            return
        group = base.split("/")[2] if base_len == 3 else ""
        if (group, entry["name"]) in self.behaviour.forbidden:
            self._forbidden(group, entry["name"], namespace)
        elif (group, entry["name"]) in self.behaviour.failing:
            self._status(500, "InternalError", "etcdserver: request timed out")
        elif len(rest) == 2:
            self._get(base, entry, rest[1])
        else:
            self._list(base, entry, namespace, query)

    def _get(self, base: str, entry: dict[str, Any], name: str) -> None:
        found = [
            o
            for o in self.store.objects.get(f"{base}/{entry['name']}", [])
            if o["metadata"]["name"] == name
        ]
        if found:
            self._json(200, found[0])
        else:
            self._status(404, "NotFound", f'{entry["name"]} "{name}" not found')

    def _list(
        self, base: str, entry: dict[str, Any], namespace: str | None, query: dict[str, list[str]]
    ) -> None:
        key = f"{base}/{entry['name']}"
        items = [
            o
            for o in self.store.objects.get(key, [])
            if namespace is None or o["metadata"].get("namespace") == namespace
        ]
        token = query.get("continue", [None])[0]
        if token and entry["name"] in self.behaviour.expire_once:
            self.behaviour.expire_once.discard(entry["name"])
            self._status(
                410,
                "Expired",
                "The provided continue parameter is too old to display a consistent list result.",
            )
            return
        start = json.loads(base64.b64decode(token))["start"] if token else 0
        limit = min(int(query.get("limit", ["500"])[0]), self.behaviour.page_cap)
        page = items[start : start + limit]
        metadata: dict[str, Any] = {"resourceVersion": "52000"}
        if start + limit < len(items):
            metadata["continue"] = base64.b64encode(
                json.dumps({"v": "meta.k8s.io/v1", "rv": 52000, "start": start + limit}).encode()
            ).decode()
            metadata["remainingItemCount"] = len(items) - start - limit
        builtin = base not in self.store.custom_bases
        self._json(
            200,
            {
                "kind": f"{entry['kind']}List",
                "apiVersion": base.removeprefix("/api/").removeprefix("/apis/"),
                "metadata": metadata,
                "items": [_wire(o) if builtin else o for o in page],
            },
        )

    def _forbidden(self, group: str, resource: str, namespace: str | None) -> None:
        scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        self._json(
            403,
            {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": f"{resource}{'.' + group if group else ''} is forbidden: User "
                f'"{SERVICE_ACCOUNT}" cannot list resource "{resource}" in API group '
                f'"{group}" {scope}',
                "reason": "Forbidden",
                "details": {"group": group, "kind": resource},
                "code": 403,
            },
        )

    def _status(self, code: int, reason: str, message: str) -> None:
        self._json(
            code,
            {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": message,
                "reason": reason,
                "code": code,
            },
        )

    def _json(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def _wire(obj: dict[str, Any]) -> dict[str, Any]:
    """Items of built-in kinds come without apiVersion and kind in a list."""
    return {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}


@dataclass
class RunningApi:
    url: str
    ca: Path
    behaviour: Behaviour

    def kubeconfig(self, folder: Path, context: str = "recorded") -> Path:
        """A kubeconfig whose current context is `context` (a second, unreachable context
        `elsewhere` is there too)."""
        ca = base64.b64encode(self.ca.read_bytes()).decode()
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": context,
            "clusters": [
                {
                    "name": "recorded",
                    "cluster": {"server": self.url, "certificate-authority-data": ca},
                },
                {
                    "name": "elsewhere",
                    "cluster": {"server": "https://127.0.0.1:9", "certificate-authority-data": ca},
                },
            ],
            "users": [{"name": "scanner", "user": {"token": TOKEN}}],
            "contexts": [
                {"name": "recorded", "context": {"cluster": "recorded", "user": "scanner"}},
                {"name": "elsewhere", "context": {"cluster": "elsewhere", "user": "scanner"}},
            ],
        }
        path = folder / "kubeconfig"
        path.write_text(yaml.safe_dump(config))
        return path

    def paged_requests(self) -> list[str]:
        return [r for r in self.behaviour.requests if "continue=" in r]


@contextmanager
def recorded_api(
    folder: Path, objects: list[dict[str, Any]], behaviour: Behaviour | None = None
) -> Iterator[RunningApi]:
    """Serve `objects` over HTTPS on a free loopback port."""
    behaviour = behaviour or Behaviour()
    cert, key = self_signed_certificate(folder, "apiserver")
    handler = type("RecordedHandler", (Handler,), {"store": Store(objects), "behaviour": behaviour})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield RunningApi(f"https://127.0.0.1:{server.server_address[1]}", cert, behaviour)
    finally:
        server.shutdown()
        server.server_close()
