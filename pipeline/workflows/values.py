"""Pure readers for the cells a workflow body holds: Clay's empties, grouped numbers, lists.

Clay sends `"null"`, `""` or an unresolved `{{Column}}` for an empty cell, numbers as text
(`"1,234"`), and lists either as JSON lists or as comma-separated text. Each reader gives
the value, or None (an empty list) when there is none; none raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pipeline import dates, normalize
from schemas import canonical, lint

_GROUPING = re.compile(r"(?<=[0-9])[,'’\u00a0\u202f _](?=[0-9]{3}(?![0-9]))")
_COUNT = re.compile(r"^[+]?([0-9]+(?:\.[0-9]+)?)\s*([km])?\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(1[6-9][0-9]{2}|20[0-9]{2})\b")


def absent(value: object) -> bool:
    """Whether a cell holds no data: None, blank, `"null"`/`"undefined"`, `{{Column}}`, {}."""
    if value is None:
        return True
    if isinstance(value, str):
        text = value.strip()
        return text.lower() in lint.MISSING_TEXT or bool(lint.TEMPLATE.fullmatch(text))
    if isinstance(value, dict | list):
        return not value
    return False


def text(value: object) -> str | None:
    """A cleaned text (numbers as text), or None."""
    if absent(value) or isinstance(value, bool | dict | list):
        return None
    if isinstance(value, int | float):
        value = str(value)
    return normalize.clean_text(value)


def count(value: object) -> int | None:
    """A non-negative whole number from 1234, 1234.0, "1,234", "1.2K"; None otherwise."""
    if absent(value) or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if value >= 0 and value == value and value != float("inf") else None
    if not isinstance(value, str):
        return None
    match = _COUNT.match(_GROUPING.sub("", value.strip()))
    if match is None:
        return None
    number = float(match.group(1)) * {"k": 1_000, "m": 1_000_000}.get(
        (match.group(2) or "").lower(), 1
    )
    return int(number) if number < 2**62 else None


def year(value: object) -> int | None:
    """A four-digit year from 2010, "2010" or "2010-05-01"."""
    if absent(value) or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1600 <= value <= 2100 else None
    match = _YEAR.search(str(value))
    return int(match.group(1)) if match else None


def flag(value: object) -> bool | None:
    """A boolean from true/false, "true"/"yes"/"1" and their opposites."""
    if isinstance(value, bool):
        return value
    folded = text(value)
    if folded is None:
        return None
    return {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(
        folded.lower()
    )


def texts(value: object, *, split_commas: bool = True) -> list[str]:
    """A list of texts from a JSON list or a comma-separated cell, cleaned, no repeats.

    `split_commas=False` for lists of names ("Acme, Inc." is one investor): a text cell is
    then one item.
    """
    if absent(value):
        return []
    if isinstance(value, str):
        parts: Iterable[object] = value.split(",") if split_commas else [value]
    elif isinstance(value, list | tuple):
        parts = value
    else:
        parts = [value]
    cleaned = (text(part) for part in parts)
    return list(dict.fromkeys(part for part in cleaned if part))


def domain(value: object) -> str | None:
    """The normalised company domain of a website, URL or host."""
    return None if absent(value) else canonical.domain(text(value))


def company_linkedin_url(value: object) -> str | None:
    """The canonical LinkedIn company URL, or None (a profile URL is not one)."""
    return None if absent(value) else canonical.company_linkedin_url(text(value))


def timestamp(value: object) -> datetime | None:
    """An aware timestamp from ISO text or epoch seconds/milliseconds."""
    return None if absent(value) else dates.timestamp(value)


def obj(value: object) -> dict[str, Any]:
    """A JSON object, or {} for anything else."""
    return value if isinstance(value, dict) else {}


def compact(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields that hold a value (None and empty texts dropped)."""
    return {k: v for k, v in fields.items() if v is not None and v != ""}
