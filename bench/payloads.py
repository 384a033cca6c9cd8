"""Realistic person-profile webhook bodies (8–30 KB) built from the shared fixtures.

Real provider payloads are much larger than the fixtures: long experience descriptions,
"people also viewed", similarly named profiles, skills, certifications. Each fixture is
padded with such fields (which the extractor reads past, as it does in production) to a
size drawn between 8 and 30 KB, and every body gets its own person (`linkedin_url`), so a
run writes as many `core.people` as it sends bodies while companies repeat across people.
"""

from __future__ import annotations

import copy
import json
import os
import random
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]

#: Smallest and largest padded body, in bytes of compact JSON.
MIN_BYTES, MAX_BYTES = 8_000, 30_000

#: Padded variants per fixture; person `i` uses template `i % len(templates())`.
VARIANTS_PER_FIXTURE = 8

_WORDS = (
    "pipeline revenue platform customer enterprise analytics growth team launched scaled "
    "managed regional partners accounts quota strategy operations engineering product "
    "migration cloud data security hiring onboarding roadmap market pricing renewals "
    "forecast delivery integration compliance stakeholders workflow automation reporting"
).split()
_CITIES = ("Austin, Texas", "Denver, Colorado", "London, England", "Berlin", "Toronto, Ontario")
_SKILLS = ("Salesforce", "SQL", "Negotiation", "Python", "Forecasting", "Kubernetes", "SaaS")


def fixtures_dir() -> Path:
    """`$HQ_FIXTURES_DIR`, else `../shared/fixtures` beside the repository."""
    env = os.environ.get("HQ_FIXTURES_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "fixtures"


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng, rng.randint(8, 18)) for _ in range(rng.randint(2, 5)))


def _person_card(rng: random.Random) -> dict[str, Any]:
    slug = f"{rng.choice(_WORDS)}-{rng.choice(_WORDS)}-{rng.randrange(16**6):06x}"
    return {
        "link": f"https://www.linkedin.com/in/{slug}",
        "name": f"{rng.choice(_WORDS).title()} {rng.choice(_WORDS).title()}",
        "summary": _sentence(rng, rng.randint(6, 14)),
        "location": rng.choice(_CITIES),
    }


def _certification(rng: random.Random) -> dict[str, Any]:
    return {
        "name": f"{rng.choice(_SKILLS)} {rng.choice(_WORDS).title()} Certificate",
        "organization": f"{rng.choice(_WORDS).title()} Institute",
        "start_date": f"{rng.randint(2010, 2024)}-{rng.randint(1, 12):02d}",
        "end_date": None,
        "summary": _sentence(rng, rng.randint(10, 20)),
    }


def _person(body: dict[str, Any]) -> dict[str, Any]:
    """The provider's person object (inside PDL's `{status, likelihood, data}` envelope)."""
    raw: dict[str, Any] = body["raw_payload"]
    data = raw.get("data")
    return data if isinstance(data, dict) and "likelihood" in raw else raw


def _describe_experience(person: dict[str, Any], rng: random.Random) -> None:
    """Long role descriptions, as real profiles have (the fixtures leave them null)."""
    for key, text_key in (("experience", "summary"), ("experiences", "description")):
        for row in person.get(key) or []:
            if isinstance(row, dict) and not row.get(text_key):
                row[text_key] = _paragraph(rng)


def _padder(person: dict[str, Any]) -> Callable[[random.Random], None]:
    """A function adding one realistic item to a list field the shape already has."""
    if "experiences" in person:  # Proxycurl
        fields = ("people_also_viewed", "similarly_named_profiles", "recommendations")
    elif "job_title_levels" in person:  # PDL
        fields = ("certifications", "interests", "skills")
    else:  # Clay enrich-person
        fields = ("people_also_viewed", "certifications", "skills")

    def add(rng: random.Random) -> None:
        field = rng.choice(fields)
        items = person.get(field)
        if not isinstance(items, list):
            items = person[field] = []
        if field in ("people_also_viewed", "similarly_named_profiles"):
            items.append(_person_card(rng))
        elif field == "certifications":
            items.append(_certification(rng))
        elif field == "recommendations":
            items.append(_paragraph(rng))
        else:
            items.append(f"{rng.choice(_SKILLS)} {rng.choice(_WORDS)}")

    return add


def pad(body: dict[str, Any], *, size: int, rng: random.Random) -> dict[str, Any]:
    """A copy of `body` grown with realistic provider fields to about `size` bytes."""
    padded = copy.deepcopy(body)
    person = _person(padded)
    _describe_experience(person, rng)
    add = _padder(person)
    while len(orjson.dumps(padded)) < size:
        for _ in range(4):
            add(rng)
    return padded


@lru_cache
def templates(seed: int = 7) -> tuple[dict[str, Any], ...]:
    """Padded variants of every fixture payload, sizes spread over 8–30 KB."""
    rng = random.Random(seed)
    paths = sorted((fixtures_dir() / "payloads").glob("*.json"))
    if not paths:
        raise FileNotFoundError(f"no fixture payloads under {fixtures_dir() / 'payloads'}")
    out = []
    for path in paths:
        base = json.loads(path.read_text())
        for _ in range(VARIANTS_PER_FIXTURE):
            size = int(rng.triangular(MIN_BYTES, MAX_BYTES, 11_000))
            out.append(pad(base, size=size, rng=rng))
    return tuple(out)


def person_url(index: int) -> str:
    """The canonical LinkedIn URL of benchmark person `index`."""
    return f"https://www.linkedin.com/in/bench-person-{index:07d}"


def body_for(index: int) -> dict[str, Any]:
    """The webhook body of person `index`: a padded template with that person's URL."""
    template = templates()[index % len(templates())]
    url = person_url(index)
    raw = dict(template["raw_payload"])
    if isinstance(raw.get("data"), dict) and "likelihood" in raw:
        raw["data"] = dict(raw["data"])  # PDL envelope: copy the person we are about to edit
    body = {**template, "linkedin_url": url, "raw_payload": raw}
    person = _person(body)
    for key in ("url", "linkedin_url"):
        if key in person:
            person[key] = url
    for key in ("slug", "public_identifier", "linkedin_username"):
        if key in person:
            person[key] = url.rsplit("/", 1)[1]
    return body


def encoded(index: int) -> bytes:
    """`body_for(index)` as the compact JSON a webhook sends."""
    return orjson.dumps(body_for(index))


def average_size(count: int = 480) -> float:
    """Mean encoded size of the first `count` bodies (all templates when it is a multiple)."""
    return sum(len(encoded(i)) for i in range(count)) / count
