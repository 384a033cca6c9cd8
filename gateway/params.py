"""Request values read by hand (cursors, headers), with one strict parser and one error.

FastAPI validates declared parameters; anything a route or middleware reads itself goes
through these helpers, so a bad value is a 422 naming its field, never a 500 from a
parser that disagrees with the check before it (see `pipeline.strict`).
"""

from __future__ import annotations

from gateway.errors import ApiError
from pipeline.strict import BIGINT_MAX, whole_number

#: A query value that is a positive bigint written in ASCII digits (documented in OpenAPI).
ID_PATTERN = r"^[0-9]{1,19}$"


def whole(text: str, *, field: str, lo: int = 0, hi: int = BIGINT_MAX, what: str = "") -> int:
    """`text` as an int in [lo, hi]; else a 422 naming `field`."""
    value = whole_number(text, lo=lo, hi=hi)
    if value is None:
        raise ApiError(422, what or f"is not a whole number from {lo} to {hi}", field=field)
    return value


def optional_whole(
    text: str | None, *, field: str, lo: int = 0, hi: int = BIGINT_MAX, what: str = ""
) -> int | None:
    """`whole`, with None passed through."""
    return None if text is None else whole(text, field=field, lo=lo, hi=hi, what=what)
