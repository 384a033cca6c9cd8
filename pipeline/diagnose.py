"""Why a person payload was not recognised: what an operator reads on a job's page.

`diagnose_shape` runs the extractor's own marker logic (`pipeline.shapes`) over a raw body
and says which provider markers matched, which keys the body has, and which unresolved Clay
column references (`{{Column}}`, the same pattern `schemas.lint` refuses in request fields)
are inside it. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from pipeline import shapes
from pipeline.errors import UnknownShapeError
from schemas.lint import TEMPLATE

#: Most unresolved references and keys listed (a body can be large).
MAX_LISTED = 50
#: Deepest level searched for unresolved references.
MAX_DEPTH = 12


@dataclass(frozen=True)
class ShapeDiagnosis:
    """What the shape detector saw in one payload."""

    detected: str | None
    wrapped: bool = False
    markers: dict[str, list[str]] = field(default_factory=dict)
    keys_seen: list[str] = field(default_factory=list)
    unresolved: list[tuple[str, str]] = field(default_factory=list)
    problem: str | None = None


def diagnose_shape(raw: object) -> ShapeDiagnosis:
    """Markers matched per provider shape, top-level keys, unresolved Clay references."""
    unresolved = list(_templates(raw, "$", 0))[:MAX_LISTED]
    if not isinstance(raw, Mapping):
        kind = "null" if raw is None else type(raw).__name__
        return ShapeDiagnosis(None, unresolved=unresolved, problem=f"the body is a {kind}")
    body = shapes.unwrap(raw)
    try:
        detected: str | None = shapes.detect_shape(raw)
        problem = None
    except UnknownShapeError as err:
        detected, problem = None, str(err).split("; keys seen", 1)[0]
    return ShapeDiagnosis(
        detected=detected,
        wrapped=body is not raw,
        markers={shape: shapes.marker_hits(body, shape) for shape in shapes.shapes()},
        keys_seen=sorted(map(str, body))[:MAX_LISTED],
        unresolved=unresolved,
        problem=problem,
    )


def _templates(value: object, path: str, depth: int) -> Iterator[tuple[str, str]]:
    """(path, reference) of every unresolved `{{Column}}` in strings (and keys) of a body."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, str):
        yield from ((path, m.group(0)) for m in TEMPLATE.finditer(value))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and TEMPLATE.search(key):
                yield (f"{path} (key)", key)
            yield from _templates(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _templates(item, f"{path}[{index}]", depth + 1)
