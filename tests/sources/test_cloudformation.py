"""CloudFormation sources: short-form intrinsics kept as data, templates recognised in YAML
and JSON, values evaluated as far as the template allows, hostile templates refused with an
input error."""

from __future__ import annotations

import json

import pytest

from c4guard.sources import read_inputs
from c4guard.sources.cfn_intrinsics import Template
from c4guard.sources.cloudformation import ORIGIN
from c4guard.sources.terraform.values import Reference, Unknown
from c4guard.sources.yamlload import Mapping, load_documents


def load(text: str) -> object:
    return next(load_documents(text, "t.yaml")).value


def test_short_form_intrinsics_become_their_long_form_with_lines() -> None:
    value = load(
        "a: !Ref Bucket\n"
        "b: !GetAtt Key.Arn\n"
        "c: !If [Cond, !Sub '${X}-y', !Ref AWS::NoValue]\n"
        "d: !Join\n  - ''\n  - [a, !Ref B]\n"
        "e: !reference [.setup, script]\n"
    )
    assert value == {
        "a": {"Ref": "Bucket"},
        "b": {"Fn::GetAtt": "Key.Arn"},
        "c": {"Fn::If": ["Cond", {"Fn::Sub": "${X}-y"}, {"Ref": "AWS::NoValue"}]},
        "d": {"Fn::Join": ["", ["a", {"Ref": "B"}]]},
        "e": [".setup", "script"],  # other tags (GitLab's !reference) stay plain data
    }
    assert isinstance(value["a"], Mapping) and value["a"].line == 1
    assert value.line_of("d") == 4


def test_python_and_unknown_tags_stay_data() -> None:
    assert load("a: !!python/object/apply:os.system [id]\nb: !Foo x\n") == {
        "a": ["id"],
        "b": "x",
    }


TEMPLATE = {
    "Parameters": {
        "Env": {"Type": "String", "Default": "prod"},
        "Key": {"Type": "String"},
        "Subnets": {"Type": "List<AWS::EC2::Subnet::Id>", "Default": "subnet-1, subnet-2"},
    },
    "Mappings": {"Sizes": {"prod": {"Nodes": 3}}},
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "Loop": {"Condition": "Loop"},
        "Deployed": {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]},
    },
    "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ({"Ref": "Env"}, "prod"),
        ({"Ref": "Subnets"}, ["subnet-1", "subnet-2"]),
        ({"Ref": "Bucket"}, Reference("Bucket", "Ref")),
        ({"Fn::GetAtt": ["Bucket", "Arn"]}, Reference("Bucket", "Arn")),
        ({"Fn::GetAtt": "Bucket.Arn"}, Reference("Bucket", "Arn")),
        ({"Fn::Sub": "${Env}-models-${!Literal}"}, "prod-models-${Literal}"),
        ({"Fn::Sub": ["${A}/${Env}", {"A": "x"}]}, "x/prod"),
        ({"Fn::Join": ["-", ["a", {"Ref": "Env"}]]}, "a-prod"),
        ({"Fn::Select": [1, ["a", "b"]]}, "b"),
        ({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Nodes"]}, 3),
        ({"Fn::If": ["IsProd", "yes", "no"]}, "yes"),
        ({"Fn::If": ["Loop", "yes", "no"]}, Unknown("x")),  # a cyclic condition is unknown
        ({"Ref": "Key"}, Unknown("x")),
        ({"Ref": "AWS::AccountId"}, Unknown("x")),
        ({"Fn::ImportValue": "shared-key"}, Unknown("x")),
        ({"Fn::Sub": "${AWS::Region}-x"}, Unknown("x")),
        ({"Fn::If": ["Deployed", "a", "b"]}, Unknown("x")),
        ("{{resolve:secretsmanager:db:SecretString:password}}", Unknown("x")),
    ],
)
def test_intrinsics_resolve_as_far_as_the_template_allows(expression, expected) -> None:
    value = Template(TEMPLATE).resolve(expression)
    if isinstance(expected, Unknown):
        assert isinstance(value, Unknown), value
        assert value.reason
    else:
        assert value == expected


def test_no_value_removes_the_property() -> None:
    resolved = Template(TEMPLATE).resolve(
        {"A": {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, 1]}, "B": [{"Ref": "AWS::NoValue"}]}
    )
    assert resolved == {"B": []}


def test_unknown_reasons_name_what_is_missing() -> None:
    template = Template(TEMPLATE)
    assert "parameter Key has no default" in template.resolve({"Ref": "Key"}).reason
    sub = template.resolve({"Fn::Sub": "${Bucket.Arn}/x"})
    assert isinstance(sub, Unknown) and Reference("Bucket", "Arn") in sub.refs


def test_templates_are_recognised_in_yaml_and_json(write, tmp_path) -> None:
    write(
        "stack.yaml",
        """
        AWSTemplateFormatVersion: "2010-09-09"
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: !Sub "${AWS::StackName}-models"
        """,
    )
    write("sam.json", '{"Resources": {"Fn": {"Type": "AWS::Serverless::Function"}}}')
    write("values.yaml", "replicaCount: 1\n")
    inputs = read_inputs([str(tmp_path)])
    assert inputs.summary.input_errors == []
    found = sorted(
        (r.kind, r.name, r.location.line) for r in inputs.resources if r.origin == ORIGIN
    )
    assert found == [("AWS::S3::Bucket", "Bucket", 3), ("AWS::Serverless::Function", "Fn", 1)]
    assert "cloudformation" in inputs.domains


def _errors(tmp_path, name: str, text: str) -> list[str]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    inputs = read_inputs([str(tmp_path / name)])
    assert not [r for r in inputs.resources if r.origin == ORIGIN]
    return [e.reason for e in inputs.summary.input_errors]


HEADER = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  B:\n    Type: AWS::S3::Bucket\n'


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        (
            "deep.yaml",
            HEADER + "    Properties:\n      X: " + "!Not [" * 5000 + "]" * 5000,
            "nesting",
        ),
        (
            "deep.json",
            '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": '
            + '{"Fn::If": [' * 3000
            + "1"
            + "]}" * 3000
            + "}",
            "nest",
        ),
        (
            "huge.yaml",
            HEADER + "    Properties:\n      Tags: [" + "1," * 1_600_000 + "1]\n",
            "values",
        ),
        (
            "bomb.yaml",
            HEADER
            + "    Properties:\n      a: &a [!Ref x, !Ref x, !Ref x, !Ref x, !Ref x, !Ref x]\n"
            + "".join(
                f"      {chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, "
                f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
                for i in range(10)
            ),
            "alias",
        ),
    ],
)
def test_hostile_templates_are_input_errors_not_crashes(tmp_path, name, text, reason) -> None:
    errors = _errors(tmp_path, name, text)
    assert errors and reason in errors[0], errors


def test_deeply_nested_intrinsics_within_the_limits_stay_unknown(write, tmp_path) -> None:
    """Nesting the loader accepts (under its depth limit) but deeper than the evaluator
    follows is an unknown value, not a recursion error."""
    expression: object = {"Ref": "AWS::Region"}
    for _ in range(120):
        expression = {"Fn::Not": [expression]}
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "K": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": expression}}
        },
    }
    write("nested.json", json.dumps(template))
    inputs = read_inputs([str(tmp_path)])
    assert inputs.summary.input_errors == []
    (key,) = [r for r in inputs.resources if r.origin == ORIGIN]
    assert isinstance(key.body["EnableKeyRotation"], Unknown)
