"""Which provider a raw person payload came from, decided by structural markers.

Clay forwards three shapes: its own enrich-person output, Proxycurl/EnrichLayer profiles and
People Data Labs persons, bare or wrapped (`unwrapped`: PDL's ``{status, likelihood, data}``
envelope, a lookup's ``{url, profile}``, a search response holding one result). A
shape is recognised by several keys that only one provider sends, so a payload missing one
optional key is still recognised and one that matches nothing is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

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


#: Keys under which a provider's lookup or enrichment response holds the one profile:
#: PDL ``{status, likelihood, data}``, Proxycurl/EnrichLayer ``{url, profile}`` and
#: ``{linkedin_profile_url, profile}``, Crustdata-like ``{…, person_data}``.
_PROFILE_KEYS = ("data", "profile", "person", "person_data", "result", "hits", "_source")
#: Keys under which a search or bulk response holds a list of results (Elasticsearch-style
#: ``{hits: {hits: [{_source}]}}`` included).
_RESULT_KEYS = ("data", "results", "matches", "people", "persons", "items", "elements", "hits")
#: Keys under which a wrapper names the profile it holds.
_WRAPPER_URL_KEYS = ("linkedin_profile_url", "profile_url", "linkedin_url", "url", "matched_on")
#: Wrappers nest at most this deep (a bulk list of search results of envelopes).
_MAX_WRAPPERS = 5


class Unwrapped(NamedTuple):
    """The profile inside a payload, and the profile URL its wrappers named, if any."""

    body: Row
    wrapper_url: str | None


def _describe(value: object) -> str:
    """A short description of a wrapper for error messages: its keys, or its list length."""
    if isinstance(value, list):
        return f"a list of {len(value)} results"
    keys = ", ".join(sorted(map(str, value))[:8]) if isinstance(value, Mapping) else ""
    return f"{{{keys}}}" if keys else type(value).__name__


def _single(items: list[Any], wrapper: str) -> object:
    """The one result of a result list; a wrapper with none or several holds no single profile."""
    if len(items) == 1:
        return items[0]
    raise UnknownShapeError(
        f"raw_payload is a wrapper ({wrapper}) holding {len(items)} results, not one profile: "
        "send the single person object (or a lookup response holding one)"
    )


def _wrapper_url(wrapper: Row) -> str | None:
    """The first string a wrapper gives under a profile-URL key."""
    urls = (wrapper.get(key) for key in _WRAPPER_URL_KEYS)
    return next((url for url in urls if isinstance(url, str) and url.strip()), None)


def _inner(raw: Row) -> tuple[object, bool]:
    """What a mapping wraps (and whether it wraps anything); raise when it wraps no profile."""
    for key in _PROFILE_KEYS:
        value = raw.get(key)
        if isinstance(value, Mapping) and value:
            return value, True
        if isinstance(value, list) and key in _RESULT_KEYS:
            return _single(value, f"{_describe(raw)} with {key!r} = {_describe(value)}"), True
    for key in _RESULT_KEYS:
        value = raw.get(key)
        if isinstance(value, list):
            return _single(value, f"{_describe(raw)} with {key!r} = {_describe(value)}"), True
    empty = [key for key in _PROFILE_KEYS if key in raw and not raw.get(key)]
    if empty and _wrapper_url(raw) is not None:
        raise UnknownShapeError(
            f"raw_payload is a lookup wrapper {_describe(raw)} whose {empty[0]!r} is empty: "
            "the provider found no profile"
        )
    return raw, False


def unwrapped(raw: object) -> Unwrapped:
    """Find the person inside a provider's envelope, lookup or search response.

    A payload that already looks like a person is returned as it is. Otherwise a wrapper is
    opened: PDL's ``{status, likelihood, data}``, a lookup's ``{url, profile}``, a search
    response's ``{results: [one]}`` or a bare list of one result. A wrapper that holds no
    profile, or several, raises `UnknownShapeError` naming the wrapper.
    """
    url: str | None = None
    for _ in range(_MAX_WRAPPERS):
        if isinstance(raw, list):
            raw = _single(raw, _describe(raw))
            continue
        if not isinstance(raw, Mapping) or _looks_like_person(raw):
            break
        inner, opened = _inner(raw)
        if not opened:
            break
        url = _wrapper_url(raw) or url
        raw = inner
    if not isinstance(raw, Mapping):
        raise UnknownShapeError(f"raw_payload holds a {type(raw).__name__}, not a JSON object")
    return Unwrapped(raw, url)


def unwrap(raw: object) -> Row:
    """Return the person inside a provider wrapper (see `unwrapped`), or the payload itself."""
    return unwrapped(raw).body


def rows(value: object) -> list[tuple[int, Row]]:
    """Enumerate the object rows of a provider array, each with its index in the array."""
    if not isinstance(value, list):
        return []
    return [(index, row) for index, row in enumerate(value) if isinstance(row, Mapping)]


def _row_keys(row: Row) -> set[str]:
    """A row's keys plus ``<key>{}`` for each key whose value is a nested object."""
    return set(row) | {f"{key}{{}}" for key, value in row.items() if isinstance(value, Mapping)}


def marker_hits(body: Row, shape: Shape) -> list[str]:
    """The markers of one shape found in a payload: top-level keys, then keys of its first
    experience row (as `<array>[0].<key>`)."""
    first = rows(body.get(_EXPERIENCE_KEY[shape]))[:1]
    found = sorted(_TOP_MARKERS[shape] & set(body))
    if first:
        prefix = f"{_EXPERIENCE_KEY[shape]}[0]."
        found += [prefix + key for key in sorted(_ROW_MARKERS[shape] & _row_keys(first[0][1]))]
    return found


def shapes() -> tuple[Shape, ...]:
    """Every provider shape the extractor recognises."""
    return tuple(_TOP_MARKERS)


def _score(body: Row, shape: Shape) -> int:
    """Count the markers of one shape in a payload (top-level keys + first experience row)."""
    return len(marker_hits(body, shape))


def _scores(body: Row) -> list[tuple[int, Shape]]:
    """Marker score of every shape, best first."""
    return sorted(((_score(body, shape), shape) for shape in _TOP_MARKERS), reverse=True)


def _looks_like_person(body: Row) -> bool:
    """Whether a mapping carries the markers of a person of some shape (not a wrapper)."""
    return _scores(body)[0][0] >= 2


def detect_shape(raw: object) -> Shape:
    """Decide which provider shape a raw payload has; raise `UnknownShapeError` if none fits."""
    if not isinstance(raw, Mapping | list):
        raise UnknownShapeError(f"raw_payload is a {type(raw).__name__}, not a JSON object")
    body = unwrap(raw)
    scores = _scores(body)
    (best, shape), (runner_up, _) = scores[0], scores[1]
    if best >= 2 and best > runner_up:
        return shape
    keys = ", ".join(sorted(map(str, body))[:40]) or "(none)"
    raise UnknownShapeError(
        "raw_payload matches no known provider shape (clay, proxycurl, pdl; marker scores "
        f"{', '.join(f'{name}={score}' for score, name in scores)}); keys seen: {keys}"
    )
