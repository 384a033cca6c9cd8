"""Free-text location resolution: "Boulder, CO 80302" → Boulder, Colorado, United States, US.

`classify_location` is the built-in classifier behind the location lookup suggestion. It
splits the text into parts, reads the last parts as country and first-level division where
they fit, and the first part as a city (or a metro area such as "Greater Boston"). Every
consistent reading is scored and the best one wins, so the other parts disambiguate
("London, Ontario, Canada" is not London GB) and, with no context, the most populous place
does. The gazetteer (`pipeline.geo_index`) loads from a precomputed file on first use (~0.1 s,
~15 MB); later lookups are a few dictionary hits and one bisect over the city keys.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from pipeline import geo_aliases as aliases
from pipeline.fold import fold_words
from pipeline.geo_index import City, Division, GeoIndex, geo_index, stem
from pipeline.geo_metros import METROS
from schemas.records import LocationMatch

_SEPARATORS = re.compile(r"[,;|·•()\[\]/]|\s[-–—]\s")
_US_ZIP = re.compile(r"\b(\d{5})(?:-\d{4})?\b")
_HAS_DIGIT = re.compile(r"\S*\d\S*")
_METRO_CORE_SPLIT = re.compile(r"\s*[-–/&]\s*|\s+and\s+", re.IGNORECASE)
_EMPTY = LocationMatch(city=None, state=None, country=None, country_code=None)

#: A city whose name is also a division elsewhere keeps its rank only above this size.
_BIG_CITY = 1_000_000
#: A city known here by an alternate name stands for its same-named region from this size.
_LARGE_ALIAS = 100_000
#: A city not listed as a city-region is its own region when it holds this share of the
#: people of its same-named division; less means a province named after its capital
#: ("Stockholm", "Utrecht", "São Paulo", "Madrid"), which stays the state.
_CITY_REGION_SHARE = 0.9


class _Reading(NamedTuple):
    """One interpretation of the parts; the highest `score` is the answer."""

    score: float
    city: str | None
    division: Division | None
    cc: str | None


def _parts(text: str) -> tuple[list[str], str | None]:
    """Split a location into trimmed parts without postal codes; also the state a ZIP implies."""
    zip_match = _US_ZIP.search(text)
    zip_state = aliases.zip_state(zip_match.group(1)) if zip_match else None
    parts = [" ".join(_HAS_DIGIT.sub(" ", p).split()) for p in _SEPARATORS.split(text)]
    return [p for p in parts if p], zip_state


def _known(index: GeoIndex, key: str) -> bool:
    """Whether a whole part names something the gazetteer (or the metro table) knows."""
    return key in METROS or any(
        key in table
        for table in (index.countries, index.divisions, index.cities, index.abbreviations)
    )


def _unglue(index: GeoIndex, parts: list[str]) -> list[str]:
    """Split parts like "Sydney NSW" or "Berlin Germany" whose tail is a division or country."""
    result: list[str] = []
    for part in parts:
        words = part.split()
        for size in (1, 2, 3):
            if len(words) <= size or _known(index, fold_words(part)):
                break
            tail = fold_words(" ".join(words[-size:]))
            if tail in index.countries or tail in index.abbreviations or tail in index.divisions:
                result.append(" ".join(words[:-size]))
                part = " ".join(words[-size:])
                break
        result.append(part)
    return result


def _country_options(index: GeoIndex, parts: list[str]) -> Iterator[tuple[str | None, float]]:
    """Countries the last part may name, with their evidence; always also "no country"."""
    yield None, 0.0
    last = parts[-1]
    code = index.countries.get(fold_words(last))
    if code:
        yield code, 5.0  # beats a same-named city: "Luxembourg" is the country first
    elif len(last) == 2 and last.isupper() and last in index.country_names:
        yield last, 2.0


def _division_options(
    index: GeoIndex, part: str, cc: str | None
) -> Iterator[tuple[Division, float]]:
    """Divisions a part may name inside country `cc` (any country when None)."""
    key = fold_words(part)
    found: dict[Division, float] = {}
    abbreviation_score = 3.0 if part.isupper() else 2.0
    for division in index.abbreviations.get(key, ()) if len(part) <= 3 else ():
        found[division] = abbreviation_score
    for division in index.division_stems.get(stem(key), ()):
        found.setdefault(division, 2.5)
    for division in index.divisions.get(key, ()):
        found[division] = 3.0
    for division, score in found.items():
        if cc is None or division.cc == cc:
            # The more populous of two same-named divisions wins a tie ("Florida": US, not UY).
            people = index.division_population.get(division.id, 1)
            yield division, score + math.log10(max(people, 1)) / 100


def _fits(city: City, cc: str | None, division: Division | None) -> bool:
    """Whether a city lies in the country and division already read."""
    if division is not None:
        return city.division == division.id if division.has_cities else city.cc == division.cc
    return cc is None or city.cc == cc


def _shadowed(index: GeoIndex, key: str, city: City, own: bool, cc: str | None) -> bool:
    """A mid-sized city whose name is also a division elsewhere ("Ontario", "Washington")."""
    divisions = [d for d in index.divisions.get(key, ()) if cc is None or d.cc == cc]
    if not divisions:
        return False
    same = any(d.id == city.division or (not d.has_cities and d.cc == city.cc) for d in divisions)
    if same:  # a city-state or a capital named like its region: "Berlin", "Wien", "Praha"
        return not own and city.population < _LARGE_ALIAS
    return city.population < _BIG_CITY or not own


def _city_reading(
    index: GeoIndex, part: str, cc: str | None, division: Division | None, base: float
) -> _Reading:
    """Read `part` as a city in the given context, else as a metro area, else keep it as is."""
    key = fold_words(part)
    candidates = index.cities.get(key) or index.cities.get(key.removesuffix(" city"), ())
    for city, own in candidates:
        if _fits(city, cc, division):
            score = base + 3.0 + own + city.weight - 2.5 * _shadowed(index, key, city, own, cc)
            return _Reading(score, city.name, division or _region_of(index, city), city.cc)
    metro = _metro_reading(index, part, cc, division, base)
    if metro is not None:
        return metro
    if (cc or division) and key not in index.countries and key not in aliases.NOWHERE:
        return _Reading(base + 0.5, part, division, cc)
    return _Reading(base - 1.0, None, division, cc)


def _metro_core(part: str) -> str | None:
    """The city inside a metro name ("Greater Boston Area" → "Boston"), or None."""
    folded = fold_words(part)
    core = part
    for prefix in aliases.METRO_PREFIXES:
        if folded.startswith(prefix):
            core, folded = core[len(prefix) :], folded[len(prefix) :]
    for suffix in aliases.METRO_SUFFIXES:
        if folded.endswith(suffix):
            core = core[: len(core) - len(suffix)]
            break
    if core == part:
        return None
    return _METRO_CORE_SPLIT.split(core.strip())[0].strip() or None


def _metro_reading(
    index: GeoIndex, part: str, cc: str | None, division: Division | None, base: float
) -> _Reading | None:
    """A metro area resolves to the city it is named after; a named region to its division."""
    key = fold_words(part)
    region = aliases.REGIONS.get(key)
    if region is not None:
        return _Reading(base + 3.0, None, index.division_by_id.get(region), region[:2])
    listed = _listed_metro(index, key, cc, division, base)
    if listed is not None:
        return listed
    core = _metro_core(part)
    if core is None:
        return None
    parts = _unglue(index, [core])
    found = _best(index, parts, cc, division, base)
    if found is None or found.city is None or found.score <= base + 1:
        return None
    return found


def _listed_metro(
    index: GeoIndex, key: str, cc: str | None, division: Division | None, base: float
) -> _Reading | None:
    """A LinkedIn metro name from `pipeline.geo_metros`, read as its city."""
    metro = METROS.get(key)
    if metro is None or (cc is not None and metro.cc != cc):
        return None
    for city, _ in index.cities.get(fold_words(metro.city), ()):
        if city.cc == metro.cc and (division is None or _fits(city, cc, division)):
            region = division or _region_of(index, city)
            return _Reading(base + 4.0 + city.weight, city.name, region, city.cc)
    return None


def _region_of(index: GeoIndex, city: City) -> Division | None:
    """The division a city lies in, or None when the city is its own region (Tbilisi).

    A city that is its own first-level region gets no state of its own name invented for
    it: LinkedIn writes "Tbilisi, Georgia" (and "Berlin, Berlin, Germany", stated, so kept).
    Such a city is listed in `geo_aliases.CITY_REGIONS`, or is named like its division and
    holds nearly all of its people; a province named after its capital stays the state.
    """
    division = _division_of(index, city)
    if division is None:
        return None
    key = fold_words(city.name)
    if (city.cc, key) in aliases.CITY_REGIONS:
        return None
    if fold_words(division.name).replace(" ", "") != key.replace(" ", ""):
        return division
    people = index.division_population.get(division.id, 0)
    return None if city.population >= _CITY_REGION_SHARE * people else division


def _division_of(index: GeoIndex, city: City) -> Division | None:
    """The division record a city refers to, if its name is known."""
    return index.division_by_id.get(city.division) if city.division else None


def _readings(
    index: GeoIndex, parts: list[str], cc: str | None, division: Division | None, base: float
) -> Iterator[_Reading]:
    """Every reading of `parts` as [city, …, division] inside the given country."""
    yield _city_reading(index, parts[0], cc, division, base - (len(parts) - 1))
    if division is not None:
        return
    for option, score in _division_options(index, parts[-1], cc):
        if len(parts) == 1:
            yield _Reading(base + score, None, option, option.cc)
        else:
            yield from _readings(index, parts[:-1], option.cc, option, base + score)


def _best(
    index: GeoIndex, parts: list[str], cc: str | None, division: Division | None, base: float
) -> _Reading | None:
    """The best reading of `parts`, trying the last part as a country first."""
    readings: list[_Reading] = []
    for country, score in _country_options(index, parts):
        if country is None:
            readings.extend(_readings(index, parts, cc, division, base))
        elif (cc is None or cc == country) and len(parts) == 1:
            readings.append(_Reading(base + score, None, division, country))
        elif cc is None or cc == country:
            readings.extend(_readings(index, parts[:-1], country, division, base + score))
    return max(readings, key=lambda r: r.score) if readings else None


def _finish(
    index: GeoIndex, reading: _Reading, parts: list[str], zip_state: str | None
) -> LocationMatch:
    """Fill what the reading implies: a ZIP's state, a same-named capital, display names."""
    cc = reading.cc or (reading.division.cc if reading.division else None)
    division = reading.division
    if zip_state and cc in (None, "US") and division is None:
        division, cc = index.division_by_id.get(f"US.{zip_state}"), "US"
    city = reading.city
    if city is None and division is None and cc and index.capitals.get(cc) == fold_words(parts[-1]):
        city = next(
            (c.name for c, _ in index.cities.get(index.capitals[cc], ()) if c.cc == cc), None
        )
    stated = _stated_division(index, parts, reading, cc)
    return LocationMatch(
        city=city,
        state=stated or (division.name if division else None),
        country=index.country_names.get(cc) if cc else None,
        country_code=cc,
    )


def _stated_division(
    index: GeoIndex, parts: list[str], reading: _Reading, cc: str | None
) -> str | None:
    """A "City, Division, Country" middle part the gazetteer has no division for, as written.

    The person named their division ("Cork, County Cork, Ireland"); where the gazetteer's
    first-level divisions are coarser (Irish provinces) the stated one is the better answer.
    """
    if len(parts) < 3 or reading.city is None or cc is None:
        return None
    key = fold_words(parts[1])
    if key in index.countries or key == fold_words(reading.city):
        return None
    known = [*index.divisions.get(key, ()), *index.division_stems.get(stem(key), ())]
    if any(d.cc == cc for d in known) or key in index.abbreviations:
        return None
    return parts[1]


@lru_cache(maxsize=65536)
def classify_location(text: str | None) -> LocationMatch:
    """Resolve a free-text location to city, state, country and ISO alpha-2 country code.

    Fields it cannot tell are None; a text that names no place ("Remote") gives all None.
    """
    if not text or not text.strip():
        return _EMPTY
    index = geo_index()
    parts, zip_state = _parts(text)
    if not parts and zip_state:
        return _finish(index, _Reading(1.0, None, None, "US"), [text], zip_state)
    parts = _unglue(index, [p for p in parts if fold_words(p) not in aliases.NOWHERE])
    if not parts:
        return _EMPTY
    reading = _best(index, parts, None, None, 0.0)
    if reading is None or reading.score <= 0:
        reading = _Reading(1.0, None, None, "US" if zip_state else None)
    return _finish(index, reading, parts, zip_state)
