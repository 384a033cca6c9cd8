"""Strict readers for values parsed by hand: ASCII digits only, bounded, or nothing.

`str.isdigit()` accepts `²`, `①` and other characters `int()` refuses, and `int()` accepts
`" 7"`, `"1_000"` and Arabic-Indic digits: each pairing let a value through one check and
fail the next. Every query, path, header or cursor value read without pydantic goes
through `whole_number`, so one definition of "a number" holds everywhere.
"""

from __future__ import annotations

import re

#: A non-negative integer as people and HTTP write it: ASCII digits, nothing else.
_DIGITS = re.compile(r"[0-9]+")

#: Largest value PostgreSQL's bigint holds.
BIGINT_MAX = 2**63 - 1


def whole_number(text: str | None, *, lo: int = 0, hi: int = BIGINT_MAX) -> int | None:
    """`text` as an int in [lo, hi] if it is ASCII digits only, else None."""
    if text is None or len(text) > len(str(hi)) or not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if lo <= value <= hi else None
