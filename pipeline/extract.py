"""Recognise which provider a raw person payload came from and extract a ProfileRecord.

Clay forwards three shapes: its own enrich-person output, Proxycurl/EnrichLayer profiles and
People Data Labs persons (bare, or wrapped: see `pipeline.shapes.unwrapped`). The
shape is decided by structural markers, several keys that only one provider sends, so a
payload missing one optional key is still recognised and one that matches nothing is refused
with `UnknownShapeError` rather than half-extracted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pipeline import dates, normalize, places
from pipeline.errors import InvalidPayloadError
from pipeline.shapes import Row, detect_shape, unwrapped
from pipeline.shapes import rows as _rows
from schemas import canonical
from schemas.records import EducationRecord, ExperienceRecord, ProfileRecord, Shape


def _str(row: Row, key: str) -> str | None:
    """Return a raw string field as given, or None if it is missing or not a string."""
    value = row.get(key)
    return value if isinstance(value, str) else None


def _text(row: Row, key: str) -> str | None:
    """Return a cleaned text field (trimmed, whitespace collapsed), or None."""
    return normalize.clean_text(row.get(key))


def _child(row: Row, key: str) -> Row:
    """Return a nested object field, or an empty mapping when it is absent or not an object."""
    value = row.get(key)
    return value if isinstance(value, Mapping) else {}


def _count(value: object) -> int | None:
    """Read a non-negative count given as an int or as text such as ``"500+"``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        digits = value.strip().rstrip("+").replace(",", "")
        value = int(digits) if digits.isascii() and digits.isdigit() else None
    return value if isinstance(value, int) and value >= 0 else None


def _texts(value: object) -> tuple[str, ...]:
    """Clean a list of strings, dropping blanks; a plain string counts as a one-item list."""
    items = value if isinstance(value, list) else [value]
    return tuple(text for text in map(normalize.clean_text, items) if text)


def _joined(value: object) -> str | None:
    """Join a list of strings (PDL degrees, majors) with ", "."""
    return ", ".join(_texts(value)) or None


def _location_name(*parts: str | None) -> str | None:
    """Compose "City, State, Country" from the parts a provider gives separately."""
    return ", ".join(part for part in parts if part) or None


def _payload_url(body: Row, url_keys: tuple[str, ...], slug_keys: tuple[str, ...]) -> str | None:
    """Return the first usable profile URL a payload carries itself, from a URL or a slug."""
    urls = (canonical.linkedin_url(_str(body, key)) for key in url_keys)
    slugs = (canonical.linkedin_url_from_slug(_str(body, key)) for key in slug_keys)
    return next((url for url in (*urls, *slugs) if url), None)


def _pdl_profile_url(body: Row) -> str | None:
    """Return PDL's own LinkedIn URL: the top-level field, then its ``profiles`` list."""
    profiles = [row for _, row in _rows(body.get("profiles")) if row.get("network") == "linkedin"]
    candidates = [body, *profiles]
    urls = (_payload_url(row, ("linkedin_url", "url"), ()) for row in candidates)
    fallback = _payload_url(body, (), ("linkedin_username",))
    return next((url for url in urls if url), fallback)


#: How each shape names its own profile URL.
_OWN_URL: dict[Shape, Callable[[Row], str | None]] = {
    "clay": lambda body: _payload_url(body, ("url", "linkedin_url"), ("slug",)),
    "proxycurl": lambda body: _payload_url(
        body, ("linkedin_profile_url", "profile_url", "url"), ("public_identifier",)
    ),
    "pdl": _pdl_profile_url,
}


def _profile_url(
    shape: Shape, body: Row, webhook_url: str | None, wrapper_url: str | None = None
) -> str:
    """Pick the canonical profile URL: the webhook's, else the payload's own, else its wrapper's."""
    url = (
        canonical.linkedin_url(webhook_url)
        or _OWN_URL[shape](body)
        or canonical.linkedin_url(wrapper_url)
    )
    if url is None:
        raise InvalidPayloadError(
            f"no usable LinkedIn profile URL: webhook linkedin_url={webhook_url!r} and the "
            f"{shape} payload's own profile URL are missing or not /in/<slug> URLs"
        )
    return url


def _clay_is_current(row: Row) -> bool:
    """Clay marks current rows with ``is_current``; without it, an end of "Present" counts."""
    flag = row.get("is_current")
    if isinstance(flag, bool):
        return flag
    end = _str(row, "end_date")
    return bool(end and end.strip() and dates.is_open_end(end))


def _clay_experience(position: int, row: Row) -> ExperienceRecord:
    """Extract one Clay ``experience[]`` row (Clay dates are always padded to the 1st)."""
    name, website = _text(row, "company"), _str(row, "company_domain")
    return ExperienceRecord(
        position=position,
        title=_text(row, "title"),
        company_name=name,
        company_domain=canonical.domain(website),
        company_key=normalize.company_key(website, name),
        company_linkedin_url=canonical.company_linkedin_url(_str(row, "url")),
        location=_text(row, "locality"),
        start=dates.partial_date(row.get("start_date"), clay=True),
        end=dates.partial_date(row.get("end_date"), clay=True),
        is_current=_clay_is_current(row),
    )


def _proxycurl_experience(position: int, row: Row) -> ExperienceRecord:
    """Extract one Proxycurl ``experiences[]`` row; a null ``ends_at`` means current."""
    name = _text(row, "company")
    return ExperienceRecord(
        position=position,
        title=_text(row, "title"),
        company_name=name,
        company_key=normalize.company_key(None, name),
        company_linkedin_url=canonical.company_linkedin_url(
            _str(row, "company_linkedin_profile_url")
        ),
        location=_text(row, "location"),
        start=dates.partial_date(row.get("starts_at")),
        end=dates.partial_date(row.get("ends_at")),
        is_current=dates.is_open_end(row.get("ends_at")),
    )


def _pdl_experience(position: int, row: Row) -> ExperienceRecord:
    """Extract one PDL ``experience[]`` row: nested company and title objects."""
    company, title = _child(row, "company"), _child(row, "title")
    name, website = _text(company, "name"), _str(company, "website") or _str(company, "domain")
    return ExperienceRecord(
        position=position,
        title=_text(title, "name") if title else _text(row, "title"),
        company_name=name,
        company_domain=canonical.domain(website),
        company_key=normalize.company_key(website, name),
        company_linkedin_url=canonical.company_linkedin_url(_str(company, "linkedin_url")),
        location=next(iter(_texts(row.get("location_names"))), None),
        start=dates.partial_date(row.get("start_date")),
        end=dates.partial_date(row.get("end_date")),
        is_current=dates.is_open_end(row.get("end_date")),
        title_levels=_texts(title.get("levels")),
        title_role=_text(title, "role"),
        title_sub_role=_text(title, "sub_role"),
    )


def _clay_education(position: int, row: Row) -> EducationRecord:
    """Extract one Clay ``education[]`` row."""
    return EducationRecord(
        position=position,
        school_name=_text(row, "school_name"),
        degree=_text(row, "degree"),
        field_of_study=_text(row, "field_of_study"),
        start=dates.partial_date(row.get("start_date"), clay=True),
        end=dates.partial_date(row.get("end_date"), clay=True),
    )


def _proxycurl_education(position: int, row: Row) -> EducationRecord:
    """Extract one Proxycurl ``education[]`` row (``{day, month, year}`` dates)."""
    return EducationRecord(
        position=position,
        school_name=_text(row, "school"),
        degree=_text(row, "degree_name"),
        field_of_study=_text(row, "field_of_study"),
        start=dates.partial_date(row.get("starts_at")),
        end=dates.partial_date(row.get("ends_at")),
    )


def _pdl_education(position: int, row: Row) -> EducationRecord:
    """Extract one PDL ``education[]`` row: a school object, degree and major lists."""
    school = _child(row, "school")
    return EducationRecord(
        position=position,
        school_name=_text(school, "name") if school else _text(row, "school"),
        degree=_joined(row.get("degrees")),
        field_of_study=_joined(row.get("majors")),
        start=dates.partial_date(row.get("start_date")),
        end=dates.partial_date(row.get("end_date")),
    )


def _place(
    city: str | None, state: str | None, country: str | None, code: str | None
) -> dict[str, str | None]:
    """The person's structured place in the one spelling every provider gets (`places`)."""
    return places.provider_place(city, state, country, code).model_dump()


def _depadded(profile: ProfileRecord) -> ProfileRecord:
    """Read a payload's padded days as the months (or school years) they stand for.

    The evidence is the payload itself (`dates.pads_days`): when every day-precision start
    is the 1st and every end the 1st or a month's last day, the days are padding. Then each
    such date is stored as a month-only date (the 1st, precision ``month``), and a school
    dated 1 January – 31 December as the years it spans (precision ``year``).
    """
    rows: list[ExperienceRecord | EducationRecord] = [*profile.experiences, *profile.educations]
    if not dates.pads_days((r.start for r in rows), (r.end for r in rows)):
        return profile
    experiences = tuple(
        row.model_copy(update={"start": dates.unpadded(row.start), "end": dates.unpadded(row.end)})
        for row in profile.experiences
    )
    educations = tuple(
        row.model_copy(
            update={
                "start": dates.unpadded(row.start, year_only=span),
                "end": dates.unpadded(row.end, year_only=span),
            }
        )
        for row in profile.educations
        for span in (dates.is_year_span(row.start, row.end),)
    )
    return profile.model_copy(update={"experiences": experiences, "educations": educations})


def _identity(body: Row, url: str, *, shape: Shape, full_name_key: str) -> dict[str, Any]:
    """The `ProfileRecord` fields every provider spells alike: URL, names, headline, summary."""
    first, last, full = normalize.person_name(
        _str(body, "first_name"), _str(body, "last_name"), _str(body, full_name_key)
    )
    return {
        "linkedin_url": url,
        "slug": canonical.linkedin_slug(url) or "",
        "shape": shape,
        "full_name": full,
        "first_name": first,
        "last_name": last,
        "headline": _text(body, "headline"),
        "summary": normalize.clean_multiline(body.get("summary")),
    }


def _clay_profile(body: Row, url: str) -> ProfileRecord:
    """Extract a Clay enrich-person payload; city/state are left to the location classifier."""
    return ProfileRecord(
        **_identity(body, url, shape="clay", full_name_key="name"),
        location_name=_text(body, "location_name"),
        **_place(None, None, _text(body, "country"), None),
        connections=_count(body.get("connections")),
        picture_url=_text(body, "picture_url_orig") or _text(body, "picture_url_copy"),
        refreshed_at=dates.timestamp(body.get("last_refresh")),
        experiences=tuple(_clay_experience(i, row) for i, row in _rows(body.get("experience"))),
        educations=tuple(_clay_education(i, row) for i, row in _rows(body.get("education"))),
    )


def _proxycurl_profile(body: Row, url: str) -> ProfileRecord:
    """Extract a Proxycurl/EnrichLayer profile (``country`` is the alpha-2 code there)."""
    place = _place(
        _text(body, "city"),
        _text(body, "state"),
        _text(body, "country_full_name"),
        _text(body, "country"),
    )
    return ProfileRecord(
        **_identity(body, url, shape="proxycurl", full_name_key="full_name"),
        location_name=_location_name(place["city"], place["state"], place["country"]),
        **place,
        connections=_count(body.get("connections")),
        picture_url=_text(body, "profile_pic_url"),
        experiences=tuple(_proxycurl_experience(i, r) for i, r in _rows(body.get("experiences"))),
        educations=tuple(_proxycurl_education(i, r) for i, r in _rows(body.get("education"))),
    )


def _pdl_profile(body: Row, url: str) -> ProfileRecord:
    """Extract a People Data Labs person (PDL lower-cases names and places)."""
    return ProfileRecord(
        **_identity(body, url, shape="pdl", full_name_key="full_name"),
        location_name=_text(body, "location_name"),
        **_place(
            _text(body, "location_locality"),
            _text(body, "location_region"),
            _text(body, "location_country"),
            None,
        ),
        connections=_count(body.get("linkedin_connections")),
        picture_url=_text(body, "profile_pic_url"),
        experiences=tuple(_pdl_experience(i, row) for i, row in _rows(body.get("experience"))),
        educations=tuple(_pdl_education(i, row) for i, row in _rows(body.get("education"))),
    )


#: One extractor per recognised shape.
_EXTRACTORS: dict[Shape, Callable[[Row, str], ProfileRecord]] = {
    "clay": _clay_profile,
    "proxycurl": _proxycurl_profile,
    "pdl": _pdl_profile,
}


def extract_profile(raw: object, *, linkedin_url: str | None = None) -> ProfileRecord:
    """Extract a ProfileRecord from a raw payload; ``linkedin_url`` is the webhook's own URL.

    The payload may be wrapped (PDL's envelope, a lookup's ``{url, profile}``, a search
    response of one result: `pipeline.shapes.unwrapped`). Padded days become months
    (`_depadded`) and the person's place is spelled one way for every provider (`places`).

    Raises `UnknownShapeError` for an unrecognised payload and `InvalidPayloadError` when
    neither the webhook nor the payload gives a usable LinkedIn profile URL.
    """
    shape = detect_shape(raw)
    body, wrapper_url = unwrapped(raw)
    url = _profile_url(shape, body, linkedin_url, wrapper_url)
    return _depadded(_EXTRACTORS[shape](body, url))
