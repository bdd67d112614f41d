"""`c4guard cluster` reads a large cluster page by page (issue 18): the recorded API server
sees every list paged with continue tokens, the client never holds more than the page it
works on, and the Pods that Deployments control are dropped as their pages arrive. The
cluster is issue 18's 100,000-object shape at 5,000 objects, with pages of 100."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from c4guard.live.cluster import CONTROLLED, ClusterOptions, read_cluster
from c4guard.live.kubeapi import Connection, ConnectOptions, connect
from c4guard.sources.yamlload import Mapping
from tests.live.apiserver import Behaviour, recorded_api
from tests.live.bigcluster import PODS_PER_DEPLOYMENT, big_cluster

OBJECTS = 5_000
PAGE = 100
PODS = OBJECTS // 2


class _Page(dict):  # type: ignore[type-arg]
    """A list answer that can be watched with a weak reference."""

    __hash__ = object.__hash__  # type: ignore[assignment]


class WatchedConnection(Connection):
    """The real connection; before each request it notes how many answers are still alive
    and how many Pod bodies the reader holds."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn.api, conn.name)
        self.alive: weakref.WeakSet[_Page] = weakref.WeakSet()
        self.held_pages: list[int] = []
        self.held_pods: list[int] = []

    def get(self, path: str, query: list[tuple[str, Any]] | None = None) -> Any:
        if path.endswith("/pods"):
            self.held_pages.append(len(self.alive))
            self.held_pods.append(_pod_bodies())
        answer = super().get(path, query)
        if not isinstance(answer, dict):
            return answer
        page = _Page(answer)
        self.alive.add(page)
        return page


def _pod_bodies() -> int:
    gc.collect()
    return sum(
        1 for o in gc.get_objects() if type(o) is Mapping and o.get("kind") == "Pod" and "spec" in o
    )


def test_a_large_cluster_is_read_page_by_page(tmp_path: Path) -> None:
    with recorded_api(tmp_path, list(big_cluster(OBJECTS)), Behaviour(page_cap=PAGE)) as api:
        conn = WatchedConnection(connect(ConnectOptions(kubeconfig=str(api.kubeconfig(tmp_path)))))
        try:
            inputs = read_cluster(conn, ClusterOptions(page_size=PAGE, workers=1))
        finally:
            conn.close()
    pod_lists = [urlsplit(r) for r in api.behaviour.requests if urlsplit(r).path == "/api/v1/pods"]
    queries = [parse_qs(url.query) for url in pod_lists]
    assert len(queries) == PODS // PAGE
    assert all(q["limit"] == [str(PAGE)] for q in queries)
    tokens = [q.get("continue", [None])[0] for q in queries]
    assert tokens[0] is None and None not in tokens[1:] and len(set(tokens)) == len(tokens)
    # the answer before is the most the reader holds when it asks for the next page
    assert max(conn.held_pages) <= 1, conn.held_pages
    # the Pods are judged through their Deployments: dropped page by page, never held
    assert max(conn.held_pods) == 0, conn.held_pods
    controlled = PODS + PODS // PODS_PER_DEPLOYMENT  # the Pods and the ReplicaSets
    assert inputs.summary.skipped[CONTROLLED] == controlled
    assert len(inputs.resources) == OBJECTS - controlled
