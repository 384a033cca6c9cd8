"""Pure readers shared by the people workflows: profile URLs, member ids, names, jobs, dates.

Clay sends dates as ISO (`2026-03-03`, `2026-03-03T14:05:00Z`), as its display text
(`Mar 3, 2026 at 14:05`, `March 3, 2026`), as `MM-YYYY` (SalesNav's "Job started on") or
as `Mar 2026`; lists as JSON lists or comma-separated text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pipeline import dates, normalize
from pipeline.workflows import values as v
from pipeline.workflows.people_facts import JobFact, PersonFacts
from schemas import canonical
from schemas.records import PartialDate

#: A Sales Navigator member id (`ACwAAA…`, `ACoAAA…`): the id in URNs, lead and /in/ URLs.
_MEMBER_ID = re.compile(r"\b(AC[a-zA-Z0-9_-]{20,})")
_MONTH_NAMES = (
    "january february march april may june july august september october november december"
).split()
#: "Mar 3, 2026 at 14:05", "March 3 2026 14:05", "Mar 3, 2026", "3 Mar 2026".
_CLAY_DATETIME = re.compile(
    r"(?P<month>[a-z]{3,9})\.?\s+(?P<day>[0-9]{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>[0-9]{4})"
    r"(?:,?\s*(?:at\s+)?(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})\s*(?P<ampm>[ap]\.?m\.?)?)?",
    re.IGNORECASE,
)
#: "2/2/2026, 7:42 PM" (Clay's and Sales Navigator's export stamps: month first).
_US_DATETIME = re.compile(
    r"(?P<month>[0-9]{1,2})/(?P<day>[0-9]{1,2})/(?P<year>[0-9]{4}),?\s*"
    r"(?:(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})\s*(?P<ampm>[ap]\.?m\.?)?)?",
    re.IGNORECASE,
)
_MONTH_YEAR = re.compile(r"(?P<month>[0-9]{1,2})[-/.](?P<year>[0-9]{4})")


def profile_url(value: object) -> str | None:
    """A public LinkedIn profile URL, normalised; a member-id URL (`/in/ACwAA…`) is not one."""
    text = v.text(value)
    if text is None or member_id(text):
        return None
    return canonical.linkedin_url(text)


def member_id(value: object) -> str | None:
    """The Sales Navigator member id in a URN or URL (`urn:li:fs_salesProfile:(ACwAA…,…)`)."""
    text = v.text(value)
    if text is None:
        return None
    match = _MEMBER_ID.search(text)
    if match is None:
        return None
    if "linkedin.com" in text.lower() and "/in/" not in text and "/sales/" not in text:
        return None
    return match.group(1)


def first(payload: dict[str, Any], *keys: str) -> Any:
    """The first of these keys holding data (Clay's empty cells skipped)."""
    for key in keys:
        value = payload.get(key)
        if not v.absent(value):
            return value
    return None


def names(first_name: object, last_name: object, full_name: object) -> dict[str, str]:
    """Cleaned first, last and full names (each missing one derived from the others)."""
    first_, last_, full = normalize.person_name(
        v.text(first_name), v.text(last_name), v.text(full_name)
    )
    return v.compact({"first_name": first_, "last_name": last_, "full_name": full})


def clay_date(value: object) -> PartialDate | None:
    """A date as Clay sends it: ISO, `MM-YYYY`, `Mar 2026`, `Mar 3, 2026 at 14:05`."""
    if isinstance(value, PartialDate):
        return value
    if v.absent(value):
        return None
    text = str(value).strip()
    if match := _MONTH_YEAR.fullmatch(text):
        month, year = int(match.group("month")), int(match.group("year"))
        return dates.partial_date(f"{year:04d}-{month:02d}") if 1 <= month <= 12 else None
    if moment := _clay_datetime(text):
        return PartialDate(value=moment.date(), precision="day")
    if re.match(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]", text):
        text = text[:10]
    return dates.partial_date(text, clay=True)


def clay_timestamp(value: object) -> datetime | None:
    """A moment as Clay sends it: ISO or epoch (`dates.timestamp`), or its display text."""
    if v.absent(value):
        return None
    found = dates.timestamp(value)
    if found is not None:
        return found
    return _clay_datetime(str(value).strip())


def _clay_datetime(text: str) -> datetime | None:
    match = _CLAY_DATETIME.fullmatch(text) or _US_DATETIME.fullmatch(text)
    if match is None:
        return None
    name = match.group("month").lower()
    if name.isdigit():
        months = [int(name)] if 1 <= int(name) <= 12 else []
    else:
        months = [i for i, full in enumerate(_MONTH_NAMES, start=1) if full.startswith(name)]
    if not months:
        return None
    hour = int(match.group("hour") or 0)
    ampm = (match.group("ampm") or "").replace(".", "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        return datetime(
            int(match.group("year")),
            months[0],
            int(match.group("day")),
            hour,
            int(match.group("minute") or 0),
            tzinfo=UTC,
        )
    except ValueError:
        return None


def job(
    *,
    company_name: object = None,
    company_domain: object = None,
    company_linkedin_url: object = None,
    title: object = None,
    start: object = None,
    supersedes: str | None = None,
    current: bool = True,
) -> JobFact | None:
    """A job from its cells; None when it names neither a company nor a title."""
    fact = JobFact(
        company_name=v.text(company_name),
        company_domain=v.domain(company_domain),
        company_linkedin_url=v.company_linkedin_url(company_linkedin_url),
        title=v.text(title),
        start=clay_date(start),
        supersedes=supersedes,
        current=current,
    )
    if not (fact.company_name or fact.company_domain or fact.company_linkedin_url):
        return None
    return fact


def person(
    *,
    linkedin_url: str | None,
    salesnav_id: str | None = None,
    fields: dict[str, Any] | None = None,
    jobs: tuple[JobFact | None, ...] = (),
) -> PersonFacts:
    """A person's facts; empty texts dropped."""
    return PersonFacts(
        linkedin_url=linkedin_url,
        salesnav_id=salesnav_id,
        fields={k: val for k, val in v.compact(fields or {}).items() if isinstance(val, str)},
        jobs=tuple(j for j in jobs if j is not None),
    )
