"""Hostile inputs of the attack suite, generated (they are small to describe, large or
costly to read)."""

from __future__ import annotations

import json

POD_HEAD = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bomb\nspec:\n  containers:\n"
    "  - name: c\n    image: nginx:1.27\n    args:\n"
)


def alias_bomb(levels: int, fan: int, word: str) -> str:
    """A Pod whose container `args` are aliases of aliases: `levels` anchors, each a list
    of `fan` aliases of the one before, the first holding `word`."""
    body = f'    - &a0 ["{word}"]\n'
    for level in range(1, levels):
        body += f"    - &a{level} [" + ",".join([f"*a{level - 1}"] * fan) + "]\n"
    return POD_HEAD + body


def small_alias_bomb() -> str:
    """About 440 bytes; 13 MB of args once expanded (47 s and 735 MB in `scan` before)."""
    return alias_bomb(7, 9, "lol lol lol lol lol lol")


def long_word_alias_bomb() -> str:
    """About 1.4 KB: a 1,000-character word aliased 531,441 times (500 MB of text)."""
    return alias_bomb(7, 9, "lol " * 250)


def megabyte_alias_bomb() -> str:
    """About 1 MB: a 900 KB string aliased 20,000 times (18 GB of text)."""
    return (
        POD_HEAD
        + '    - &a0 "'
        + "x " * 450_000
        + '"\n'
        + "    - ["
        + ",".join(["*a0"] * 20_000)
        + "]\n"
    )


def empty_objects_json(count: int = 6_000_000) -> str:
    """`[{},{},…]`: 18 MB of six million empty objects."""
    return "[" + ",".join(["{}"] * count) + "]"


def pod(index: int) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"pod-{index}", "namespace": "default", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
    }


def pod_list_json(count: int) -> str:
    """A `kind: List` of `count` Pods, as `kubectl get pods -o json` gives a cluster dump."""
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": [pod(i) for i in range(count)]})


def hcl_sum(terms: int) -> str:
    """A flat sum of `terms` numbers in a Terraform local, used by a bucket's name."""
    return (
        "locals {\n  total = " + " + ".join(["1"] * terms) + "\n}\n"
        'resource "aws_s3_bucket" "b" {\n  bucket = "b-${local.total}"\n}\n'
    )
