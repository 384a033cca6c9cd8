"""Which provider a raw person payload came from, decided by structural markers.

Clay forwards three shapes: its own enrich-person output, Proxycurl/EnrichLayer profiles and
People Data Labs persons (bare, or inside PDL's ``{status, likelihood, data}`` envelope). A
shape is recognised by several keys that only one provider sends, so a payload missing one
optional key is still recognised and one that matches nothing is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline.errors import UnknownShapeError
from schemas.records import Shape

Row = Mapping[str, Any]

#: Top-level keys only one provider sends.
_TOP_MARKERS: dict[Shape, frozenset[str]] = {
    "clay": frozenset(
        {"last_refresh", "slug", "org", "picture_url_orig", "picture_url_copy", "jobs_count"}
        | {"latest_experience", "current_experience", "profile_id", "num_followers"}
    ),
    "proxycurl": frozenset(
        {"public_identifier", "experiences", "profile_pic_url", "country_full_name"}
        | {"occupation", "follower_count", "background_cover_image_url", "volunteer_work"}
        | {"accomplishment_projects", "similarly_named_profiles"}
    ),
    "pdl": frozenset(
        {"linkedin_username", "linkedin_connections", "job_title_levels", "job_title_role"}
        | {"job_company_name", "location_locality", "location_region", "dataset_version"}
        | {"last_initial", "location_continent"}
    ),
}
#: Keys of an experience row that only one provider uses; ``{}`` marks a nested object.
_ROW_MARKERS: dict[Shape, frozenset[str]] = {
    "clay": frozenset({"is_current", "company_domain", "org_id", "locality"}),
    "proxycurl": frozenset({"starts_at", "ends_at", "company_linkedin_profile_url", "logo_url"}),
    "pdl": frozenset({"is_primary", "location_names", "company{}", "title{}"}),
}
#: Where each shape keeps its experience array.
_EXPERIENCE_KEY: dict[Shape, str] = {
    "clay": "experience",
    "proxycurl": "experiences",
    "pdl": "experience",
}


def unwrap(raw: Row) -> Row:
    """Return the person inside PDL's enrichment envelope, or the payload itself."""
    data = raw.get("data")
    if isinstance(data, Mapping) and ("status" in raw or "likelihood" in raw):
        return data
    return raw


def rows(value: object) -> list[tuple[int, Row]]:
    """Enumerate the object rows of a provider array, each with its index in the array."""
    if not isinstance(value, list):
        return []
    return [(index, row) for index, row in enumerate(value) if isinstance(row, Mapping)]


def _row_keys(row: Row) -> set[str]:
    """A row's keys plus ``<key>{}`` for each key whose value is a nested object."""
    return set(row) | {f"{key}{{}}" for key, value in row.items() if isinstance(value, Mapping)}


def _score(body: Row, shape: Shape) -> int:
    """Count the markers of one shape in a payload (top-level keys + first experience row)."""
    first = rows(body.get(_EXPERIENCE_KEY[shape]))[:1]
    row_hits = len(_ROW_MARKERS[shape] & _row_keys(first[0][1])) if first else 0
    return len(_TOP_MARKERS[shape] & set(body)) + row_hits


def detect_shape(raw: Mapping[str, object]) -> Shape:
    """Decide which provider shape a raw payload has; raise `UnknownShapeError` if none fits."""
    if not isinstance(raw, Mapping):
        raise UnknownShapeError(f"raw_payload is a {type(raw).__name__}, not a JSON object")
    body = unwrap(raw)
    scores = sorted(((_score(body, shape), shape) for shape in _TOP_MARKERS), reverse=True)
    (best, shape), (runner_up, _) = scores[0], scores[1]
    if best >= 2 and best > runner_up:
        return shape
    keys = ", ".join(sorted(map(str, body))[:40]) or "(none)"
    raise UnknownShapeError(
        "raw_payload matches no known provider shape (clay, proxycurl, pdl; marker scores "
        f"{', '.join(f'{name}={score}' for score, name in scores)}); keys seen: {keys}"
    )
