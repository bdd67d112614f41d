"""JSON inputs: the C parser for large files, under the limits YAML has."""

from __future__ import annotations

import json

import pytest

from c4guard.sources.jsonload import MAX_JSON_DEPTH, load_json, mark_json
from c4guard.sources.kinds import read_structured
from c4guard.sources.yamlload import MAX_NODES, Mapping, Sequence, YAMLLimitError


def test_values_become_mappings_and_sequences_of_the_file() -> None:
    value = load_json('{"a": [1, {"b": null}], "c": "d"}', "f.json")
    assert isinstance(value, Mapping) and isinstance(value["a"], Sequence)
    assert isinstance(value["a"][1], Mapping) and value["a"][1].path == "f.json"
    assert value == {"a": [1, {"b": None}], "c": "d"}


def test_too_many_objects_is_refused_before_parsing_and_says_what_was_exceeded() -> None:
    with pytest.raises(YAMLLimitError, match=f"more than the {MAX_NODES:,} values"):
        load_json("[" + ",".join(["[]"] * (MAX_NODES + 1)) + "]")


def test_braces_inside_strings_are_not_counted_as_objects() -> None:
    text = json.dumps(["{" * (MAX_NODES + 10)])
    assert load_json(text) == ["{" * (MAX_NODES + 10)]


def test_deep_nesting_is_refused() -> None:
    text = "[" * (MAX_JSON_DEPTH + 5) + "]" * (MAX_JSON_DEPTH + 5)
    with pytest.raises(YAMLLimitError, match="nested deeper"):
        load_json(text)


def test_marking_counts_values_against_the_budget() -> None:
    with pytest.raises(YAMLLimitError, match="values"):
        mark_json([0] * (MAX_NODES + 1), None)


def test_a_large_json_list_of_pods_is_read_by_the_json_parser() -> None:
    items = [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}" + "x" * 200}}
        for i in range(6000)
    ]
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    assert len(text) > 1024 * 1024
    result = read_structured(text, "dump.json")
    assert not result.errors
    assert len(result.resources) == 6000


def _list(items: list[object]) -> str:
    return json.dumps({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {}})


def test_a_list_holds_more_values_than_a_file_each_item_within_a_files_budget() -> None:
    """Item by item, as 100,000 objects of a cluster dump would be in separate files."""
    items = [{"a": [{"k": "abcdefgh"}] * 40} for _ in range(MAX_NODES // 40 + 10)]
    value = load_json(_list(items), "dump.json")
    assert len(value["items"]) == len(items) and value["kind"] == "List"
    assert isinstance(value["items"][0]["a"][0], Mapping)


def test_a_list_item_over_a_files_budget_is_refused() -> None:
    text = _list([{"a": [{"k": "abcdefgh"}] * (MAX_NODES + 1)}])
    with pytest.raises(YAMLLimitError, match="a JSON value holds"):
        load_json(text)


def test_a_dense_list_is_refused_before_parsing() -> None:
    text = _list([{} for _ in range(2 * MAX_NODES)])
    with pytest.raises(YAMLLimitError, match="objects and arrays, more than"):
        load_json(text)


def test_broken_list_json_is_a_json_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        load_json('{"kind": "List", "items": [{}, {}')
    with pytest.raises(json.JSONDecodeError):
        load_json('{"kind": "List", "items": []} extra')


def test_a_large_json_list_on_stdin_is_read_by_the_json_parser() -> None:
    """Lines are lost (as for large .json files), the C parser's speed is won."""
    pod = {"apiVersion": "v1", "kind": "Pod"}
    text = _list([{**pod, "metadata": {"name": f"p{i:05d}" + "x" * 200}} for i in range(6000)])
    result = read_structured(text, "<stdin>")
    assert not result.errors and len(result.resources) == 6000
    assert result.resources[0].location.line is None
    yaml_flow = "{kind: List, apiVersion: v1, items: [" + "{a: b}, " * 200_000 + "]}"
    assert not read_structured(yaml_flow, "<stdin>").errors  # JSON-looking YAML stays YAML
