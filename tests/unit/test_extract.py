"""Tests for `pipeline.extract`: shape detection, extraction, and the fixture contract.

The fixture tests run every item of ``shared/fixtures/expected.json`` through
`extract_profile` and `derive_core` and check every field that item lists.
"""

from __future__ import annotations

import copy
import json
import unicodedata
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import pytest

from pipeline.derive import derive_core
from pipeline.errors import InvalidPayloadError, PermanentError, UnknownShapeError
from pipeline.extract import detect_shape, extract_profile
from schemas import canonical
from schemas.records import CoreRecord, ProfileRecord
from tests.conftest import MISSING_FIXTURES, fixture_params, shared_fixtures

FIXTURES = shared_fixtures("expected.json")


def _load(name: str) -> Any:
    assert FIXTURES is not None
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@cache
def _webhook(file: str) -> dict[str, Any]:
    body: dict[str, Any] = _load(f"payloads/{file}")
    return body


@cache
def _extracted(file: str) -> tuple[ProfileRecord, CoreRecord]:
    body = _webhook(file)
    profile = extract_profile(body["raw_payload"], linkedin_url=body["linkedin_url"])
    return profile, derive_core(profile)


def _accent_fold(text: str | None) -> str | None:
    """Case- and accent-insensitive form, as expected.json's location rule asks."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


#: Every key an expected.json item may carry; ``checks`` is prose for humans.
CHECKED_KEYS = {
    "file",
    "shape",
    "linkedin_url",
    "linkedin_url_equivalents",
    "full_name",
    "name_compare",
    "first_name",
    "last_name",
    "experience_count",
    "distinct_company_count",
    "distinct_company_keys",
    "current_titles",
    "latest_current_start_date",
    "latest_current_start_precision",
    "past_employers",
    "education_count",
    "location",
    "connections",
    "has_picture",
    "headline",
    "checks",
}
ITEMS = fixture_params("expected.json", id_key="file")


@pytest.mark.parametrize("item", ITEMS)
def test_fixture_items_carry_only_fields_this_suite_checks(item: dict[str, Any]) -> None:
    assert set(item) <= CHECKED_KEYS, f"unchecked expected.json fields: {set(item) - CHECKED_KEYS}"


@pytest.mark.skipif(FIXTURES is None, reason=MISSING_FIXTURES)
def test_every_payload_has_an_expected_item() -> None:
    assert FIXTURES is not None
    files = {path.name for path in (FIXTURES / "payloads").glob("*.json")}
    assert files == {item["file"] for item in _load("expected.json")["items"]}


@pytest.mark.parametrize("item", ITEMS)
def test_fixture_shape(item: dict[str, Any]) -> None:
    profile, _ = _extracted(item["file"])
    assert detect_shape(_webhook(item["file"])["raw_payload"]) == item["shape"]
    assert profile.shape == item["shape"]


@pytest.mark.parametrize("item", ITEMS)
def test_fixture_linkedin_url(item: dict[str, Any]) -> None:
    profile, core = _extracted(item["file"])
    assert profile.linkedin_url == item["linkedin_url"]
    assert core.linkedin_url == item["linkedin_url"]
    assert profile.slug == item["linkedin_url"].rsplit("/", 1)[1]
    for spelling in item["linkedin_url_equivalents"]:
        assert canonical.linkedin_url(spelling) == item["linkedin_url"]


@pytest.mark.parametrize("item", ITEMS)
def test_fixture_payload_url_alone_gives_the_same_key(item: dict[str, Any]) -> None:
    profile = extract_profile(_webhook(item["file"])["raw_payload"])
    assert profile.linkedin_url == item["linkedin_url"]


@pytest.mark.parametrize("item", ITEMS)
def test_fixture_names(item: dict[str, Any]) -> None:
    profile, core = _extracted(item["file"])
    fold = str.casefold if item["name_compare"] == "casefold" else str
    for field in ("full_name", "first_name", "last_name"):
        actual = getattr(profile, field)
        assert actual is not None
        assert fold(actual) == fold(item[field]), field
    assert core.full_name == profile.full_name


@pytest.mark.parametrize("item", ITEMS)
def test_fixture_counts(item: dict[str, Any]) -> None:
    profile, core = _extracted(item["file"])
    assert len(profile.experiences) == item["experience_count"]
    assert len(core.work_history) == item["experience_count"]
    assert len(profile.educations) == item["education_count"]
    assert [row.position for row in profile.experiences] == list(range(item["experience_count"]))


@pytest.mark.parametrize("item", ITEMS)
def test_fixture_companies(item: dict[str, Any]) -> None:
    _, core = _extracted(item["file"])
    keys = [company.company_key for company in core.companies]
    assert len(keys) == item["distinct_company_count"]
    assert keys == item["distinct_company_keys"]


@pytest.mark.parametrize("item", ITEMS)
def test_fixture_current_titles(item: dict[str, Any]) -> None:
    _, core = _extracted(item["file"])
    assert list(core.current_titles) == item["current_titles"]


@pytest.mark.parametrize("item", ITEMS)
def test_fixture_latest_current_start(item: dict[str, Any]) -> None:
    _, core = _extracted(item["file"])
    start = core.tenure.start if core.tenure else None
    assert (start.value.isoformat() if start else None) == item["latest_current_start_date"]
    assert (start.precision if start else None) == item["latest_current_start_precision"]


@pytest.mark.parametrize("item", ITEMS)
def test_fixture_past_employers(item: dict[str, Any]) -> None:
    _, core = _extracted(item["file"])
    actual = [
        {"name": past.company_name, "domain": past.company_domain, "aliases": list(past.aliases)}
        for past in core.past_employers
    ]
    assert actual == item["past_employers"]


@pytest.mark.parametrize("item", ITEMS)
def test_fixture_location(item: dict[str, Any]) -> None:
    profile, _ = _extracted(item["file"])
    expected = item["location"]
    # Clay gives only location_name + country; city/state are left to the classifier.
    fields = ("country",) if profile.shape == "clay" else ("city", "state", "country")
    for field in fields:
        allowed = [expected[field], *expected["accept"].get(field, [])]
        assert _accent_fold(getattr(profile, field)) in map(_accent_fold, allowed), field
    if profile.shape == "clay":
        assert (profile.city, profile.state) == (None, None)
        assert profile.location_name is not None
    if profile.shape == "proxycurl":
        assert profile.country_code == expected["country_code"]


@pytest.mark.parametrize("item", ITEMS)
def test_fixture_profile_details(item: dict[str, Any]) -> None:
    profile, _ = _extracted(item["file"])
    assert profile.connections == item["connections"]
    if "has_picture" in item:
        assert (profile.picture_url is not None) is item["has_picture"]
    if "headline" in item:
        assert profile.headline == item["headline"]


@pytest.mark.parametrize("item", ITEMS)
def test_fixture_extraction_is_deterministic(item: dict[str, Any]) -> None:
    body = _webhook(item["file"])
    raw = copy.deepcopy(body["raw_payload"])
    first = extract_profile(raw, linkedin_url=body["linkedin_url"])
    assert raw == body["raw_payload"], "extraction must not mutate the payload"
    assert extract_profile(raw, linkedin_url=first.linkedin_url) == first


@pytest.mark.skipif(FIXTURES is None, reason=MISSING_FIXTURES)
def test_clay_refresh_time_is_read_as_utc() -> None:
    profile, _ = _extracted("clay_a.json")
    assert profile.refreshed_at == datetime(2026, 2, 17, 8, 41, 52, 604000, tzinfo=UTC)


@pytest.mark.skipif(FIXTURES is None, reason=MISSING_FIXTURES)
def test_clay_present_end_is_stored_as_null() -> None:
    profile, _ = _extracted("clay_a.json")
    current = profile.experiences[0]
    assert current.is_current and current.end is None
    assert current.start is not None and current.start.precision == "unknown"


@pytest.mark.skipif(FIXTURES is None, reason=MISSING_FIXTURES)
def test_pdl_title_object_fields() -> None:
    profile, _ = _extracted("pdl_a.json")
    row = profile.experiences[1]
    assert (row.title, row.title_role, row.title_sub_role) == (
        "general manager, fulfilment",
        "operations",
        "logistics",
    )
    assert row.title_levels == ("manager",)
    assert row.company_linkedin_url == "https://www.linkedin.com/company/tallisferry"


@pytest.mark.skipif(FIXTURES is None, reason=MISSING_FIXTURES)
def test_partly_dated_education_is_kept() -> None:
    profile, _ = _extracted("proxycurl_b.json")
    school = profile.educations[1]
    assert school.start is None
    assert school.end is not None and (school.end.value, school.end.precision) == (
        date(2006, 1, 1),
        "year",
    )
    pdl, _ = _extracted("pdl_a.json")
    assert (pdl.educations[0].degree, pdl.educations[0].field_of_study) == ("bachelors", "business")


# --- synthetic payloads: shapes and rules wider than the fixtures ------------------------


def clay(**overrides: Any) -> dict[str, Any]:
    """A minimal Clay enrich-person payload."""
    body: dict[str, Any] = {
        "url": "https://www.linkedin.com/in/jane-doe",
        "slug": "jane-doe",
        "name": "Jane Doe",
        "first_name": "Jane",
        "last_name": "Doe",
        "last_refresh": "2026-01-02T03:04:05Z",
        "experience": [
            {
                "title": "CTO",
                "company": "Acme",
                "company_domain": "acme.com",
                "is_current": True,
                "start_date": "2020-01-01",
                "end_date": None,
            }
        ],
        "education": [],
    }
    return body | overrides


def proxycurl(**overrides: Any) -> dict[str, Any]:
    """A minimal Proxycurl profile."""
    body: dict[str, Any] = {
        "public_identifier": "jane-doe",
        "full_name": "Jane Doe",
        "country": "gb",
        "country_full_name": "United Kingdom",
        "city": "London",
        "state": "England",
        "experiences": [
            {
                "company": "Acme",
                "title": "CTO",
                "starts_at": {"day": None, "month": 3, "year": 2020},
                "ends_at": None,
            }
        ],
        "education": [],
    }
    return body | overrides


def pdl(**overrides: Any) -> dict[str, Any]:
    """A minimal People Data Labs person."""
    body: dict[str, Any] = {
        "full_name": "jane doe",
        "linkedin_url": "linkedin.com/in/jane-doe",
        "linkedin_username": "jane-doe",
        "location_locality": "london",
        "experience": [
            {
                "company": {"name": "acme", "website": "acme.com"},
                "title": {"name": "cto", "levels": ["cxo"], "role": "engineering"},
                "start_date": "2020",
                "end_date": None,
            }
        ],
    }
    return body | overrides


@pytest.mark.parametrize(
    ("raw", "shape"),
    [
        (clay(), "clay"),
        (clay(experience=[]), "clay"),
        (clay(experience=None, education=None), "clay"),
        (proxycurl(), "proxycurl"),
        (proxycurl(experiences=[]), "proxycurl"),
        (pdl(), "pdl"),
        ({"status": 200, "likelihood": 6, "data": pdl()}, "pdl"),
        ({"likelihood": 6, "data": pdl(experience=[])}, "pdl"),
        ({"status": 200, "likelihood": 5, "data": [pdl()]}, "pdl"),  # a search of one result
    ],
)
def test_detect_shape(raw: dict[str, Any], shape: str) -> None:
    assert detect_shape(raw) == shape


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"foo": 1, "bar": [1, 2]},
        {"name": "Jane Doe", "experience": []},
        {"status": 404, "error": {"type": "not_found", "message": "No records were found"}},
        # One marker of each shape: too little to tell them apart.
        {"slug": "x", "public_identifier": "x", "linkedin_username": "x"},
        # Equally strong evidence for two shapes is ambiguous, not a guess.
        {"slug": "x", "last_refresh": "x", "public_identifier": "x", "occupation": "x"},
    ],
)
def test_unknown_shapes_are_refused_with_the_keys_seen(raw: dict[str, Any]) -> None:
    with pytest.raises(UnknownShapeError) as caught:
        extract_profile(raw, linkedin_url="https://www.linkedin.com/in/jane-doe")
    assert isinstance(caught.value, PermanentError)
    message = str(caught.value)
    assert "keys seen" in message
    for key in raw:
        assert key in message


@pytest.mark.parametrize("raw", ["text", None, 42])
def test_non_object_payloads_are_unknown_shapes(raw: Any) -> None:
    with pytest.raises(UnknownShapeError, match="not a JSON object"):
        detect_shape(raw)


@pytest.mark.parametrize(
    "raw",
    [
        clay(url=None, slug=None),
        clay(url="https://www.linkedin.com/company/acme", slug="has space"),
        proxycurl(public_identifier=None),
        pdl(linkedin_url=None, linkedin_username=None),
    ],
)
@pytest.mark.parametrize("webhook_url", [None, "", "not a url", "https://example.com/in/x"])
def test_missing_profile_url_is_an_invalid_payload(raw: dict[str, Any], webhook_url: Any) -> None:
    with pytest.raises(InvalidPayloadError, match="linkedin_url") as caught:
        extract_profile(raw, linkedin_url=webhook_url)
    assert isinstance(caught.value, PermanentError)


def test_webhook_url_wins_when_usable() -> None:
    profile = extract_profile(clay(), linkedin_url="uk.linkedin.com/in/Jane-Doe-2/")
    assert profile.linkedin_url == "https://www.linkedin.com/in/jane-doe-2"
    assert profile.slug == "jane-doe-2"


def test_unusable_webhook_url_falls_back_to_the_payload() -> None:
    profile = extract_profile(clay(), linkedin_url="https://www.linkedin.com/company/acme")
    assert profile.linkedin_url == "https://www.linkedin.com/in/jane-doe"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (clay(url=None), "jane-doe"),
        (proxycurl(public_identifier="Jane-Doe"), "jane-doe"),
        (proxycurl(linkedin_profile_url="https://www.linkedin.com/in/other/"), "other"),
        (pdl(linkedin_url=None), "jane-doe"),
        (
            pdl(
                linkedin_url=None,
                linkedin_username=None,
                profiles=[
                    {"network": "twitter", "url": "twitter.com/jane"},
                    {"network": "linkedin", "url": "linkedin.com/in/jane-p"},
                ],
            ),
            "jane-p",
        ),
    ],
)
def test_payload_url_sources(raw: dict[str, Any], expected: str) -> None:
    assert extract_profile(raw).slug == expected


def test_clay_latest_experience_is_never_a_current_job() -> None:
    ended = {"title": "SRE", "company": "Old", "is_current": False, "end_date": "2024-01-01"}
    raw = clay(experience=[ended], latest_experience=ended, current_experience=[])
    profile = extract_profile(raw)
    assert len(profile.experiences) == 1
    assert not profile.experiences[0].is_current
    raw = clay(experience=[], latest_experience=ended | {"is_current": True})
    assert extract_profile(raw).experiences == ()


@pytest.mark.parametrize(
    ("row", "current"),
    [
        ({"is_current": True, "end_date": None}, True),
        ({"is_current": True, "end_date": "Present"}, True),
        ({"is_current": False, "end_date": None}, False),
        ({"end_date": "Present"}, True),
        ({"end_date": None}, False),
        ({"end_date": "2020-01-01"}, False),
    ],
)
def test_clay_current_rule(row: dict[str, Any], current: bool) -> None:
    profile = extract_profile(clay(experience=[{"title": "X", "company": "Acme"} | row]))
    assert profile.experiences[0].is_current is current


@pytest.mark.parametrize(
    ("ends_at", "current"),
    [
        (None, True),
        ({"day": None, "month": None, "year": None}, True),
        ({"day": None, "month": None, "year": 2016}, False),
    ],
)
def test_proxycurl_current_rule(ends_at: Any, current: bool) -> None:
    row = {"company": "Acme", "title": "CTO", "starts_at": {"year": 2015}, "ends_at": ends_at}
    assert extract_profile(proxycurl(experiences=[row])).experiences[0].is_current is current


def test_pdl_current_rule_ignores_is_primary() -> None:
    company = {"name": "acme", "website": "acme.com"}
    rows = [
        {"company": company, "title": {"name": "cto"}, "end_date": None, "is_primary": True},
        {"company": company, "title": {"name": "advisor"}, "end_date": None, "is_primary": False},
        {"company": company, "title": {"name": "dev"}, "end_date": "2019-02", "is_primary": True},
    ]
    profile = extract_profile(pdl(experience=rows))
    assert [row.is_current for row in profile.experiences] == [True, True, False]


def test_rows_that_are_not_objects_are_skipped_but_positions_kept() -> None:
    rows = [None, {"title": "A", "company": "Acme", "is_current": True}, "junk"]
    profile = extract_profile(clay(experience=rows))
    assert [row.position for row in profile.experiences] == [1]


def test_proxycurl_location_and_country_code() -> None:
    profile = extract_profile(proxycurl())
    assert (profile.city, profile.state, profile.country) == ("London", "England", "United Kingdom")
    assert profile.country_code == "GB"
    assert profile.location_name == "London, England, United Kingdom"
    # The code is always ISO alpha-2, read from the name when the code field is not one.
    assert extract_profile(proxycurl(country="Britain")).country_code == "GB"
    assert extract_profile(proxycurl(country="UK")).country_code == "GB"


def test_pdl_old_style_string_title_and_school() -> None:
    row = {"company": {"name": "acme"}, "title": "cto", "start_date": "2019-05", "end_date": None}
    school = {"school": "eton", "degrees": "a-levels", "majors": [" maths ", "", None]}
    profile = extract_profile(pdl(experience=[row], education=[school]))
    assert profile.experiences[0].title == "cto"
    assert profile.experiences[0].company_key == "name:acme"
    assert profile.educations[0].school_name == "eton"
    assert (profile.educations[0].degree, profile.educations[0].field_of_study) == (
        "a-levels",
        "maths",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [(512, 512), ("500+", 500), ("1,204", 1204), (-1, None), (True, None), ("many", None)],
)
def test_connections(value: Any, expected: int | None) -> None:
    assert extract_profile(clay(connections=value)).connections == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-02-17 08:41:52.604", datetime(2026, 2, 17, 8, 41, 52, 604000, tzinfo=UTC)),
        ("2026-02-17T09:41:52+01:00", datetime(2026, 2, 17, 8, 41, 52, tzinfo=UTC)),
        (1771317712, datetime(2026, 2, 17, 8, 41, 52, tzinfo=UTC)),
        ("garbage", None),
        (None, None),
    ],
)
def test_clay_refresh_formats(value: Any, expected: datetime | None) -> None:
    assert extract_profile(clay(last_refresh=value)).refreshed_at == expected


def test_wrong_types_in_fields_do_not_break_extraction() -> None:
    row = {
        "title": 42,
        "company": ["x"],
        "company_domain": 7,
        "is_current": "yes",
        "start_date": {"year": "twenty"},
        "end_date": 3.5,
        "url": {"x": 1},
    }
    raw = clay(name=None, first_name=5, headline=["x"], experience=[row], education="none")
    profile = extract_profile(raw)
    only = profile.experiences[0]
    assert (only.title, only.company_name, only.company_key, only.start) == (None, None, None, None)
    assert profile.educations == ()
    assert (profile.full_name, profile.headline) == ("Doe", None)
