"""Issue 17: one truth whatever the provider (padded dates, countries, wrappers, keys).

Each class has its rule tested here on small payloads built like the providers' own; the
real public samples in ``tests/data/real_samples`` are tested in ``test_real_samples.py``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from pipeline import dates, normalize
from pipeline.derive import derive_core
from pipeline.errors import UnknownShapeError
from pipeline.extract import extract_profile
from pipeline.places import country, provider_place
from pipeline.shapes import unwrapped
from pipeline.titles import classify_title, clean_title, title_case
from schemas import canonical
from schemas.records import PartialDate

URL = "https://www.linkedin.com/in/jane-doe"


def _ymd(year: int | None, month: int | None = None, day: int | None = None) -> dict[str, Any]:
    return {"year": year, "month": month, "day": day}


def proxycurl(**overrides: Any) -> dict[str, Any]:
    """A Proxycurl profile that pads: starts on the 1st, ends on a month's last day."""
    body: dict[str, Any] = {
        "public_identifier": "jane-doe",
        "full_name": "Jane Doe",
        "country": "US",
        "country_full_name": "United States of America",
        "city": "seattle",
        "state": "washington",
        "occupation": "CTO at Acme",
        "experiences": [
            {"starts_at": _ymd(2023, 9, 1), "ends_at": None, "company": "Acme", "title": "CTO"},
            {
                "starts_at": _ymd(2019, 1, 1),
                "ends_at": _ymd(2023, 8, 31),
                "company": "Initech",
                "title": "Engineer",
            },
        ],
        "education": [
            {"starts_at": _ymd(2010, 1, 1), "ends_at": _ymd(2014, 12, 31), "school": "MIT"},
        ],
    }
    return body | overrides


def pdl(**overrides: Any) -> dict[str, Any]:
    """A People Data Labs person: lower-case places, ``YYYY-MM-DD`` dates."""
    body: dict[str, Any] = {
        "full_name": "jane doe",
        "linkedin_url": "linkedin.com/in/jane-doe",
        "linkedin_username": "jane-doe",
        "job_title_role": "engineering",
        "location_locality": "sao paulo",
        "location_region": "sao paulo",
        "location_country": "brazil",
        "experience": [
            {
                "company": {"name": "acme", "website": "acme.com"},
                "title": {"name": "cto"},
                "start_date": "2022-03-01",
                "end_date": None,
            },
            {
                "company": {"name": "initech"},
                "title": {"name": "engineer"},
                "start_date": "2018-01-01",
                "end_date": "2022-02-28",
            },
        ],
    }
    return body | overrides


# 1. Padded dates are not days ----------------------------------------------------------


def test_padded_proxycurl_days_are_months_and_tenure_says_month() -> None:
    profile = extract_profile(proxycurl())
    current, past = profile.experiences
    assert current.start == PartialDate(value=date(2023, 9, 1), precision="month")
    assert past.end == PartialDate(value=date(2023, 8, 1), precision="month")
    tenure = derive_core(profile).tenure
    assert tenure is not None and tenure.start is not None
    assert tenure.start.precision == "month"


def test_a_school_padded_to_whole_years_has_year_precision() -> None:
    (school,) = extract_profile(proxycurl()).educations
    assert school.start == PartialDate(value=date(2010, 1, 1), precision="year")
    assert school.end == PartialDate(value=date(2014, 1, 1), precision="year")


def test_padded_pdl_days_are_months() -> None:
    current, past = extract_profile(pdl()).experiences
    assert current.start == PartialDate(value=date(2022, 3, 1), precision="month")
    assert past.end == PartialDate(value=date(2022, 2, 1), precision="month")


def test_one_real_day_shows_the_provider_knows_days() -> None:
    rows = proxycurl()["experiences"]
    rows[1] = rows[1] | {"starts_at": _ymd(2019, 1, 14)}
    current, past = extract_profile(proxycurl(experiences=rows)).experiences
    assert current.start is not None and current.start.precision == "day"
    assert past.end == PartialDate(value=date(2023, 8, 31), precision="day")


def test_padded_and_month_only_dates_are_stored_alike() -> None:
    rows = proxycurl()["experiences"]
    month_only = [r | {"starts_at": r["starts_at"] | {"day": None}} for r in rows]
    for row in month_only:
        if row["ends_at"]:
            row["ends_at"] = row["ends_at"] | {"day": None}
    padded = extract_profile(proxycurl()).experiences
    plain = extract_profile(proxycurl(experiences=month_only)).experiences
    assert [(r.start, r.end) for r in padded] == [(r.start, r.end) for r in plain]


@pytest.mark.parametrize(
    ("starts", "ends", "pads"),
    [
        ([date(2020, 3, 1)], [date(2021, 2, 28)], True),
        ([date(2020, 3, 1)], [date(2021, 2, 1)], True),  # Clay-like: ends on the 1st too
        ([date(2020, 3, 1)], [date(2021, 2, 27)], False),
        ([date(2020, 3, 2)], [], False),
        ([], [], False),
    ],
)
def test_pads_days(starts: list[date], ends: list[date], pads: bool) -> None:
    def day(value: date) -> PartialDate:
        return PartialDate(value=value, precision="day")

    assert dates.pads_days(map(day, starts), map(day, ends)) is pads


def test_extraction_is_a_fixed_point() -> None:
    """Extracting the same payload twice gives the same record (re-ingest converges)."""
    assert extract_profile(proxycurl()) == extract_profile(proxycurl())
    assert derive_core(extract_profile(pdl())) == derive_core(extract_profile(pdl()))


# 2. Countries, cities and states ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code", "expected"),
    [
        ("United States of America", "US", ("United States", "US")),
        ("united states", None, ("United States", "US")),
        ("USA", None, ("United States", "US")),
        (None, "UK", ("United Kingdom", "GB")),
        ("United Kingdom", "uk", ("United Kingdom", "GB")),
        ("Deutschland", None, ("Germany", "DE")),
        ("Atlantis", None, ("Atlantis", None)),
    ],
)
def test_one_country_name_and_alpha2_code_per_country(
    name: str | None, code: str | None, expected: tuple[str | None, str | None]
) -> None:
    assert country(name, code) == expected


def test_every_provider_spells_the_same_place_alike() -> None:
    pc = extract_profile(proxycurl())
    pd = extract_profile(pdl(location_locality="seattle", location_region="washington"))
    pd_us = pd.model_copy(update={"country": None})
    assert (pc.city, pc.state, pc.country, pc.country_code) == (
        "Seattle",
        "Washington",
        "United States",
        "US",
    )
    assert (pd_us.city, pd_us.state) == (pc.city, pc.state)
    brazil = extract_profile(pdl())
    assert (brazil.city, brazil.state, brazil.country, brazil.country_code) == (
        "São Paulo",
        "São Paulo",
        "Brazil",
        "BR",
    )


def test_a_provider_city_that_is_a_metro_area_is_its_city() -> None:
    place = provider_place("Atlanta Metropolitan Area", None, "United States of America", "US")
    assert (place.city, place.country_code) == ("Atlanta", "US")
    assert provider_place("rio de janeiro", None, "brazil", None).city == "Rio de Janeiro"


def test_clay_country_gets_its_code() -> None:
    from tests.unit.test_extract import clay

    profile = extract_profile(clay(country="United States of America"))
    assert (profile.country, profile.country_code) == ("United States", "US")


# 3. Wrapped responses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "wrap",
    [
        lambda p: {"url": URL, "profile": p, "last_updated": "2023-10-26T11:34:30Z"},
        lambda p: {"linkedin_profile_url": URL, "profile": p, "last_updated": None},
        lambda p: {"results": [{"linkedin_profile_url": URL, "profile": p}], "next_page": None},
        lambda p: [p],
        lambda p: [{"status": 200, "likelihood": 9, "data": p}],
        lambda p: {"status": 200, "data": [p], "total": 1},
    ],
)
def test_wrapped_profiles_are_unwrapped(wrap: Any) -> None:
    assert extract_profile(wrap(proxycurl())) == extract_profile(proxycurl())


def test_the_wrapper_url_serves_when_the_profile_has_none() -> None:
    bare = proxycurl()
    del bare["public_identifier"]
    profile = extract_profile({"url": "https://linkedin.com/in/Jane-Doe/", "profile": bare})
    assert profile.linkedin_url == URL
    assert unwrapped({"url": URL, "profile": bare}).wrapper_url == URL


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"results": [proxycurl(), proxycurl()], "next_page": None}, "results"),
        ({"results": [], "total_result_count": 0}, "results"),
        ([proxycurl(), proxycurl()], "list of 2"),
        ([], "list of 0"),
        ({"url": URL, "profile": None}, "profile"),
        ({"status": 200, "data": [pdl(), pdl()], "total": 2}, "data"),
    ],
)
def test_wrappers_without_one_profile_are_refused_by_name(raw: Any, named: str) -> None:
    with pytest.raises(UnknownShapeError, match="wrapper") as caught:
        extract_profile(raw)
    assert named in str(caught.value)


# 5. Unicode keys --------------------------------------------------------------------------


def test_keys_compare_after_nfkc() -> None:
    assert canonical.domain("ａｃｍｅ.com") == canonical.domain("acme.com") == "acme.com"
    assert normalize.email("ｊａｎｅ＠ａｃｍｅ.com") == "jane@acme.com"
    assert canonical.linkedin_url("linkedin.com/in/ｊａｎｅ－ｄｏｅ") == URL
    assert canonical.linkedin_slug("https://www.linkedin.com/in/jane-doe") == "jane-doe"
    assert canonical.company_linkedin_url("linkedin.com/company/ａｃｍｅ") == (
        "https://www.linkedin.com/company/acme"
    )
    assert normalize.company_key("ａｃｍｅ.com", None) == "acme.com"


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("research scientist and manager", "Research Scientist and Manager"),
        ("vp of sales", "Vice President of Sales"),
        ("co-founder & ceo", "Co-Founder & CEO"),
        ("head of r&d", "Head of R&D"),
        ("it manager", "IT Manager"),
        ("senior software engineer ii", "Senior Software Engineer II"),
        ("ios developer", "iOS Developer"),
        ("gerente de proyectos", "Gerente de Proyectos"),
        ("Research scientist", "Research scientist"),  # written with a capital: kept
        ("SR SOFTWARE ENGINEER", "SENIOR SOFTWARE ENGINEER"),
    ],
)
def test_lower_case_titles_come_out_title_case(raw: str, cleaned: str) -> None:
    assert clean_title(raw) == cleaned
    assert title_case(cleaned) == cleaned  # idempotent


# 6. Titles as LinkedIn writes them ------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "seniority", "function"),
    [
        ("Managing Partner, Corporate Law", "Partner", "Legal"),
        ("Associate, Corporate Law", "Entry", "Legal"),
        ("Partner, Litigation", "Partner", "Legal"),
        ("Senior Manager, Tax", "Manager", "Accounting"),
        ("Intern, Finance", "Training", "Finance"),
        ("Account Executive, Healthcare", "Entry", "Sales"),  # a tier-1 head keeps its field
        ("Software Engineer, Payments", "Entry", "Engineering"),
        ("Summer Analyst", "Training", "Finance"),
        ("Investment Banking Summer Analyst", "Training", "Finance"),
        ("Summer Associate", "Training", "Legal"),
        ("Summer Law Clerk", "Training", "Legal"),
        ("Summer Intern - Human Resources", "Training", "Human Resources"),
        ("Engineering Summer Intern", "Training", "Engineering"),
        ("Marketing Intern", "Training", "Marketing"),
        ("Law Enforcement Officer", "Entry", "Military and Protective Services"),
    ],
)
def test_departments_and_internships_name_the_function(
    title: str, seniority: str, function: str
) -> None:
    match = classify_title(title)
    assert (match.seniority_level, match.job_function) == (seniority, function)
