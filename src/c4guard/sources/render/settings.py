"""`render` in `c4guard.yaml`: how charts and overlays are rendered (docs/rendering.md).

The models live with the renderers (the configuration, a layer above, re-exports them in
`Config.render`), so that rendering needs nothing from the configuration layer.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


HELM_RELEASE = "release-name"  # what `helm template` calls a release it is not told


class HelmChartValues(_Strict):
    """One chart's variant named in the config: values files (relative to the config's
    directory, applied in order), `--set`-style values, release, namespace, Capabilities."""

    name: str = "c4guard.yaml"
    values: list[str] = []
    set: list[str] = []
    release: str | None = Field(default=None, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    namespace: str | None = Field(default=None, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    kube_version: str | None = Field(default=None, pattern=r"^v?\d+\.\d+(\.\d+)?$")
    api_versions: list[str] = []

    @field_validator("set")
    @classmethod
    def _assignments(cls, value: list[str]) -> list[str]:
        bad = [item for item in value if "=" not in item]
        if bad:
            raise ValueError(f"`set` items are `key=value` (as `helm --set`): {bad[0]!r}")
        return value


class HelmSection(_Strict):
    """`render.helm`: release and namespace for every chart, and per-chart variants (the
    chart directory, relative to the config's directory, → its variants)."""

    release: str = Field(default=HELM_RELEASE, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    namespace: str | None = Field(default=None, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    kube_version: str | None = Field(default=None, pattern=r"^v?\d+\.\d+(\.\d+)?$")
    api_versions: list[str] = []
    charts: dict[str, list[HelmChartValues]] = {}


class RenderSection(_Strict):
    """`render`: how charts and overlays are rendered (see docs/rendering.md)."""

    enabled: bool = True
    timeout_s: float = Field(default=120.0, gt=0, le=3600)
    max_output_mib: int = Field(default=64, ge=1, le=1024)
    helm: HelmSection = HelmSection()
