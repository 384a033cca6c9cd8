"""Which dead letters share a cause: an error's class and its message with the specifics masked.

Two letters are one group when their workflow, stage, error class and *normalised* message
are equal. Normalising masks what differs between occurrences of one cause (URLs, e-mail
addresses, UUIDs, long hex or mixed ids, numbers, quoted values, the list of keys a shape
error names) and keeps the words, so `KeyError: 'abc'` and `KeyError: 'xyz'` are one group
and `KeyError` vs `ValueError`, or two different sentences, are not.

`ops.insert_dead_letter` stores the fingerprint with each letter (migration 0004 backfilled
the older ones), so grouping is a `GROUP BY` on an indexed column rather than a pass over
every message. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

#: Longest normalised message kept; longer ones are cut (the cause is in the first words).
MAX_PATTERN_CHARS = 400

#: `Type: message`, as `workers.retry_policy.describe` writes every error.
_CLASS = re.compile(r"^([A-Za-z_][\w.]{0,80})(?::\s*|$)")

#: Applied in order: each replaces what it matches with a placeholder the later ones keep.
_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Our own shape errors end with the keys the payload had: different for every payload.
    (re.compile(r"(keys seen:)\s.*$", re.IGNORECASE | re.DOTALL), r"\1 <keys>"),
    (re.compile(r"(marker scores)\s[^;)]*", re.IGNORECASE), r"\1 <scores>"),
    (re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s'\"<>]+", re.IGNORECASE), "<url>"),
    (re.compile(r"\b[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+\b"), "<email>"),
    (
        re.compile(r"\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b", re.I),
        "<uuid>",
    ),
    # Quoted values: 'x', "x" and `x`; an apostrophe inside a word (don't) is not a quote.
    (re.compile(r"(?<![\w])'[^'\n]{0,200}'(?![\w])"), "<value>"),
    (re.compile(r'"[^"\n]{0,200}"'), "<value>"),
    (re.compile(r"`[^`\n]{0,200}`"), "<value>"),
    # name=value, as a repr-formatted message spells a value (None, 3, <value>…).
    (re.compile(r"\b(\w+)=(?!<)[^\s,;()]+"), r"\1=<value>"),
    # Ids: a hex run with a digit, or a word mixing letters and digits (job_4f2a, abc123).
    (re.compile(r"\b(?=[0-9a-f]*[0-9])[0-9a-f]{8,}\b", re.IGNORECASE), "<id>"),
    (re.compile(r"\b(?=\w*[A-Za-z])(?=\w*[0-9])\w{6,}\b"), "<id>"),
    (re.compile(r"[-+]?\b[0-9]+(?:[.,][0-9]+)*\b"), "<n>"),
    (re.compile(r"\s+"), " "),
)


@dataclass(frozen=True)
class Fingerprint:
    """An error's class, its normalised message, and the group id of a (workflow, stage, …)."""

    error_class: str
    pattern: str
    group: str


def split_error(error: str) -> tuple[str, str]:
    """`("KeyError", "'x'")` from `"KeyError: 'x'"`; a message without a class is `("", …)`."""
    text = error.strip()
    match = _CLASS.match(text)
    if match is None or " " in match.group(1):
        return "", text
    return match.group(1), text[match.end() :].strip()


def normalise(message: str) -> str:
    """The message with ids, numbers, URLs, e-mails, UUIDs and quoted values masked."""
    text = message
    for pattern, placeholder in _MASKS:
        text = pattern.sub(placeholder, text)
    text = text.strip()
    return text if len(text) <= MAX_PATTERN_CHARS else text[:MAX_PATTERN_CHARS] + "…"


def group_id(workflow_slug: str | None, stage: str, error_class: str, pattern: str) -> str:
    """A short stable id for one group (what `DeadLetterFilter.group` matches)."""
    key = "\x1f".join((workflow_slug or "", stage, error_class, pattern))
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def fingerprint(*, workflow_slug: str | None, stage: str, error: str) -> Fingerprint:
    """What a dead letter stores to be grouped with the others of its cause."""
    error_class, message = split_error(error)
    pattern = normalise(message)
    return Fingerprint(error_class, pattern, group_id(workflow_slug, stage, error_class, pattern))
