"""The canonical spelling of the values we join and store on, and pydantic types that apply it.

The leaf of the layers (README, "Layout"): it imports nothing of ours, so `schemas/` (which
validates request bodies with the annotated types at the end) and `pipeline/` (which calls
the functions while it extracts a profile) share one definition of a domain, a LinkedIn
profile URL, a seniority level and a job function.

The normalisers are total (any str or None in, never an exception out; unusable input gives
None) and idempotent (an output fed back in comes out unchanged), so a stage may apply them
to values that were already normalised, e.g. on replay.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Annotated
from urllib.parse import unquote_to_bytes

from pydantic import AfterValidator, BeforeValidator

_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://", re.IGNORECASE)
#: Full stops that IDNA treats as label separators (ideographic, full-width, half-width).
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_PORT = re.compile(r"[0-9]*", re.ASCII)
_ASCII_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)
_LINKEDIN_HOST = re.compile(r"(?:[a-z0-9-]+\.)*linkedin\.com", re.ASCII)
_SLUG_PUNCTUATION = frozenset("-_")
#: One whitespace character: for str patterns `\s` is exactly `str.isspace` (both are
#: CPython's `Py_UNICODE_ISSPACE`), and the search runs in C, not a generator per character.
_SPACE = re.compile(r"\s")
#: A slug of ASCII letters, digits, `-` and `_` only (most are): valid without a per-character
#: Unicode check.
_ASCII_SLUG = re.compile(r"[a-z0-9_-]+", re.ASCII)


def key_fold(text: str) -> str:
    """NFKC-normalise and lower-case a join key (host, slug, e-mail) in a stable order.

    NFKC, not NFC: compatibility forms are the same key (full-width ``ａｃｍｅ.com`` is
    ``acme.com``, ``ﬁ`` is ``fi``), as IDNA maps them for hosts.
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).lower())


def _nfkc(value: str) -> str:
    """A raw key field in NFKC form (full-width slashes, dots and @ become ASCII)."""
    return unicodedata.normalize("NFKC", value)


def _split_url(value: str) -> tuple[str, str, bool]:
    """Split a URL with or without a scheme into (authority, rest, whether it had a scheme)."""
    text = value.strip()
    match = _SCHEME.match(text)
    had_scheme = match is not None or text.startswith("//")
    rest = text[match.end() :] if match else text.removeprefix("//")
    cut = re.search(r"[/?#\\]", rest)
    if cut is None:
        return rest, "", had_scheme
    return rest[: cut.start()], rest[cut.start() :], had_scheme


def _label(label: str) -> str | None:
    """Return one DNS label in lower-case Unicode form (A-labels decoded), or None."""
    if label.startswith("xn--"):
        try:
            label = key_fold(label[4:].encode("ascii").decode("punycode"))
        except (UnicodeError, ValueError, IndexError, OverflowError):
            return None
        if label.isascii():
            return None
    if label.isascii():
        return label if _ASCII_LABEL.fullmatch(label) and label[2:4] != "--" else None
    return label if _valid_unicode_label(label) else None


def _valid_unicode_label(label: str) -> bool:
    """Whether a non-ASCII label is letters/digits/marks/hyphens and fits DNS once encoded."""
    if label[0] == "-" or label[-1] == "-" or label[2:4] == "--":
        return False
    if unicodedata.category(label[0]).startswith("M"):
        return False
    allowed = all(c.isalnum() or c == "-" or unicodedata.category(c).startswith("M") for c in label)
    return allowed and len(label.encode("punycode")) <= 59


def host_labels(host: str) -> list[str] | None:
    """Validate a bare host name; return its normalised labels, or None if it is not a host."""
    labels = _cached_host_labels(host)
    return list(labels) if labels is not None else None


@lru_cache(maxsize=8192)
def _cached_host_labels(host: str) -> tuple[str, ...] | None:
    """`host_labels`, remembered: the same few thousand hosts (IDNA is slow) recur."""
    host = key_fold(host.translate(_DOTS)).removesuffix(".")
    if not host or len(host) > 253 or _SPACE.search(host):
        return None
    labels = [_label(part) for part in host.split(".")]
    if len(labels) < 2 or any(part is None for part in labels):
        return None
    valid = tuple(part for part in labels if part is not None)
    return valid if len(valid[-1]) >= 2 and valid[-1].isalpha() else None


def _url_host(value: str) -> list[str] | None:
    """Return the labels of a URL's host (userinfo and port dropped), or None."""
    authority, _, had_scheme = _split_url(value)
    if "@" in authority and not had_scheme:
        return None  # an email address, not a URL
    authority = authority.rpartition("@")[2]
    host, colon, port = authority.rpartition(":")
    if not colon:
        host = authority
    elif not _PORT.fullmatch(port):
        return None
    return host_labels(host)


def _url_text(value: object) -> str | None:
    """A text that may be a URL or host, NFKC-normalised; None if it is not a string or
    holds whitespace inside (`domain` and the LinkedIn readers share this first step)."""
    if not isinstance(value, str):
        return None
    text = _nfkc(value)
    return None if _SPACE.search(text.strip()) else text


def domain(value: str | None) -> str | None:
    """Normalise a website, URL or host to the company-domain key (``acme.com``)."""
    url = _url_text(value)
    labels = _url_host(url) if url is not None else None
    while labels is not None and len(labels) > 2 and labels[0] == "www":
        labels = labels[1:]
    return ".".join(labels) if labels else None


def _decode_slug(raw: str) -> str | None:
    """Percent-decode, NFKC and lower-case a LinkedIn slug; None if it is not a plain slug."""
    try:
        slug = key_fold(unquote_to_bytes(raw).decode("utf-8"))
    except UnicodeError:
        return None
    if _ASCII_SLUG.fullmatch(slug):
        return slug
    valid = all(
        c.isalnum() or c in _SLUG_PUNCTUATION or unicodedata.category(c).startswith("M")
        for c in slug
    )
    return slug if slug and valid else None


def _linkedin_slug(value: object, kind: str) -> str | None:
    """Return the slug that follows ``/<kind>/`` on any LinkedIn host, or None."""
    url = _url_text(value)
    labels = _url_host(url) if url is not None else None
    if url is None or labels is None or not _LINKEDIN_HOST.fullmatch(".".join(labels)):
        return None
    path = re.split(r"[?#]", _split_url(url)[1], maxsplit=1)[0]
    segments = [part for part in path.split("/") if part]
    if segments[:1] == ["mwlite"]:  # LinkedIn's lite mobile site prefixes profile paths
        segments = segments[1:]
    if len(segments) < 2 or segments[0].lower() != kind:
        return None
    return _decode_slug(segments[1])


def linkedin_slug(value: str | None) -> str | None:
    """Return the canonical (decoded, lower-cased) slug of a LinkedIn profile URL, or None."""
    return _linkedin_slug(value, "in")


def linkedin_url(value: str | None) -> str | None:
    """Canonicalise a LinkedIn profile URL to ``https://www.linkedin.com/in/<slug>``."""
    slug = _linkedin_slug(value, "in")
    return f"https://www.linkedin.com/in/{slug}" if slug else None


def linkedin_url_from_slug(value: str | None) -> str | None:
    """Build the canonical profile URL from a bare slug (Proxycurl ``public_identifier``)."""
    slug = _decode_slug(value.strip().strip("/")) if isinstance(value, str) else None
    return f"https://www.linkedin.com/in/{slug}" if slug else None


def company_linkedin_url(value: str | None) -> str | None:
    """Canonicalise a LinkedIn company page URL to ``https://www.linkedin.com/company/<slug>``."""
    slug = _linkedin_slug(value, "company")
    return f"https://www.linkedin.com/company/{slug}" if slug else None


# --- LinkedIn's job taxonomy: ten seniority levels, 26 job functions ---------------

#: LinkedIn seniority, urn:li:seniority:1..10 in rank order (lowest first).
SENIORITY_LEVELS = (
    "Unpaid",
    "Training",
    "Entry",
    "Senior",
    "Manager",
    "Director",
    "VP",
    "CXO",
    "Partner",
    "Owner",
)

#: LinkedIn job functions, urn:li:function:1..26 (26 was called "Support").
JOB_FUNCTIONS = (
    "Accounting",
    "Administrative",
    "Arts and Design",
    "Business Development",
    "Community and Social Services",
    "Consulting",
    "Education",
    "Engineering",
    "Entrepreneurship",
    "Finance",
    "Healthcare Services",
    "Human Resources",
    "Information Technology",
    "Legal",
    "Marketing",
    "Media and Communication",
    "Military and Protective Services",
    "Operations",
    "Product Management",
    "Program and Project Management",
    "Purchasing",
    "Quality Assurance",
    "Real Estate",
    "Research",
    "Sales",
    "Customer Success and Support",
)

#: Other spellings callers use for a level or function (keys are folded, see `_vocab_key`).
_ALIASES = {
    "entry level": "Entry",
    "vice president": "VP",
    "c level": "CXO",
    "c suite": "CXO",
    "cxo level": "CXO",
    "intern": "Training",
    "internship": "Training",
    "support": "Customer Success and Support",
    "customer success": "Customer Success and Support",
    "customer support": "Customer Success and Support",
    "it": "Information Technology",
    "hr": "Human Resources",
    "project management": "Program and Project Management",
    "program management": "Program and Project Management",
    "qa": "Quality Assurance",
    "arts & design": "Arts and Design",
    "media & communication": "Media and Communication",
}

_SEPARATORS = re.compile(r"[\s_\-]+")


def _vocab_key(value: str) -> str:
    return _SEPARATORS.sub(" ", value).strip().casefold()


_SENIORITY = {_vocab_key(v): v for v in SENIORITY_LEVELS}
_FUNCTIONS = {_vocab_key(v): v for v in JOB_FUNCTIONS}


def canonical_seniority(value: str) -> str | None:
    """The stored spelling of a seniority level, or None if it is not one of the ten."""
    key = _vocab_key(value)
    found = _SENIORITY.get(key) or _ALIASES.get(key)
    return found if found in SENIORITY_LEVELS else None


def canonical_function(value: str) -> str | None:
    """The stored spelling of a job function, or None if it is not one of the 26."""
    key = _vocab_key(value)
    found = _FUNCTIONS.get(key) or _ALIASES.get(key)
    return found if found in JOB_FUNCTIONS else None


def seniority_rank(level: str) -> int:
    """Position of a canonical level in LinkedIn's order (Unpaid = 0 … Owner = 9)."""
    return SENIORITY_LEVELS.index(level)


# --- annotated types: the normalisers as pydantic field types -----------------------------

_Check = Callable[[str], str]


def _to(normalise: Callable[[str], str | None], problem: str) -> _Check:
    """Validate a value to what `normalise` makes of it; `problem` when that is None."""

    def validate(value: str) -> str:
        found = normalise(value)
        if found is None:
            raise ValueError(problem)
        return found

    return validate


def _as_sent(validate: _Check) -> _Check:
    """Validate as `validate` does, but keep the value as sent."""

    def check(value: str) -> str:
        validate(value)
        return value

    return check


def _blank_is_none(check: _Check) -> Callable[[str | None], str | None]:
    """None and "" (an empty cell) read as absent; anything else must pass `check`."""
    return lambda value: None if value in (None, "") else check(str(value))


_DOMAIN = _to(domain, "is not a domain or URL")
_PROFILE = _to(linkedin_url, "is not a LinkedIn profile URL (expected linkedin.com/in/<slug>)")

#: Any spelling of a domain, URL or host; validated to the company-domain key (`acme.com`).
Domain = Annotated[str, AfterValidator(_DOMAIN)]
#: Any spelling of a domain, URL or host; checked, but kept as sent.
DomainAsSent = Annotated[str, AfterValidator(_as_sent(_DOMAIN))]
#: A LinkedIn profile URL, any spelling; validated to `https://www.linkedin.com/in/<slug>`.
LinkedInProfileUrl = Annotated[str, AfterValidator(_PROFILE)]
#: A LinkedIn profile URL, any spelling, or None (also for ""); checked, but kept as sent.
LinkedInProfileUrlAsSent = Annotated[str | None, AfterValidator(_blank_is_none(_as_sent(_PROFILE)))]
#: One of LinkedIn's ten seniority levels, any known spelling; validated to the stored one.
Seniority = Annotated[
    str, AfterValidator(_to(canonical_seniority, f"is not one of {', '.join(SENIORITY_LEVELS)}"))
]
#: One of LinkedIn's 26 job functions, any known spelling; validated to the stored one.
JobFunction = Annotated[
    str,
    AfterValidator(
        _to(canonical_function, "is not one of LinkedIn's job functions (see the docs)")
    ),
]


def _iso_only(value: object) -> object:
    """Refuse a number where a date-time is meant (pydantic would read it as epoch seconds)."""
    if isinstance(value, int | float) or (
        isinstance(value, str) and _NUMBER.fullmatch(value.strip())
    ):
        raise ValueError("is not an ISO 8601 date-time (a number is not read as one)")
    return value


_NUMBER = re.compile(r"[-+]?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?")

#: A date-time written as ISO 8601, as the OpenAPI `date-time` format says; never a number.
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]
