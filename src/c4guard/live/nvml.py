"""GPU facts through NVML, behind a small reader interface.

`read_gpus` asks an `NvmlSource` the few NVML questions c4guard needs (MIG mode, ECC mode,
compute mode, confidential-computing state) and turns the answers into `GpuFacts`. Two
sources answer them: `DriverNvml` calls the real library (`nvidia-ml-py`), and
`RecordedNvml` replays answers recorded from a real machine (`c4guard host --record-nvml`),
so tests and offline reviews run the same translation code as a GPU node does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from c4guard.errors import ServiceError

MAX_RECORDING_BYTES = 4 * 1024 * 1024
COMPUTE_MODES = {0: "DEFAULT", 1: "EXCLUSIVE_THREAD", 2: "PROHIBITED", 3: "EXCLUSIVE_PROCESS"}
CC_ENVIRONMENTS: dict[object, str] = {0: "unavailable", 1: "simulation", 2: "production"}
CPU_TEES: dict[object, str] = {
    0: "none",
    1: "AMD SEV",
    2: "Intel TDX",
    3: "AMD SEV-SNP",
    4: "AMD SEV-SNP (vTOM)",
}
# The questions asked per device, and once for the system.
DEVICE_QUESTIONS = (
    "nvmlDeviceGetName",
    "nvmlDeviceGetUUID",
    "nvmlDeviceGetMigMode",
    "nvmlDeviceGetEccMode",
    "nvmlDeviceGetComputeMode",
)
SYSTEM_QUESTIONS = (
    "nvmlSystemGetDriverVersion",
    "nvmlSystemGetConfComputeCapabilities",
    "nvmlSystemGetConfComputeState",
    "nvmlSystemGetConfComputeGpusReadyState",
)


class NvmlError(ServiceError):
    """NVML answered with an error (its NVML_ERROR_* name, e.g. NOT_SUPPORTED)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


class NvmlUnavailable(ServiceError):
    """NVML cannot be used here (no library, no driver, no permission)."""


class NvmlSource(Protocol):
    """Answers NVML questions by function name; device questions take the device index."""

    description: str

    def ask(self, function: str, *args: int) -> Any: ...


@dataclass(slots=True)
class GpuFacts:
    """What NVML says about one GPU. A None field means NVML did not say (see `errors`)."""

    index: int
    name: str
    uuid: str
    mig_mode: tuple[int, int] | None = None  # (current, pending)
    ecc_mode: tuple[int, int] | None = None
    compute_mode: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ConfidentialComputing:
    """The system's confidential-computing state (shared by all GPUs of a node)."""

    feature: bool | None = None
    environment: str | None = None
    devtools: bool | None = None
    ready: bool | None = None
    cpu_tee: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class GpuReport:
    source: str
    driver: str | None
    gpus: list[GpuFacts]
    confidential: ConfidentialComputing


def read_gpus(source: NvmlSource) -> GpuReport:
    """Ask `source` about every GPU; NOT_SUPPORTED and similar answers are kept as errors."""
    try:
        count = int(source.ask("nvmlDeviceGetCount"))
    except (NvmlError, TypeError, ValueError) as exc:
        raise NvmlUnavailable(f"{source.description}: no GPU count ({exc})") from exc
    gpus = [_device(source, index) for index in range(count)]
    cc = ConfidentialComputing()
    driver = _answer(source, "nvmlSystemGetDriverVersion", (), cc.errors)
    caps = _answer(source, "nvmlSystemGetConfComputeCapabilities", (), cc.errors)
    if isinstance(caps, dict):
        cc.cpu_tee = CPU_TEES.get(caps.get("cpuCaps"), str(caps.get("cpuCaps")))
    state = _answer(source, "nvmlSystemGetConfComputeState", (), cc.errors)
    if isinstance(state, dict):
        cc.feature = state.get("ccFeature") == 1
        cc.environment = CC_ENVIRONMENTS.get(state.get("environment"), "unknown")
        cc.devtools = state.get("devToolsMode") == 1
    ready = _answer(source, "nvmlSystemGetConfComputeGpusReadyState", (), cc.errors)
    cc.ready = None if ready is None else ready == 1
    return GpuReport(source.description, None if driver is None else str(driver), gpus, cc)


def _device(source: NvmlSource, index: int) -> GpuFacts:
    errors: dict[str, str] = {}
    facts = GpuFacts(
        index,
        str(_answer(source, "nvmlDeviceGetName", (index,), errors) or ""),
        str(_answer(source, "nvmlDeviceGetUUID", (index,), errors) or f"GPU-{index}"),
        errors=errors,
    )
    facts.mig_mode = _pair(_answer(source, "nvmlDeviceGetMigMode", (index,), errors))
    facts.ecc_mode = _pair(_answer(source, "nvmlDeviceGetEccMode", (index,), errors))
    mode = _answer(source, "nvmlDeviceGetComputeMode", (index,), errors)
    facts.compute_mode = None if mode is None else COMPUTE_MODES.get(mode, str(mode))
    return facts


def _answer(
    source: NvmlSource, function: str, args: tuple[int, ...], errors: dict[str, str]
) -> Any:
    try:
        return source.ask(function, *args)
    except NvmlError as exc:
        errors[function.removeprefix("nvmlDevice").removeprefix("nvmlSystem")] = exc.code
        return None


def _pair(value: Any) -> tuple[int, int] | None:
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int) for v in value)
    ):
        return value[0], value[1]
    return None


# ------------------------------------------------------------------------ sources


class DriverNvml:
    """The real NVML library (`nvidia-ml-py`), answers made plain (str, int, list, dict)."""

    def __init__(self) -> None:
        try:
            import pynvml
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise NvmlUnavailable("nvidia-ml-py is not installed") from exc
        self._nvml = pynvml
        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError as exc:
            raise NvmlUnavailable(f"NVML: {exc}") from exc
        self._handles: dict[int, Any] = {}
        self.description = "NVML"

    def ask(self, function: str, *args: int) -> Any:
        nvml = self._nvml
        call_args = (
            [self._handle(args[0]), *args[1:]]
            if function.startswith("nvmlDevice") and function != "nvmlDeviceGetCount"
            else list(args)
        )
        try:
            return plain(getattr(nvml, function)(*call_args))
        except nvml.NVMLError as exc:
            raise NvmlError(_error_name(nvml, exc.value), str(exc)) from exc

    def close(self) -> None:
        self._nvml.nvmlShutdown()

    def _handle(self, index: int) -> Any:
        if index not in self._handles:
            self._handles[index] = self._nvml.nvmlDeviceGetHandleByIndex(index)
        return self._handles[index]


def _error_name(nvml: Any, value: int) -> str:
    names = [n for n in dir(nvml) if n.startswith("NVML_ERROR_") and getattr(nvml, n) == value]
    return names[0].removeprefix("NVML_ERROR_") if names else f"ERROR_{value}"


def plain(value: Any) -> Any:
    """An NVML answer as JSON-able data: bytes decoded, ctypes structures as dicts."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    fields = getattr(value, "_fields_", None)
    if fields is not None:
        return {name: plain(getattr(value, name)) for name, *_ in fields}
    return value


class RecordedNvml:
    """Answers recorded from a real machine:
    `{"answers": {"function(args)": value | {"error": code}}}`."""

    def __init__(self, path: Path) -> None:
        self.description = f"recorded NVML answers ({path})"
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise NvmlUnavailable(f"cannot read {path}: {exc.strerror or exc}") from exc
        if len(raw) > MAX_RECORDING_BYTES:
            raise NvmlUnavailable(f"{path}: larger than {MAX_RECORDING_BYTES} bytes")
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise NvmlUnavailable(f"{path}: not a JSON recording of NVML answers ({exc})") from exc
        answers = data.get("answers") if isinstance(data, dict) else None
        if not isinstance(answers, dict):
            raise NvmlUnavailable(f"{path}: no `answers` mapping")
        self._answers: dict[str, Any] = answers

    def ask(self, function: str, *args: int) -> Any:
        key = question(function, args)
        if key not in self._answers:
            raise NvmlError("NOT_RECORDED", f"{key} was not recorded")
        answer = self._answers[key]
        if isinstance(answer, dict) and set(answer) == {"error"}:
            raise NvmlError(str(answer["error"]))
        return answer


def question(function: str, args: tuple[int, ...]) -> str:
    return f"{function}({', '.join(str(a) for a in args)})"


def record(source: NvmlSource) -> dict[str, Any]:
    """Every answer `read_gpus` needs from `source`, in the recording format."""
    answers: dict[str, Any] = {}

    def keep(function: str, *args: int) -> None:
        try:
            answers[question(function, args)] = source.ask(function, *args)
        except NvmlError as exc:
            answers[question(function, args)] = {"error": exc.code}

    keep("nvmlDeviceGetCount")
    for function in SYSTEM_QUESTIONS:
        keep(function)
    count = answers.get("nvmlDeviceGetCount()")
    for index in range(count if isinstance(count, int) else 0):
        for function in DEVICE_QUESTIONS:
            keep(function, index)
    return {"format": "c4guard NVML answers 1", "answers": answers}
