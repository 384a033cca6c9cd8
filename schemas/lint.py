"""What a spreadsheet column can put in a request body, and what it probably meant.

Clay sends what its cells hold: `""`, `"null"` or `"undefined"` for an empty cell, the
template itself (`{{Person URL}}`, `#{{…}}`) when a column reference did not resolve,
`"[object Object]"` when an object column was put in a text field, and numbers as strings.
`schemas.webhooks.Inbound` uses these pure helpers on every request body: a required field
holding such a value is an error that names the likely cause, an optional one is absent.

`bounds_problem` limits nesting, string and key sizes everywhere, raw provider payloads
included (they are stored as received, so they are bounded but never linted), and rejects
what PostgreSQL cannot store: NUL characters, lone surrogates and non-finite numbers. It
first proves most bodies fine from their orjson encoding, at C speed; only a body that
may have a problem is walked in Python, which finds the first one and names its path.
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import orjson

#: Cell texts Clay (or JavaScript behind it) sends for an empty cell; compared trimmed, lower-cased.
MISSING_TEXT = frozenset({"", "null", "undefined", "none", "nan"})
#: What JavaScript makes of an object put into a text template.
OBJECT_TEXT = "[object object]"
#: A column reference left in the value because it did not resolve: `{{Column}}`, `#{{Column}}`.
TEMPLATE = re.compile(r"#?\{\{[^{}]*\}\}")
#: Deepest nesting of objects and lists accepted anywhere in a body, raw payloads included.
MAX_DEPTH = 32
#: Longest string value accepted anywhere in a body, in characters.
MAX_STRING_CHARS = 100_000
#: Longest object key accepted anywhere in a body, in characters.
MAX_KEY_CHARS = 1_000

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
#: Keeps only a JSON text's brackets, as signed steps: +1 for `{` `[`, -1 for `}` `]`.
_BRACKET_STEPS = bytes.maketrans(b"{[}]", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"{[}]"))
_GROUPED_NUMBER = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_INTEGRAL_FLOAT = re.compile(r"[+-]?[0-9]+\.0*")


@dataclass(frozen=True)
class FieldSpec:
    """What linting needs to know about one declared field of a body."""

    required: bool
    numeric: bool = False


class LintError(ValueError):
    """Raised when a body field cannot be used as sent; `field` is its dotted path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def problem(value: object) -> str | None:
    """Why a top-level value looks like no data at all (and what caused it), else None."""
    if value is None:
        return "is null (an empty Clay cell?)"
    if not isinstance(value, str):
        return None
    text = value.strip()
    if match := TEMPLATE.search(text):
        return (
            f"looks like an unresolved Clay column reference {match.group(0)}; "
            "check that the column exists and is spelt the same in the request body"
        )
    folded = text.lower()
    if folded == "":
        return 'is empty (Clay sends "" for an empty cell)'
    if folded in MISSING_TEXT:
        return f'is the text "{text}", which is how Clay sends an empty cell'
    if folded == OBJECT_TEXT:
        return (
            'is "[object Object]": an object column was sent as text; map one of its fields instead'
        )
    return None


def number_from_text(value: object) -> object:
    """Read Clay's number-as-text spellings (`"1,234"`, `"12.0"`); anything else unchanged."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if _GROUPED_NUMBER.fullmatch(text):
        text = text.replace(",", "")
    if _INTEGRAL_FLOAT.fullmatch(text):
        return int(text.split(".", 1)[0])
    return text


def clean_body(
    data: Mapping[str, Any], *, fields: Mapping[str, FieldSpec], raw: frozenset[str]
) -> dict[str, Any]:
    """The body with empty and unresolved values of optional and unknown fields left out.

    Raises `LintError` for a required field that holds one. `fields` maps every accepted key
    (names and aliases) to its spec; the values of `raw` keys are provider data: only the
    value itself is checked (a whole payload sent as `{{Column}}`), never what is inside.
    """
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        spec = fields.get(key)
        reason = problem(value)
        if reason is None:
            cleaned[key] = value if key in raw else _clean_known(value, spec)
        elif spec is not None and spec.required:
            raise LintError(key, reason)
    return cleaned


def _clean_known(value: Any, spec: FieldSpec | None) -> Any:
    """A usable value of a known field: numbers read from text, empty list items dropped."""
    if spec is not None and spec.numeric:
        return number_from_text(value)
    if spec is not None and isinstance(value, list):
        return [item for item in value if problem(item) is None]
    return value


class FiniteJson(dict[str, Any]):
    """A JSON object read by a parser that refuses NaN and Infinity (`jsoncodec.loads_standard`
    reading with orjson), so nothing in it is a non-finite number and `bounds_problem` need
    not look for one (the standard library's `json.loads`, FastAPI's, reads both).
    """


def bounds_problem(data: object) -> LintError | None:
    """The first value over the size limits, or that PostgreSQL cannot store, as an error."""
    if _plainly_within_bounds(data):
        return None
    for path, value, depth, is_key in _walk(data):
        if depth > MAX_DEPTH:
            return LintError(path, f"is nested deeper than {MAX_DEPTH} levels")
        reason = _key_problem(value) if is_key else _value_problem(value)
        if reason:
            return LintError(path, reason)
    return None


def _plainly_within_bounds(data: object) -> bool:
    """True when `data` surely has no bounds problem; False when it may have one.

    Reads orjson's encoding, which refuses lone surrogates, non-string keys and very deep
    nesting, escapes NUL as `\\u0000`, writes NaN and Infinity as `null` and spends at
    least one byte on each character of a string; a `null` is told from a NaN by reading
    the encoding back and comparing (~60 µs on a 17 KB body), unless `data` is a
    `FiniteJson`. Every test errs towards False, which only means that `bounds_problem`
    walks the value in Python.
    """
    try:
        encoded = orjson.dumps(data)
    except TypeError:  # orjson.JSONEncodeError included
        return False
    if b"\\u0000" in encoded:
        return False
    masked = encoded  # with escaped backslashes and quotes masked, every '"' delimits
    if b"\\" in encoded:
        masked = encoded.replace(b"\\\\", b"__").replace(b'\\"', b"__")
    parts = masked.split(b'"')
    if max(map(len, parts)) > min(MAX_KEY_CHARS, MAX_STRING_CHARS):  # a text may be too long
        longest = max(map(len, parts[1::2]), default=0)
        if longest > MAX_STRING_CHARS or (longest > MAX_KEY_CHARS and _long_key(parts)):
            return False
    structure = b"".join(parts[::2])
    if b"null" in structure and not isinstance(data, FiniteJson):
        if orjson.loads(encoded) != data:  # a NaN or Infinity
            return False
    steps = array("b", structure.translate(_BRACKET_STEPS, _NOT_BRACKETS))
    return max(accumulate(steps), default=0) <= MAX_DEPTH


def _long_key(parts: list[bytes]) -> bool:
    """Whether a string of an encoding split at its quotes is a key over the limit."""
    return any(
        len(text) > MAX_KEY_CHARS and after.startswith(b":")
        for text, after in zip(parts[1::2], parts[2::2], strict=False)
    )


def _value_problem(value: object) -> str | None:
    """Why one scalar cannot be accepted, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return "is NaN or Infinity, which JSON does not allow"
    if not isinstance(value, str):
        return None
    if len(value) > MAX_STRING_CHARS:
        return f"is longer than {MAX_STRING_CHARS} characters"
    if _UNSTORABLE.search(value):
        return "contains a NUL character or a lone surrogate, which cannot be stored"
    return None


def _key_problem(key: object) -> str | None:
    """Why an object key cannot be accepted, or None."""
    if isinstance(key, str) and len(key) > MAX_KEY_CHARS:
        return f"has a key longer than {MAX_KEY_CHARS} characters"
    return _value_problem(key)


def _walk(data: object) -> Iterator[tuple[str, object, int, bool]]:
    """Every value and key under `data` as (dotted path, value, depth, is_key), iteratively.

    Iterative so that no payload, however deep, can exhaust the interpreter's stack.
    """
    stack: list[tuple[tuple[str, ...], object, int, bool]] = [((), data, 0, False)]
    while stack:
        path, value, depth, is_key = stack.pop()
        yield ".".join(path) or "body", value, depth, is_key
        if isinstance(value, Mapping):
            for key, item in value.items():
                child = (*path, _key_label(key))
                stack.append((child, key, depth, True))
                stack.append((child, item, depth + 1, False))
        elif isinstance(value, list):
            stack.extend(((*path, str(i)), item, depth + 1, False) for i, item in enumerate(value))


def _key_label(key: object) -> str:
    """A key as it appears in a field path, cut short when it is absurdly long."""
    text = _UNSTORABLE.sub("\ufffd", str(key))
    return text if len(text) <= 40 else text[:40] + "…"
