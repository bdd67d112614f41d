"""Inline comments find the resource whose text holds them, for any source that sets a
text span on its resources."""

from __future__ import annotations

from c4guard.model import Location, Resource
from c4guard.sources import read_inputs
from c4guard.sources.inline import attach_inline_directives

IGNORE = 'c4guard:ignore CHK-A reason="r" expires=2099-01-01'


def block(name: str, first: int, last: int, path: str = "main.tf") -> Resource:
    return Resource(
        "terraform",
        "aws_s3_bucket",
        name,
        None,
        {},
        Location(path, first),
        start_line=first,
        end_line=last,
    )


def targets(resource: Resource) -> list[int | None]:
    return [d.location.line for d in resource.directives]


def test_generic_spans_hcl_comments_inside_and_above() -> None:
    text = "\n".join(
        [
            "terraform {}",  # 1
            f"// {IGNORE}",  # 2  above "a"
            'resource "aws_s3_bucket" "a" {',  # 3
            f'  acl = "public-read"  # {IGNORE}',  # 4  inside "a"
            "}",  # 5
            "",  # 6
            'resource "aws_s3_bucket" "b" {',  # 7
            "}",  # 8
            f"# {IGNORE}",  # 9  after the last block: nobody's
        ]
    )
    a, b, elsewhere = block("a", 3, 5), block("b", 7, 8), block("c", 1, 9, path="other.tf")
    attach_inline_directives(text, [a, b, elsewhere], "main.tf")
    assert targets(a) == [2, 4] and targets(b) == [] and targets(elsewhere) == []


def test_resources_without_a_span_get_nothing() -> None:
    unspanned = Resource("docker", "stage", "build", None, {}, Location("Dockerfile", 1))
    attach_inline_directives(f"FROM x\n# {IGNORE}\n", [unspanned], "Dockerfile")
    assert unspanned.directives == ()


def test_yaml_documents_and_list_items(tmp_path) -> None:
    (tmp_path / "all.yaml").write_text(
        "\n".join(
            [
                f"# {IGNORE}",  # 1  above the first document
                "apiVersion: v1",
                "kind: Pod",
                "metadata: {name: first}",
                "---",  # 5
                "apiVersion: v1",
                "kind: List",
                "items:",
                "- apiVersion: v1",  # 9
                "  kind: Pod",
                f"  metadata: {{name: item-one}}  # {IGNORE}",  # 11
                "- apiVersion: v1",  # 12
                "  kind: Pod",
                "  metadata: {name: item-two}",
                "---",
                f"# {IGNORE}",  # 16 inside the last document
                "apiVersion: v1",
                "kind: Pod",
                "metadata: {name: last}",
            ]
        )
        + "\n"
    )
    resources = {r.name: r for r in read_inputs([str(tmp_path)]).resources}
    assert targets(resources["first"]) == [1]
    assert targets(resources["item-one"]) == [11]
    assert targets(resources["item-two"]) == []
    assert targets(resources["last"]) == [16]
