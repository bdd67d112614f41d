"""`helm template` output (the binary's): cut at `# Source:` headers and located in the
templates; the command line it is run with. (The binary itself is exercised where it is
installed, through the same tests as the extra: `C4GUARD_RENDERERS=path`.)"""

from __future__ import annotations

from pathlib import Path

from c4guard.sources.discover import SourceFile
from c4guard.sources.render.charts import Chart, Variant
from c4guard.sources.render.helm import _helm_argv, _split
from c4guard.sources.render.helmobjects import chart_resources
from c4guard.sources.render.tools import Renderer

STREAM = """\
---
# Source: demo/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: rel-demo
---
# Source: demo/templates/pod.yaml
apiVersion: v1
kind: Pod
metadata:
  name: rel-demo
spec:
  containers:
    - name: app
      image: busybox:1.36
      securityContext:
        privileged: true
"""
POD_TEMPLATE = """\
apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-demo
spec:
  containers:
    - name: app
      image: "busybox:{{ .Values.tag }}"
      securityContext:
        privileged: true
"""


def test_helm_template_output_is_cut_per_template_and_located(write, tmp_path: Path) -> None:
    write("demo/Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    write("demo/values.yaml", "tag: '1.36'\n")
    write("demo/templates/service.yaml", "apiVersion: v1\nkind: Service\n")
    template = write("demo/templates/pod.yaml", POD_TEMPLATE)
    parts = _split(STREAM)
    assert [name for name, _ in parts] == ["demo/templates/service.yaml", "demo/templates/pod.yaml"]
    assert not parts[0][1].endswith("---")
    chart = Chart(tmp_path / "demo", str(tmp_path / "demo"))
    resources = chart_resources(chart, Variant("default values"), parts, "helm demo")
    pod = next(r for r in resources if r.kind == "Pod")
    assert pod.location.path == str(template)
    container = pod.body["spec"]["containers"][0]
    assert container["securityContext"].where("privileged") == (str(template), 10)
    # `busybox:1.36` is not a literal of the template, nor a values line: the action line
    assert container.where("image") == (str(template), 8)


def test_the_helm_command_line_renders_offline_with_the_variant() -> None:
    variant = Variant(
        "prod",
        (SourceFile(Path("/c/values-prod.yaml"), "values-prod.yaml"),),
        ("image.tag=v2",),
        "serving",
        "ml",
        "1.30.0",
        ("monitoring.coreos.com/v1",),
    )
    argv = _helm_argv(Renderer(("helm",), "helm"), Path("/c"), variant)
    assert argv == [
        "helm", "template", "serving", "/c", "--namespace", "ml",
        "--values", "/c/values-prod.yaml", "--set", "image.tag=v2",
        "--kube-version", "1.30.0", "--api-versions", "monitoring.coreos.com/v1",
    ]  # fmt: skip
    assert not {"--post-renderer", "--dependency-update", "--repo"} & set(argv)
