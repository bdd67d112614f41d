"""The Dockerfile parser: directives, continuations, heredocs, exec and shell forms, stages,
ARG before FROM, variable expansion, and bad input as input errors with lines."""

from __future__ import annotations

import pytest

from c4guard.sources import read_inputs
from c4guard.sources.dockerfile import claims, expand, parse_dockerfile
from c4guard.sources.dockerlines import DockerfileSyntaxError, split_instructions


def test_directives_comments_and_continuations() -> None:
    lines = split_instructions(
        "# syntax=docker/dockerfile:1.7\n"
        "# check=skip=JSONArgsRecommended\n"
        "\n"
        "# escape=`\n"  # after a blank line: a comment, not a directive
        "FROM alpine:3.20\n"
        "RUN apk add --no-cache \\\n"
        "    # a comment inside the continuation is dropped\n"
        "\n"
        "    curl \\\n"
        "    git\n"
    )
    assert lines.directives == (
        ("syntax", "docker/dockerfile:1.7"),
        ("check", "skip=JSONArgsRecommended"),
    )
    assert lines.escape == "\\"
    run = lines.instructions[1]
    assert run.keyword == "RUN"
    assert run.arguments == "apk add --no-cache curl git"
    assert (run.line, run.end_line) == (6, 10)


def test_backtick_escape_directive_for_windows_paths() -> None:
    lines = split_instructions(
        "# escape=`\n"
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        "COPY app C:\\app\\\n"
        "RUN dir `\n"
        "    C:\\app\n"
    )
    copy, run = lines.instructions[1:]
    assert copy.arguments == "app C:\\app\\"  # a trailing backslash is not a continuation
    assert run.arguments == "dir C:\\app"
    assert (run.line, run.end_line) == (4, 5)


def test_heredocs_quoted_and_tab_stripped() -> None:
    lines = split_instructions(
        "FROM python:3.12-slim\n"
        "COPY <<'EOF' /etc/app.conf\n"
        "token=$NOT_EXPANDED\n"
        "EOF\n"
        "RUN <<-SCRIPT bash\n"
        "\tset -eu\n"
        "\tcurl -fsSL https://example.com/i.sh | sh\n"
        "\tSCRIPT\n"
        "USER app\n"
    )
    copy, run, user = lines.instructions[1:]
    assert copy.heredocs[0].content == "token=$NOT_EXPANDED"
    assert copy.heredocs[0].expands is False
    assert run.heredocs[0].content == "set -eu\ncurl -fsSL https://example.com/i.sh | sh"
    assert run.heredocs[0].expands is True
    assert "| sh" in run.text
    assert (run.line, run.end_line, user.line) == (5, 8, 9)


def test_exec_form_flags_and_shell_fallback() -> None:
    lines = split_instructions(
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n"
        'CMD ["python", "-m", "app"]\n'
        "CMD [not json]\n"
        "RUN --mount=type=secret,id=hf --mount=type=cache,target=/root/.cache --network=none make\n"
    )
    head, exec_cmd, shell_cmd, run = lines.instructions
    assert head.flag("platform") == "$BUILDPLATFORM"
    assert exec_cmd.exec_form == ("python", "-m", "app")
    assert shell_cmd.exec_form is None
    assert run.flag_values("mount") == ["type=secret,id=hf", "type=cache,target=/root/.cache"]
    assert run.flag("network") == "none" and run.arguments == "make"


def test_stages_global_args_and_effective_user() -> None:
    dockerfile = parse_dockerfile(
        "ARG PYTHON=3.12\n"
        "ARG BASE=python:${PYTHON}-slim\n"
        "ARG VARIANT\n"
        "FROM ${BASE} AS base\n"
        "ARG UID=10001\n"
        "USER ${UID}\n"
        "FROM base AS app\n"
        "ENV HOME=/home/app\n"
        "FROM ${VARIANT:-debian}:bookworm AS other\n"
        "FROM base\n",
        "Dockerfile",
    )
    base, app, other, final = dockerfile.stages
    assert base.image == "python:3.12-slim" and base.parent is None
    assert app.parent == 0 and final.parent == 0
    assert other.image == "debian:bookworm"
    value, instruction, origin = dockerfile.effective_user(app)
    assert (value, instruction.line, origin.name) == ("10001", 6, "base")
    assert dockerfile.final is final and final.label == "#3"


def test_expansion_of_unknown_build_arguments() -> None:
    variables = {"KNOWN": "1", "EMPTY": ""}
    assert expand("$KNOWN-${KNOWN}", variables) == "1-1"
    assert expand("${EMPTY:-x} ${EMPTY-x} ${KNOWN:+set}", variables) == "x  set"
    assert expand("${MISSING}", variables) is None
    assert expand("${KNOWN#pattern}", variables) is None
    assert expand("\\$KNOWN", variables) == "$KNOWN"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("FROM alpine\nFROOM alpine\n", 2, "unknown instruction"),
        ("RUN echo hi\nFROM alpine\n", 1, "before the first FROM"),
        ("ARG X=1\n", 1, "no FROM"),
        ("FROM alpine\nRUN <<EOF\necho never ends\n", 2, "not terminated"),
        ("FROM alpine x y\n", 1, "FROM takes"),
        ("# escape=x\nFROM alpine\n", 1, "invalid escape"),
    ],
)
def test_syntax_errors_carry_lines(text: str, line: int, message: str) -> None:
    with pytest.raises(DockerfileSyntaxError) as caught:
        parse_dockerfile(text, "Dockerfile")
    assert caught.value.line == line
    assert message in str(caught.value)


def test_file_names_claimed() -> None:
    for name in (
        "Dockerfile",
        "dockerfile",
        "Dockerfile.gpu",
        "vllm.Dockerfile",
        "prod.dockerfile",
        "Containerfile",
        "Containerfile.cuda",
    ):
        assert claims(name), name
    for name in (
        "Dockerfile.dockerignore",
        "dockerfile.go",
        "Dockerfile.md",
        "empty_dockerfile",
        "docker-compose.yml",
    ):
        assert not claims(name), name


def test_bad_dockerfile_is_an_input_error_and_a_template_is_skipped(write, tmp_path) -> None:
    write("bad/Dockerfile", "FROM alpine\nRUNN echo\n")
    write("tpl/Dockerfile.j2", "FROM {{ base }}\n{% for p in packages %}RUN x{% endfor %}\n")
    write("ok/Dockerfile", "FROM alpine:3.20\nUSER 1000\n")
    inputs = read_inputs([str(tmp_path)])
    [error] = inputs.summary.input_errors
    assert error.path.endswith("bad/Dockerfile") and error.line == 2
    assert "unknown instruction 'RUNN'" in error.reason
    assert inputs.summary.skipped == {"unrendered template": 1}
    assert [r.location.line for r in inputs.resources] == [1]
    assert inputs.domains == {"docker", "secrets"}


def test_each_stage_is_a_resource_spanning_its_lines(write, tmp_path) -> None:
    write(
        "Dockerfile",
        "FROM golang:1.22 AS build\nRUN go build\n\nFROM alpine\nCOPY --from=build /x /x\n",
    )
    inputs = read_inputs([str(tmp_path)])
    spans = [(r.kind, r.location.line, r.end_line) for r in inputs.resources]
    assert spans == [("Dockerfile", 1, 3), ("Dockerfile", 4, 5)]
