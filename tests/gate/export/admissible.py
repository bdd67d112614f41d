"""Whether the API server could admit an object at all: the fields the exported checks read
have their schema types (PodSpec). Objects that fail this never reach an admission policy
(the API server rejects them while decoding), so the differential test leaves them out and
counts them."""

from __future__ import annotations

from typing import Any

from c4guard.gate.export.kinds import EACH_ITEM, EACH_VALUE, NATIVE_KINDS

STR, BOOL, INT, ANY = str, bool, int, object
QUANTITY = (str, int, float)


def _map(**fields: Any) -> dict[str, Any]:
    return fields


SELINUX = _map(type=STR, user=STR, role=STR, level=STR)
PROFILE = _map(type=STR, localhostProfile=STR)
POD_SECURITY = _map(
    runAsUser=INT,
    runAsGroup=INT,
    runAsNonRoot=BOOL,
    seccompProfile=PROFILE,
    appArmorProfile=PROFILE,
    seLinuxOptions=SELINUX,
)
CONTAINER = _map(
    name=STR,
    image=STR,
    securityContext=_map(
        **POD_SECURITY,
        privileged=BOOL,
        allowPrivilegeEscalation=BOOL,
        readOnlyRootFilesystem=BOOL,
        procMount=STR,
        capabilities=_map(add=[STR], drop=[STR]),
    ),
    resources=_map(limits={"*": QUANTITY}, requests={"*": QUANTITY}),
    env=[_map(name=STR, value=STR, valueFrom=_map(secretKeyRef=_map(name=STR, key=STR)))],
    envFrom=[_map(secretRef=_map(name=STR))],
    volumeMounts=[_map(name=STR, mountPath=STR, readOnly=BOOL)],
)
POD_SPEC = _map(
    containers=[CONTAINER],
    initContainers=[CONTAINER],
    ephemeralContainers=[CONTAINER],
    securityContext=POD_SECURITY,
    hostPID=BOOL,
    hostIPC=BOOL,
    hostNetwork=BOOL,
    hostUsers=BOOL,
    automountServiceAccountToken=BOOL,
    os=_map(name=STR),
    runtimeClassName=STR,
    volumes=[_map(name=STR, hostPath=_map(path=STR))],
)
TEMPLATE = _map(metadata=_map(annotations={"*": STR}), spec=POD_SPEC)


def fits(value: Any, schema: Any) -> bool:
    """`value` has the types `schema` gives (absent or null fields are fine)."""
    if value is None:
        return True
    if isinstance(schema, list):
        return isinstance(value, list) and all(fits(v, schema[0]) for v in value)
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            return False
        if "*" in schema:
            return all(fits(v, schema["*"]) for v in value.values())
        return all(fits(value.get(k), s) for k, s in schema.items())
    if schema is INT:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, schema)


def _at(value: Any, steps: tuple[str, ...], schema: Any) -> bool:
    if value is None:
        return True
    if not steps:
        return fits(value, schema)
    step, rest = steps[0], steps[1:]
    if step == EACH_ITEM:
        return isinstance(value, list) and all(_at(v, rest, schema) for v in value)
    if step == EACH_VALUE:
        return isinstance(value, dict) and all(_at(v, rest, schema) for v in value.values())
    return isinstance(value, dict) and _at(value.get(step), rest, schema)


def admissible(body: Any) -> bool:
    """The pod templates of a native kind's object have the schema's types."""
    for kind in NATIVE_KINDS:
        if body.get("kind") != kind.kind:
            continue
        for path in kind.paths:
            schema = {"podspec": POD_SPEC, "container": CONTAINER}.get(path.shape, TEMPLATE)
            if not _at(body, path.steps, schema):
                return False
    return True
