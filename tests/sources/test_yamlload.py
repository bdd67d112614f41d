"""The safe YAML loader: values, lines, merges and the limits that stop hostile input."""

from __future__ import annotations

import pytest
import yaml

from c4guard.sources.yamlload import MAX_DEPTH, Mapping, YAMLLimitError, load_documents


def one(text: str):
    [document] = list(load_documents(text, "t.yaml"))
    return document.value


def test_scalars_resolve_like_yaml_1_1_and_keys_stay_text() -> None:
    value = one(
        "on: yes\nn: 0x1F\nf: 1.5\ns: '1.5'\nz: ~\nd: 2024-01-02\nt: !Ref Name\nu: !Tag x\n"
    )
    assert value == {
        "on": True,
        "n": 31,
        "f": 1.5,
        "s": "1.5",
        "z": None,
        "d": "2024-01-02",
        "t": {"Ref": "Name"},  # CloudFormation's short form, as its long form
        "u": "x",  # other custom tags stay text
    }


def test_every_mapping_knows_its_file_and_lines() -> None:
    value = one("a: 1\nb:\n  c:\n    - x: 1\n      y: 2\n")
    assert isinstance(value, Mapping)
    assert value.line_of("b") == 2
    item = value["b"]["c"][0]
    assert (item.path, item.line, item.line_of("y")) == ("t.yaml", 4, 5)
    assert value["b"]["c"].item_lines == [4]


def test_merge_keys_explicit_wins_and_earlier_merges_win() -> None:
    value = one("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 3\n")
    assert value["c"] == {"x": 3, "y": 1, "z": 2}


def test_documents_carry_their_line_spans() -> None:
    documents = list(load_documents("a: 1\n---\nb: 2\nc: 3\n", "t.yaml"))
    assert [(d.start_line, d.end_line) for d in documents] == [(1, 1), (2, 4)]


def test_alias_bomb_stops_at_the_expansion_limit() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(YAMLLimitError, match="alias bomb"):
        one("\n".join(lines))


def test_deep_nesting_stops_without_crashing() -> None:
    with pytest.raises((YAMLLimitError, yaml.YAMLError)):
        one("[" * 100_000 + "]" * 100_000)
    block = "".join("  " * i + "k:\n" for i in range(MAX_DEPTH + 10))
    with pytest.raises(YAMLLimitError, match=str(MAX_DEPTH)):
        one(block)


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(YAMLLimitError, match="recursive"):
        one("a: &a [*a]\n")


def test_syntax_error_is_raised_after_the_good_documents() -> None:
    stream = load_documents("a: 1\n---\nb: [\n", "t.yaml")
    assert next(stream).value == {"a": 1}
    with pytest.raises(yaml.YAMLError):
        next(stream)


def test_python_tags_are_data_never_objects() -> None:
    value = one("x: !!python/object/apply:os.system ['echo hacked']\n")
    assert value == {"x": ["echo hacked"]}


def test_a_long_string_aliased_many_times_stops_at_the_byte_budget() -> None:
    word = "x" * 1000
    text = f"a: &a0 [{word}]\n" + "".join(
        f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 5)
    )
    with pytest.raises(YAMLLimitError, match=r"aliases expand the file by more than 1\.0 MiB"):
        list(load_documents(text, "t.yaml"))


def test_the_alias_budget_is_shared_by_the_documents_of_a_file() -> None:
    document = "a: &a [" + "y" * 100_000 + "]\nb: [" + ",".join(["*a"] * 6) + "]\n"
    assert len(list(load_documents(document, "t.yaml"))) == 1
    with pytest.raises(YAMLLimitError, match="alias bomb"):
        list(load_documents("---\n".join([document] * 3), "t.yaml"))


def test_ordinary_anchors_and_merges_stay_within_the_budget() -> None:
    text = "base: &base {image: nginx, replicas: 2}\n" + "".join(
        f"s{i}:\n  <<: *base\n  name: s{i}\n" for i in range(2000)
    )
    [document] = list(load_documents(text, "t.yaml"))
    assert document.value["s1999"]["image"] == "nginx"
