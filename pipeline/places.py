"""The place fields a provider sends (city, state, country, code), in one spelling for all.

Providers disagree on how they write a person's place: Proxycurl sends ``country: "US"`` and
``country_full_name: "United States of America"``, People Data Labs lower-cases everything
(``"united states"``, ``"new york"``), Clay writes the English short name, some send ``UK``
for the United Kingdom, and a city may be a LinkedIn metro area ("Atlanta Metropolitan
Area"). `provider_place` gives one answer whatever the provider: ``country_code`` an ISO
3166-1 alpha-2 code (``UK`` → ``GB``), ``country`` the gazetteer's English short name for
that code, city and state in their proper case, a metro area as its city. Pure (the
gazetteer is package data).
"""

from __future__ import annotations

import re

from pipeline.fold import fold, fold_words
from pipeline.geo_index import GeoIndex, geo_index
from pipeline.locations import classify_location
from schemas.records import LocationMatch

#: Words kept lower case when a lower-case place name is title-cased ("Rio de Janeiro").
_SMALL_WORDS = frozenset(
    "de del della dei des di du da do dos das la le les los el al am an im in der den het"
    " of on upon and sur sous en y e et und the".split()
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
#: Endings that make a provider's city a metro area rather than a city.
_METRO_WORDS = re.compile(r"\b(?:area|metropolitan|metroplex|metro|region|greater)\b", re.I)


def country(name: str | None, code: str | None) -> tuple[str | None, str | None]:
    """(English short name, alpha-2 code) for what a provider wrote; unknown names are kept.

    The code wins when it is one the gazetteer knows (``US``, or an alias such as ``UK``);
    else the name decides ("United States of America", "united states", "Deutschland").
    """
    index = geo_index()
    cc = _code(index, code) or _code(index, name)
    if cc is not None:
        return index.country_names.get(cc, name), cc
    return (proper_case(name) if name else None), None


def _code(index: GeoIndex, text: str | None) -> str | None:
    """The alpha-2 code a country code or name stands for, or None."""
    if not text or not text.strip():
        return None
    raw = text.strip()
    if len(raw) == 2 and raw.isascii() and raw.upper() in index.country_names:
        return raw.upper()
    return index.countries.get(fold_words(raw))  # names and aliases: "uk" is GB


def proper_case(text: str) -> str:
    """A place name written all in lower case, title-cased; any other spelling is kept."""
    if text != text.lower():
        return text
    return _WORD.sub(
        lambda m: (
            m.group(0)
            if m.group(0) in _SMALL_WORDS and m.start() > 0
            else m.group(0)[:1].upper() + m.group(0)[1:]
        ),
        text,
    )


def _gazetteer_city(index: GeoIndex, text: str, cc: str | None) -> str | None:
    """The gazetteer's own spelling of a city named `text` (accents restored), if any."""
    for city, own in index.cities.get(fold_words(text), ()):
        if own and (cc is None or city.cc == cc) and fold(city.name) == fold(text):
            return city.name
    return None


def _gazetteer_division(index: GeoIndex, text: str, cc: str | None) -> str | None:
    """The gazetteer's own spelling of a first-level division named `text`, if any."""
    for division in index.divisions.get(fold_words(text), ()):
        if (cc is None or division.cc == cc) and fold(division.name) == fold(text):
            return division.name
    return None


def _city(index: GeoIndex, city: str, state: str | None, cc: str | None) -> str:
    """A provider's city in proper case; a LinkedIn metro area as the city it names."""
    if _METRO_WORDS.search(city):
        parts = (city, state, index.country_names.get(cc or ""))
        context = ", ".join(part for part in parts if part)
        found = classify_location(context)
        if found.city and (cc is None or found.country_code == cc):
            return found.city
    if city == city.lower():
        return _gazetteer_city(index, city, cc) or proper_case(city)
    return city


def provider_place(
    city: str | None, state: str | None, country_name: str | None, code: str | None
) -> LocationMatch:
    """The structured place a provider sent, in the one spelling every provider gets."""
    index = geo_index()
    name, cc = country(country_name, code)
    if state and state == state.lower():
        state = _gazetteer_division(index, state, cc) or proper_case(state)
    return LocationMatch(
        city=_city(index, city, state, cc) if city else None,
        state=state,
        country=name,
        country_code=cc,
    )
