"""Pure rules behind the reference endpoints: taxonomy spellings, PDL mapping, lookup answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from pipeline import backfill, lookups
from pipeline.locations import classify_location
from pipeline.titles import classify_title
from schemas import canonical
from schemas.read_api import WorkflowRegistration
from schemas.reference_api import JobTitleUpdate, LocationUpdate, TickerItem
from tests.conftest import fixtures_dir


@pytest.mark.parametrize(
    ("given", "level"),
    [("vp", "VP"), ("Entry level", "Entry"), ("c-suite", "CXO"), ("OWNER", "Owner"), ("Mid", None)],
)
def test_canonical_seniority(given: str, level: str | None) -> None:
    assert canonical.canonical_seniority(given) == level


@pytest.mark.parametrize(
    ("given", "function"),
    [
        ("arts_and_design", "Arts and Design"),
        ("Support", "Customer Success and Support"),
        ("HR", "Human Resources"),
        ("customer success", "Customer Success and Support"),
        ("Growth Hacking", None),
    ],
)
def test_canonical_function(given: str, function: str | None) -> None:
    assert canonical.canonical_function(given) == function


def test_pdl_tables_map_onto_the_taxonomy_only() -> None:
    assert set(backfill.PDL_LEVELS.values()) == set(canonical.SENIORITY_LEVELS)
    mapped = set(backfill.PDL_ROLES.values()) | set(backfill.PDL_SUB_ROLES.values())
    assert mapped <= set(canonical.JOB_FUNCTIONS)


@pytest.mark.parametrize(
    ("levels", "role", "sub_role", "seniority", "function"),
    [
        (["owner", "cxo"], "operations", None, "Owner", "Operations"),  # highest level wins
        (["Senior"], "engineering", None, "Senior", "Engineering"),  # case-insensitive
        ([], "finance", "accounting", "Entry", "Accounting"),  # sub-role says more
        ([], None, None, None, None),  # PDL did not classify the title
        (["manager"], None, None, "Manager", None),
        (["unknown"], "no_such_role", None, "Entry", None),
    ],
)
def test_linkedin_from_pdl(
    levels: list[str], role: str | None, sub_role: str | None, seniority: Any, function: Any
) -> None:
    match = backfill.linkedin_from_pdl(levels, role, sub_role)
    assert (match.seniority_level, match.job_function) == (seniority, function)


def test_pdl_readings_of_the_title_fixtures_are_accepted() -> None:
    path = fixtures_dir() / "titles.json"
    if not path.exists():
        pytest.skip("titles.json is not available")
    items = json.loads(path.read_text())["items"]
    seniority = function = 0
    for item in items:
        match = backfill.linkedin_from_pdl(item["pdl_levels"], item["pdl_role"])
        seniority += match.seniority_level in item["accept_seniority"]
        function += match.job_function in item["accept_function"]
    assert seniority == len(items)
    # PDL files an executive assistant under "operations"; LinkedIn says Administrative.
    assert function >= len(items) - 1


def test_title_answer_hit_and_miss() -> None:
    row = {
        "cleaned_job_title": "Chief Operating Officer",
        "seniority_level": "CXO",
        "job_function": "Operations",
    }
    hit = lookups.title_answer("coo", row)
    assert hit["match_status"] is True and "suggestion" not in hit
    assert hit["cleaned_job_title"] == "Chief Operating Officer" and hit["job_title"] == "coo"
    miss = lookups.title_answer("coo", None)
    assert miss["match_status"] is False and miss["seniority_level"] is None
    assert miss["suggestion"] == classify_title("coo").model_dump()


def test_location_answer_hit_and_miss() -> None:
    hit = lookups.location_answer(
        "bay area", {"city": None, "state": "California", "country": "United States"}
    )
    assert (hit["has_city"], hit["has_state"], hit["has_country"]) == (False, True, True)
    miss = lookups.location_answer("Edinburgh, Scotland", None)
    assert miss["match_status"] is False and miss["city"] is None and not miss["has_city"]
    assert miss["suggestion"] == classify_location("Edinburgh, Scotland").model_dump()


@pytest.mark.parametrize(
    ("country", "code"), [("Germany", "DE"), ("UK", "GB"), ("Deutschland", "DE"), ("Narnia", None)]
)
def test_country_code_for_updates(country: str, code: str | None) -> None:
    assert lookups.country_code(country) == code


def test_update_changes_only_fields_sent() -> None:
    update = JobTitleUpdate.model_validate(
        {
            "latest_title": " CTO ",
            "cleaned_job_title": "CTO",
            "seniority_level": "cxo",
            "job_function": "",
            "unknown": 1,
        }
    )
    assert update.latest_title == "CTO"
    assert update.changes() == {"seniority_level": "CXO"}  # "" is an empty Clay cell
    assert LocationUpdate(location_name="x").changes() == {}
    assert WorkflowRegistration(workflow_slug="a-b", provider="p").changes() == {"provider": "p"}
    with pytest.raises(ValidationError):
        JobTitleUpdate(latest_title="x", cleaned_job_title="X", job_function="Juggling")


def test_ticker_item_normalises() -> None:
    item = TickerItem(domain="https://WWW.Acme.com/ir", ticker=" brk.b ")
    assert (item.domain, item.ticker) == ("acme.com", "BRK.B")
    with pytest.raises(ValidationError):
        TickerItem(domain="not a domain", ticker="X")
