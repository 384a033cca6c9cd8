"""Real public provider payloads (``tests/data/real_samples``, origins in its README).

Each sample goes through extraction, `derive_core` and the classifiers the way the service
runs them; the assertions are what a person reading the provider's payload would expect.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipeline.derive import derive_core
from pipeline.errors import UnknownShapeError
from pipeline.extract import extract_profile
from pipeline.locations import classify_location
from pipeline.sync import location_name
from pipeline.titles import classify_title
from schemas.records import CoreRecord, PartialDate, ProfileRecord

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "real_samples"


def load(name: str) -> Any:
    return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def run(name: str) -> tuple[ProfileRecord, CoreRecord]:
    profile = extract_profile(load(name))
    return profile, derive_core(profile)


def month(year: int, number: int) -> PartialDate:
    return PartialDate(value=date(year, number, 1), precision="month")


def year(number: int) -> PartialDate:
    return PartialDate(value=date(number, 1, 1), precision="year")


def test_every_sample_is_listed_in_the_readme() -> None:
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    files = sorted(path.name for path in SAMPLES.glob("*.json"))
    assert len(files) >= 8
    assert [name for name in files if f"`{name}`" not in readme] == []


def test_enrichlayer_lookup_is_unwrapped_and_its_padded_days_are_months() -> None:
    profile, core = run("enrichlayer_person_lookup_satyanadella")
    # The profile names itself; the wrapper's url (another person in the docs) is not used.
    assert profile.linkedin_url == "https://www.linkedin.com/in/satyanadella"
    assert (profile.shape, profile.full_name) == ("proxycurl", "Satya Nadella")
    assert (profile.city, profile.state, profile.country, profile.country_code) == (
        "Redmond",
        "Washington",
        "United States",
        "US",
    )
    microsoft, _, starbucks = profile.experiences
    assert microsoft.start == month(2014, 2)
    assert starbucks.end == month(2024, 12)
    booth = profile.educations[0]
    assert (booth.start, booth.end) == (year(1994), year(1996))
    assert core.current_titles == ("Chairman and CEO", "Member Board Of Trustees")
    assert core.tenure is not None and core.tenure.start == month(2018, 1)
    assert classify_title("Chairman and CEO").seniority_level == "CXO"


def test_proxycurl_padding_ends_to_the_first_is_still_padding() -> None:
    profile, core = run("proxycurl_eden_marco")
    assert profile.linkedin_url == "https://www.linkedin.com/in/eden-marco"
    assert (profile.country, profile.country_code, profile.city) == ("Israel", "IL", None)
    assert {d.precision for e in profile.experiences for d in (e.start, e.end) if d} == {"month"}
    orca = profile.experiences[2]
    assert (orca.start, orca.end) == (month(2020, 4), month(2022, 6))
    (technion,) = profile.educations
    assert (technion.start, technion.end) == (year(2015), year(2019))
    assert core.current_titles == ("Customer Engineer", "Independent Udemy Instructor")
    assert core.tenure is not None and core.tenure.start == month(2022, 6)
    assert core.tenure.start.precision == "month"
    places = [classify_location(e.location) for e in profile.experiences if e.location]
    assert {(p.city, p.country_code) for p in places} == {
        ("Tel Aviv", "IL"),
        ("Herzliya", "IL"),
    }


def test_proxycurl_month_end_days_become_the_first() -> None:
    profile, core = run("proxycurl_ubermoocher")
    assert (profile.first_name, profile.full_name) == ("Über", "Über Moocher, CPA, CISSP")
    assert (profile.city, profile.state, profile.country_code) == (
        "Washington",
        "District of Columbia",
        "US",
    )
    google, deloitte, tesla = profile.experiences
    assert google.start == month(2018, 11)
    assert deloitte.end == month(2018, 11)  # {day: 30, month: 11}
    assert tesla.end == month(2014, 3)  # {day: 31, month: 3}
    assert [(s.start, s.end) for s in profile.educations] == [
        (year(2012), year(2014)),
        (year(2008), year(2012)),
    ]
    assert core.current_titles == ("Lead RPA Engineer",)
    title = classify_title(core.current_titles[0])
    assert (title.seniority_level, title.job_function) == ("Senior", "Engineering")


def test_pdl_real_days_keep_day_precision_and_places_get_their_case() -> None:
    profile, core = run("pdl_example_person_record")
    assert profile.linkedin_url == "https://www.linkedin.com/in/sr49"
    assert (profile.full_name or "").casefold() == "sarah richard"
    assert (profile.city, profile.state, profile.country, profile.country_code) == (
        "Changchester",
        "Ontario",
        "Canada",
        "CA",
    )
    first = profile.experiences[0]
    assert first.start == PartialDate(value=date(2019, 11, 24), precision="day")
    assert first.end == PartialDate(value=date(2021, 9, 9), precision="day")
    assert core.current_titles == () and core.tenure is None
    assert len(core.past_employers) == 4


@pytest.mark.parametrize(
    ("name", "url", "country", "current", "place"),
    [
        (
            "clay_lee_o_toole",
            "https://www.linkedin.com/in/lee-o-toole-5547405",
            ("United Kingdom", "GB"),
            ("Senior Talent Acquisition Specialist", "Sr. Talent Attraction Partner"),
            ("Northwich", "England", "GB"),
        ),
        (
            "clay_kallie_legault",
            "https://www.linkedin.com/in/kallielegault",
            ("United States", "US"),
            ("Principal Recruiter, GTM",),
            ("Seattle", "Washington", "US"),
        ),
        (
            "clay_katie_o_brien",
            "https://www.linkedin.com/in/katie-o-brien-recruiter",
            ("Ireland", "IE"),
            ("GTM Recruiter",),
            ("Dublin", "County Dublin", "IE"),
        ),
    ],
)
def test_clay_samples(
    name: str,
    url: str,
    country: tuple[str, str],
    current: tuple[str, ...],
    place: tuple[str, str, str],
) -> None:
    raw = load(name)
    profile, core = run(name)
    assert (profile.linkedin_url, profile.shape) == (url, "clay")
    assert len(profile.experiences) == len(raw["experience"])
    assert len(profile.educations) == len(raw["education"])
    assert (profile.country, profile.country_code) == country
    assert core.current_titles == current
    assert core.tenure is not None and core.tenure.start is not None
    assert core.tenure.start.precision == "unknown"  # Clay pads every date (fixture contract)
    found = classify_location(location_name(profile))
    assert (found.city, found.state, found.country_code) == place
    assert classify_title(core.current_titles[0]).job_function == "Human Resources"


def test_clay_job_locations_written_as_linkedin_metros_resolve_to_cities() -> None:
    localities = {
        row["locality"]
        for name in ("clay_lee_o_toole", "clay_kallie_legault", "clay_katie_o_brien")
        for row in load(name)["experience"]
        if row["locality"]
    }
    found = {text: classify_location(text) for text in localities}
    assert (found["London Area, United Kingdom"].city, found["Greater Seattle Area"].city) == (
        "London",
        "Seattle",
    )
    assert found["Vancouver, Canada Area"].city == "Vancouver"
    assert found["Remote"].country is None


def test_lower_case_clay_titles_are_cleaned_to_title_case() -> None:
    titles = {row["title"] for row in load("clay_lee_o_toole")["experience"]}
    assert {"senior consultant", "snr consultant"} <= titles
    assert classify_title("senior consultant").cleaned_job_title == "Senior Consultant"
    assert classify_title("snr consultant").cleaned_job_title == "Senior Consultant"


def test_an_apollo_row_is_refused_by_its_keys_and_a_list_of_rows_by_its_wrapper() -> None:
    row = load("apollo_export_row")
    with pytest.raises(UnknownShapeError, match="keys seen"):
        extract_profile(row, linkedin_url=row["LinkedIn Link"])
    with pytest.raises(UnknownShapeError, match="holding 2 results"):
        extract_profile([row, row])


@pytest.mark.parametrize("name", ["proxycurl_eden_marco", "pdl_example_person_record"])
def test_samples_wrapped_in_a_search_response_extract_alike(name: str) -> None:
    bare = extract_profile(load(name))
    search = {"results": [{"linkedin_profile_url": bare.linkedin_url, "profile": load(name)}]}
    assert extract_profile(search) == bare
    assert extract_profile({"hits": {"hits": [{"_source": load(name)}], "total": 1}}) == bare
