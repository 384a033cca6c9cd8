"""Fast JSON that never changes a value: orjson, with the standard library for its gaps.

orjson refuses integers beyond 64 bits and non-string keys, reads an integer beyond 64 bits
back as a float, and (like every double-based parser) rounds a number with more digits than
a double holds (`1.00000000000000000001`), turns `1e-400` into 0 and `1e400` into an
error. Webhook bodies are arbitrary JSON and raw payloads are kept exactly as received, so
`loads` reads a body that may hold such a number with the standard library, a number a
double cannot hold becoming a `Decimal`; `dumps` writes a `Decimal` digit for digit, and
PostgreSQL's jsonb keeps it exactly (its numbers are `numeric`). Everything else runs at
orjson's speed (6–10× faster on the 8–30 KB bodies every stage moves). jsonb itself cannot
hold a negative zero: `-0.0` is stored as `0.0`, so `exact_text` gives the text a raw table
keeps beside the jsonb for such a body (`has_negative_zero`). `-0` (an integer, which Python
cannot sign) is read as `Decimal("-0")`, so it is written back as `-0`.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

import orjson

from schemas import lint

#: Every digit and `.` byte as "0", `e`/`E` as "e", every other byte as " ": in the
#: translation a run of 17 zeros is a run of 17+ digits and dots, which may be an integer
#: orjson cannot read exactly (int64 has 19 digits) or a decimal a double cannot hold (17
#: significant digits), and "0e" may be an exponent. `bytes.translate` + `in` scans a
#: 17 KB body in ~30 µs, a regex in ~250 µs, so the regex below only confirms a hit, and
#: only on the bytes of the token around it (hex ids and hashes put "0e" in most bodies).
_DIGITS_AS_ZERO = bytes(
    0x30 if 0x30 <= b <= 0x39 or b == 0x2E else 0x65 if b in (0x45, 0x65) else 0x20
    for b in range(256)
)
_LONG_RUN = b"0" * 17
_EXPONENT = b"0e"

#: A number token standing alone (not inside a word) that a double may not hold exactly:
#: 17+ digits, or an exponent. Strings can match too; that only costs the exact path.
_RISKY_NUMBER = re.compile(
    rb"(?<![A-Za-z0-9_])-?[0-9]+(?:\.[0-9]+)?[eE][-+]?[0-9]+(?![A-Za-z0-9_])"
    rb"|[0-9][0-9.]{16,}"
)

#: An integer negative zero (`-0`, not `-0.0`, which orjson reads as the float -0.0): `-0`
#: then a byte that ends a number. Dates (`2020-01-05`) never match the first regex (it
#: scans by its literal prefix: ~12 µs on an 11 KB body full of dates), which leaves the
#: second to confirm that the `-0` stands alone.
_NEGATIVE_ZERO_END = re.compile(rb"-0[,}\]\s]")
_INTEGER_NEGATIVE_ZERO = re.compile(rb"(?<![A-Za-z0-9_.])-0(?=[,}\]\s])")


def _may_hold_integer_negative_zero(raw: bytes) -> bool:
    if _NEGATIVE_ZERO_END.search(raw) is None:
        return False
    return _INTEGER_NEGATIVE_ZERO.search(raw) is not None


def may_be_inexact(raw: bytes) -> bool:
    """Whether `raw` may hold a number orjson (or a double) would not read exactly."""
    scanned = raw.translate(_DIGITS_AS_ZERO)
    return (
        _risky_token(raw, scanned, _LONG_RUN)
        or _risky_token(raw, scanned, _EXPONENT)
        or _may_hold_integer_negative_zero(raw)
    )


def _risky_token(raw: bytes, scanned: bytes, marker: bytes) -> bool:
    """Whether `_RISKY_NUMBER` matches in a token holding `marker` (in `scanned`).

    Each token is searched from just before its run of digits and dots (a sign, or the byte
    the look-behind reads) to just after its last number byte (the byte the look-ahead
    reads), so a match found here is exactly one a search of all of `raw` would find there.
    """
    at = scanned.find(marker)
    while at >= 0:
        start = at
        while start > 0 and scanned[start - 1] == 0x30:
            start -= 1
        end = at
        while end < len(raw) and (scanned[end] != 0x20 or raw[end] in b"+-"):
            end += 1
        if _RISKY_NUMBER.search(raw, max(start - 1, 0), end + 1) is not None:
            return True
        at = scanned.find(marker, end)
    return False


def _exact_integer(text: str) -> int | Decimal:
    """A JSON integer as an int, except `-0`, which only a `Decimal` keeps signed."""
    return Decimal(text) if text == "-0" else int(text)


def _exact_number(text: str) -> float | Decimal:
    """A JSON number as a float when the float is the same number, else as a `Decimal`."""
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        return Decimal(text)
    if Decimal(repr(value)) == Decimal(text):
        return value
    return Decimal(text)


def dumps(value: Any) -> bytes:
    """Compact JSON bytes, as `json.dumps(separators=(",", ":"))` would write them."""
    try:
        return orjson.dumps(value)
    except TypeError:  # > 64-bit integers, non-str keys, Decimals: rare, written exactly
        return _dumps_exact(value).encode("utf-8")


def dumps_sorted(value: Any) -> bytes:
    """`dumps` with every object's keys sorted (a canonical form to hash)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return _dumps_exact(value, sort_keys=True).encode("utf-8")


def _dumps_exact(value: Any, *, sort_keys: bool = False) -> str:
    """`json.dumps` that writes a `Decimal` as the number it is, digit for digit."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        pairs = [(str(k), v) for k, v in value.items()]
        if sort_keys:
            pairs.sort(key=lambda pair: pair[0])
        items = (f"{json.dumps(k)}:{_dumps_exact(v, sort_keys=sort_keys)}" for k, v in pairs)
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_dumps_exact(v, sort_keys=sort_keys) for v in value) + "]"
    return json.dumps(value, separators=(",", ":"))


def dumps_text(value: Any) -> str:
    """`dumps` as a str, for drivers that want text."""
    return dumps(value).decode("utf-8")


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse JSON exactly: huge integers stay integers, long or tiny decimals `Decimal`s."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return loads_exactly(raw) if may_be_inexact(raw) else orjson.loads(raw)


def loads_standard(raw: bytes, *, inexact: bool | None = None) -> Any:
    """`json.loads(raw)`: the same value, or the same error, at orjson's speed where orjson
    reads the same.

    They differ only on numbers `may_be_inexact` flags (orjson reads an integer beyond 64
    bits as a float, `1e400` as an error, json as inf) and on what orjson refuses and the
    standard library takes (`NaN`, `Infinity`, lone surrogates, a byte-order mark, UTF-16):
    a flagged body, and any orjson refuses, is read by the standard library. An object
    orjson read comes back as a `schemas.lint.FiniteJson` (a dict). `inexact`: the
    caller's `may_be_inexact(raw)`, if it has it.
    """
    if not (may_be_inexact(raw) if inexact is None else inexact):
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
        else:  # orjson read no NaN or Infinity: say so to the body checks
            return lint.FiniteJson(value) if type(value) is dict else value
    return json.loads(raw)


def loads_exactly(raw: bytes) -> Any:
    """The standard library's parse with every number exact (slower than orjson): for a
    body `may_be_inexact` has flagged."""
    return json.loads(raw, parse_float=_exact_number, parse_int=_exact_integer)


def has_negative_zero(value: Any) -> bool:
    """Whether `value` holds a negative zero (`-0.0`, or `Decimal("-0")`), which jsonb
    stores as a plain zero."""
    if isinstance(value, float):
        return value == 0 and math.copysign(1.0, value) < 0
    if isinstance(value, Decimal):
        return value.is_zero() and value.is_signed()
    if isinstance(value, dict):
        return any(has_negative_zero(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(has_negative_zero(v) for v in value)
    return False


def exact_text(value: Any) -> str | None:
    """The JSON text to keep beside a jsonb copy of `value` when jsonb cannot hold it
    exactly (a negative zero); None when the jsonb alone is exact."""
    return dumps_text(value) if has_negative_zero(value) else None
