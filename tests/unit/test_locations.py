"""Tests for `pipeline.locations`: free-text locations → city, state, country, country code.

Every item of the shared ``locations.json`` (hard ones included) must pass under its accept
rules; the hand-labelled ``tests/data/locations_extra.json`` must stay above a floor.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import pytest

from pipeline.fold import fold
from pipeline.locations import classify_location
from schemas.records import LocationMatch
from tests.conftest import fixture_params

DATA = Path(__file__).resolve().parents[1] / "data"
FIELDS = ("city", "state", "country", "country_code")


def accepted(value: str | None, item: dict[str, Any], field: str) -> bool:
    """The fixture rule: primary or accepted value, case- and accent-insensitive; None = empty."""
    allowed = [item[field], *item.get("accept", {}).get(field, [])]
    return any(
        (a is None and value is None) or (a is not None and value and fold(a) == fold(value))
        for a in allowed
    )


@pytest.mark.parametrize("item", fixture_params("locations.json", id_key="input"))
def test_fixture_locations_pass_their_accept_rules(item: dict[str, Any]) -> None:
    match = classify_location(item["input"])
    assert [f for f in FIELDS if not accepted(getattr(match, f), item, f)] == [], match


def test_extra_locations_accuracy_floor() -> None:
    items = json.loads((DATA / "locations_extra.json").read_text(encoding="utf-8"))["items"]
    assert len(items) >= 100
    matches = [classify_location(item["input"]) for item in items]
    rates = {
        field: sum(
            accepted(getattr(m, field), i, field) for m, i in zip(matches, items, strict=True)
        )
        / len(items)
        for field in FIELDS
    }
    print(f"locations_extra n={len(items)} " + " ".join(f"{k}={v:.1%}" for k, v in rates.items()))
    assert rates["country"] >= 0.85
    assert rates["country_code"] >= 0.85
    assert rates["city"] >= 0.80
    assert rates["state"] >= 0.80


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Paris, TX", ("Paris", "Texas", "US")),
        ("Berlin, DE", ("Berlin", None, "DE")),  # a city that is its own region: no state
        ("Toronto, CA", ("Toronto", "Ontario", "CA")),
        ("San Diego, CA", ("San Diego", "California", "US")),
        ("Atlanta, Georgia", ("Atlanta", "Georgia", "US")),
        ("Georgia", (None, None, "GE")),
        ("Ontario", (None, "Ontario", "CA")),
        ("Washington, United States", (None, "Washington", "US")),
        ("Sydney NSW 2000", ("Sydney", "New South Wales", "AU")),
        ("Smallville, Kansas, United States", ("Smallville", "Kansas", "US")),
        ("10115 Berlin, Deutschland", ("Berlin", None, "DE")),
        ("Berlin, Berlin, Germany", ("Berlin", "Berlin", "DE")),  # stated, so kept
        ("80302", (None, "Colorado", "US")),
        ("Москва, Россия", ("Moscow", None, "RU")),
        ("Bay Area", (None, "California", "US")),
    ],
)
def test_disambiguation(text: str, expected: tuple[str | None, str | None, str]) -> None:
    match = classify_location(text)
    assert (match.city, match.state, match.country_code) == expected


@pytest.mark.parametrize("text", [None, "", "   ", "Remote", "Worldwide", "EMEA", ", ,"])
def test_no_place_gives_empty_match(text: str | None) -> None:
    assert classify_location(text) == LocationMatch(
        city=None, state=None, country=None, country_code=None
    )


def test_country_names_are_english_short_names() -> None:
    assert classify_location("대한민국").country == "South Korea"
    assert classify_location("Polska").country == "Poland"
    assert classify_location("Nederland").country == "Netherlands"
    assert classify_location("Hong Kong SAR").country == "Hong Kong"


def test_lookup_is_fast_after_warm_up() -> None:
    classify_location.__wrapped__("Warm, Up")
    texts = ["Boulder, CO 80302", "London, Ontario, Canada", "Greater Boston", "서울, 대한민국"]
    timings = []
    for text in texts * 25:
        start = time.perf_counter()
        classify_location.__wrapped__(text)
        timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 0.001


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("Cork, County Cork, Ireland", "County Cork"),
        ("Galway, County Galway, Ireland", "County Galway"),
        ("Denver, Colorado, United States", "Colorado"),
    ],
)
def test_stated_division_wins_over_a_coarser_gazetteer(text: str, state: str) -> None:
    assert classify_location(text).state == state


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Greater London, England, United Kingdom", ("London", "England", "GB")),
        ("London Area, United Kingdom", ("London", "England", "GB")),
        ("San Francisco Bay Area", ("San Francisco", "California", "US")),
        ("Greater Chicago Area", ("Chicago", "Illinois", "US")),
        ("New York City Metropolitan Area", ("New York City", "New York", "US")),
        ("Dallas-Fort Worth Metroplex", ("Dallas", "Texas", "US")),
        ("Greater Minneapolis-St. Paul Area", ("Minneapolis", "Minnesota", "US")),
        ("Frankfurt Rhine-Main Metropolitan Area", ("Frankfurt am Main", "Hesse", "DE")),
        ("Greater Lisbon", ("Lisbon", "Lisbon", "PT")),
        ("Portland, Oregon Metropolitan Area", ("Portland", "Oregon", "US")),
        ("Greater Grand Rapids, Michigan Area", ("Grand Rapids", "Michigan", "US")),
    ],
)
def test_metro_areas_resolve_to_their_city(
    text: str, expected: tuple[str | None, str | None, str]
) -> None:
    match = classify_location(text)
    assert (match.city, match.state, match.country_code) == expected


def test_every_listed_linkedin_metro_resolves_to_its_city() -> None:
    from pipeline.geo_metros import METROS

    assert len(METROS) >= 400
    wrong = {}
    for name, metro in METROS.items():
        match = classify_location(name)
        # The city as the gazetteer names it ("Köln" for Cologne) in the metro's country.
        own = classify_location(f"{metro.city}, {match.country or metro.cc}")
        if match.country_code != metro.cc or match.city not in (metro.city, own.city):
            wrong[name] = match
    assert wrong == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tbilisi, Georgia", ("Tbilisi", None, "Georgia", "GE")),
        ("Yerevan, Armenia", ("Yerevan", None, "Armenia", "AM")),
        ("Riga, Latvia", ("Riga", None, "Latvia", "LV")),
        ("Atlanta, Georgia", ("Atlanta", "Georgia", "United States", "US")),
        # A province named after its capital is a real state, and a stated one is kept.
        ("São Paulo, Brazil", ("São Paulo", "São Paulo", "Brazil", "BR")),
        ("Stockholm, Sweden", ("Stockholm", "Stockholm", "Sweden", "SE")),
        ("Berlin, Germany", ("Berlin", None, "Germany", "DE")),
        ("Seoul, South Korea", ("Seoul", None, "South Korea", "KR")),
        ("Tbilisi, Tbilisi, Georgia", ("Tbilisi", "Tbilisi", "Georgia", "GE")),
    ],
)
def test_a_city_that_is_its_own_region_gets_no_invented_state(
    text: str, expected: tuple[str | None, ...]
) -> None:
    assert tuple(classify_location(text)) == tuple(
        zip(("city", "state", "country", "country_code"), expected, strict=True)
    )
