"""Pure normalisers for the values users join on: LinkedIn URLs, domains, dates, names, emails.

Every public function is total (any str or None in, never an exception out; unusable input
gives None) and idempotent (an output fed back in comes out unchanged), so a stage may apply
them to values that were already normalised, e.g. on replay.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import unquote_to_bytes

from schemas.records import PartialDate, Precision

_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://", re.IGNORECASE)
#: Full stops that IDNA treats as label separators (ideographic, full-width, half-width).
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_PORT = re.compile(r"[0-9]*", re.ASCII)
_ASCII_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)
_LINKEDIN_HOST = re.compile(r"(?:[a-z0-9-]+\.)*linkedin\.com", re.ASCII)
_BRACKETED = re.compile(r"<([^<>]*)>$")
_LOCAL_PART = re.compile(r"[^\s@\"(),:;<>\[\]\\]{1,64}")
_SLUG_PUNCTUATION = frozenset("-_")
#: End-date words that mean "still there".
_OPEN_END_WORDS = frozenset({"present", "current", "now", "ongoing", "today"})
_OPEN_END_TEXT = _OPEN_END_WORDS | {""}
_ISO_DATE = re.compile(
    r"([0-9]{4})(?:[-/.]([0-9]{1,2})(?:[-/.]([0-9]{1,2})(?:[T ].*)?)?)?", re.ASCII
)
_MONTH_YEAR = re.compile(r"([a-z]{3,9})\.?,?\s+([0-9]{4})", re.ASCII)
_MONTHS = (
    "january february march april may june july august september october november december"
).split()

#: Free-mail providers whose domain says nothing about the sender's employer.
FREE_EMAIL_DOMAINS = frozenset(
    """
    gmail.com googlemail.com icloud.com me.com mac.com aol.com aim.com proton.me pm.me
    protonmail.com protonmail.ch tutanota.com tutanota.de tuta.io tuta.com fastmail.com
    fastmail.fm hey.com duck.com mail.com email.com usa.com post.com hushmail.com lycos.com
    zoho.com zohomail.com zohomail.eu web.de freenet.de t-online.de posteo.de posteo.net
    mailbox.org arcor.de mail.ru inbox.ru list.ru bk.ru internet.ru rambler.ru ya.ru qq.com
    foxmail.com 163.com 126.com yeah.net sina.com sina.cn sohu.com aliyun.com 139.com
    naver.com hanmail.net daum.net kakao.com rediffmail.com seznam.cz email.cz centrum.cz
    wp.pl o2.pl onet.pl interia.pl op.pl libero.it virgilio.it tiscali.it alice.it tin.it
    orange.fr wanadoo.fr laposte.net free.fr sfr.fr neuf.fr btinternet.com sky.com
    virginmedia.com ntlworld.com talktalk.net blueyonder.co.uk comcast.net verizon.net
    att.net sbcglobal.net bellsouth.net cox.net charter.net earthlink.net juno.com shaw.ca
    rogers.com sympatico.ca bigpond.com bigpond.net.au optusnet.com.au xtra.co.nz ziggo.nl
    home.nl planet.nl kpnmail.nl telenet.be skynet.be bluewin.ch terra.com.br bol.com.br
    uol.com.br abv.bg ukr.net inbox.lv gmx.de gmx.net gmx.at gmx.ch
    """.split()
)
#: Provider brands that run the same free service under many country domains.
_FREE_EMAIL_FAMILY = re.compile(
    r"(?:yahoo|ymail|rocketmail|hotmail|outlook|live|windowslive|msn|gmx|yandex|aol)"
    r"\.(?:com|net|(?:com?\.)?[a-z]{2})",
    re.ASCII,
)

#: Top head count of each size bucket; anything above the last is "10001+".
_SIZE_TOPS = (10, 50, 200, 500, 1000, 5000, 10000)
#: The PDL/LinkedIn company-size buckets, smallest first.
SIZE_BUCKETS = (
    *(f"{low + 1}-{top}" for low, top in itertools.pairwise((0, *_SIZE_TOPS))),
    f"{_SIZE_TOPS[-1] + 1}+",
)
_THOUSANDS = re.compile(r"(?<=[0-9])[,.'’\u00a0\u202f ](?=[0-9]{3}(?![0-9]))")
_KILO = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*k\b", re.ASCII)
_SIZE_RANGE = re.compile(r"([0-9]{1,15})\s*(?:-|–|—|to)\s*([0-9]{1,15})")
_SIZE_ABOVE = re.compile(r"(?:([0-9]{1,15})\s*\+|(?:over|more than|above|>)\s*([0-9]{1,15}))")
_SIZE_BELOW = re.compile(r"(?:less than|fewer than|under|<)\s*([0-9]{1,15})")
_SIZE_SINGLE = re.compile(r"[0-9]{1,15}")


def _fold(text: str) -> str:
    """NFC-normalise and lower-case (``str.lower``, not casefold) in a stable order."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).lower())


def clean_text(value: object) -> str | None:
    """Trim, collapse inner whitespace and NFC-normalise a text field; blank gives None."""
    if not isinstance(value, str):
        return None
    text = " ".join(unicodedata.normalize("NFC", value).split())
    return text or None


def clean_multiline(value: object) -> str | None:
    """Like `clean_text` for long free text (summaries): keeps line breaks, trims each line."""
    if not isinstance(value, str):
        return None
    lines = unicodedata.normalize("NFC", value).splitlines()
    text = "\n".join(" ".join(line.split()) for line in lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text) or None


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
            label = _fold(label[4:].encode("ascii").decode("punycode"))
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


def _host_labels(host: str) -> list[str] | None:
    """Validate a bare host name; return its normalised labels, or None if it is not a host."""
    host = _fold(host.translate(_DOTS)).removesuffix(".")
    if not host or len(host) > 253 or any(c.isspace() for c in host):
        return None
    labels = [_label(part) for part in host.split(".")]
    if len(labels) < 2 or any(part is None for part in labels):
        return None
    valid = [part for part in labels if part is not None]
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
    return _host_labels(host)


def domain(value: str | None) -> str | None:
    """Normalise a website, URL or host to the company-domain key (``acme.com``)."""
    if not isinstance(value, str) or any(c.isspace() for c in value.strip()):
        return None
    labels = _url_host(value)
    while labels is not None and len(labels) > 2 and labels[0] == "www":
        labels = labels[1:]
    return ".".join(labels) if labels else None


def email(value: str | None) -> str | None:
    """Normalise an email address for matching (trimmed, lower-cased); None if not one."""
    if not isinstance(value, str):
        return None
    text = _fold(value.strip())
    if bracketed := _BRACKETED.search(text):  # "Jane Doe <jane@acme.com>"
        text = bracketed.group(1).strip()
    if text.startswith("mailto:"):
        text = text.removeprefix("mailto:").split("?", 1)[0]
    local, at, host = text.rpartition("@")
    if not at or not _LOCAL_PART.fullmatch(local) or ".." in local or not local.isprintable():
        return None
    labels = _host_labels(host) if not local.startswith(".") and not local.endswith(".") else None
    return f"{local}@{'.'.join(labels)}" if labels else None


def email_domain(value: str | None) -> str | None:
    """Return the normalised domain of an email address (``mailto:`` accepted), or None."""
    address = email(value)
    return domain(address.rpartition("@")[2]) if address else None


def is_free_email_domain(value: str | None) -> bool:
    """Whether a domain belongs to a free-mail provider (so it is not a company domain)."""
    host = domain(value)
    return host is not None and (
        host in FREE_EMAIL_DOMAINS or bool(_FREE_EMAIL_FAMILY.fullmatch(host))
    )


def is_free_email(value: str | None) -> bool:
    """Whether an email address is at a free-mail provider (gmail, outlook, yahoo, …)."""
    return is_free_email_domain(email_domain(value))


def _decode_slug(raw: str) -> str | None:
    """Percent-decode, NFC and lower-case a LinkedIn slug; None if it is not a plain slug."""
    try:
        slug = _fold(unquote_to_bytes(raw).decode("utf-8"))
    except UnicodeError:
        return None
    valid = all(
        c.isalnum() or c in _SLUG_PUNCTUATION or unicodedata.category(c).startswith("M")
        for c in slug
    )
    return slug if slug and valid else None


def _linkedin_slug(value: object, kind: str) -> str | None:
    """Return the slug that follows ``/<kind>/`` on any LinkedIn host, or None."""
    if not isinstance(value, str) or any(c.isspace() for c in value.strip()):
        return None
    labels = _url_host(value)
    if labels is None or not _LINKEDIN_HOST.fullmatch(".".join(labels)):
        return None
    path = re.split(r"[?#]", _split_url(value)[1], maxsplit=1)[0]
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


def _make_date(year: int, month: int, day: int, precision: Precision) -> PartialDate | None:
    """Build a PartialDate, or None when the parts are not a real calendar date."""
    try:
        return PartialDate(value=date(year, month, day), precision=precision)
    except (ValueError, OverflowError):
        return None


def _date_part(value: object) -> int | None:
    """Read one day/month/year part given as an int, an integral float or a digit string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    return None


def _date_from_parts(parts: Mapping[str, object]) -> PartialDate | None:
    """Read a Proxycurl ``{day, month, year}`` date; a null month or day lowers the precision."""
    year, month, day = (_date_part(parts.get(key)) for key in ("year", "month", "day"))
    if year is None:
        return None
    if month is None:
        return _make_date(year, 1, 1, "year")
    if day is None:
        return _make_date(year, month, 1, "month")
    return _make_date(year, month, day, "day")


def _date_from_text(text: str, *, clay: bool) -> PartialDate | None:
    """Read ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD[T…]`` or ``Mon YYYY``."""
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        return _date_from_month_name(text.lower())
    year, month, day = match.groups()
    if month is None:
        return _make_date(int(year), 1, 1, "year")
    if day is None:
        return _make_date(int(year), int(month), 1, "month")
    # Clay pads every date to the 1st, so a Clay day of 1 tells nothing about precision.
    precision: Precision = "unknown" if clay and int(day) == 1 else "day"
    return _make_date(int(year), int(month), int(day), precision)


def _date_from_month_name(text: str) -> PartialDate | None:
    """Read LinkedIn display dates such as ``Sep 2023`` or ``September 2023``."""
    match = _MONTH_YEAR.fullmatch(text)
    if match is None:
        return None
    name, year = match.groups()
    months = [i for i, full in enumerate(_MONTHS, start=1) if full.startswith(name)]
    return _make_date(int(year), months[0], 1, "month") if months else None


def partial_date(value: object, *, clay: bool = False) -> PartialDate | None:
    """Parse a provider date into a PartialDate; open ends ("Present", null) give None.

    ``clay=True`` marks Clay's ``YYYY-MM-01`` dates as precision ``unknown``.
    """
    if isinstance(value, PartialDate):
        return value
    if isinstance(value, Mapping):
        return _date_from_parts(value)
    if isinstance(value, date):
        return _make_date(value.year, value.month, value.day, "day")
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return _make_date(value, 1, 1, "year")
    if not isinstance(value, str) or value.strip().lower() in _OPEN_END_WORDS:
        return None
    return _date_from_text(value.strip(), clay=clay)


def is_open_end(value: object) -> bool:
    """Whether a raw end date means "still there": null, blank, "Present" or a yearless dict."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip().lower() in _OPEN_END_TEXT
    return isinstance(value, Mapping) and value.get("year") is None


def timestamp(value: object) -> datetime | None:
    """Parse a provider refresh time (ISO in many spellings, RFC 2822, epoch s/ms) as UTC."""
    if isinstance(value, datetime):
        return _as_utc(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", text):
        return _from_epoch(float(text))
    try:
        return timestamp(datetime.fromisoformat(re.sub(r"\s*(?:UTC|GMT)$", "Z", text)))
    except ValueError:
        pass
    try:
        return timestamp(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _as_utc(moment: datetime) -> datetime | None:
    """Read a naive datetime as UTC and convert an aware one to UTC."""
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _from_epoch(number: float) -> datetime | None:
    """Read epoch seconds, or milliseconds when the number is too large to be seconds."""
    try:
        seconds = float(number)
        return datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _split_full_name(
    first: str | None, last: str | None, full: str
) -> tuple[str | None, str | None]:
    """Fill a missing first or last name from the full name (on the last space by default)."""
    if full in (first, last):  # a single known part is the whole name
        return first, last
    if first and full.startswith(first + " "):
        return first, last or full[len(first) + 1 :]
    if last and full.endswith(" " + last):
        return first or full[: -len(last) - 1], last
    head, _, tail = full.rpartition(" ")
    return first or head or tail, last or (tail if head else None)


def person_name(
    first: str | None, last: str | None, full: str | None
) -> tuple[str | None, str | None, str | None]:
    """Clean (first, last, full), building the full name or splitting it when parts are missing."""
    first, last, full = clean_text(first), clean_text(last), clean_text(full)
    if full is None:
        full = " ".join(part for part in (first, last) if part) or None
    elif first is None or last is None:
        first, last = _split_full_name(first, last, full)
    return first, last, full


def _bucket_for(count: float) -> str | None:
    """Return the size bucket that contains a head count."""
    if (isinstance(count, float) and not math.isfinite(count)) or count < 0:
        return None
    return SIZE_BUCKETS[bisect.bisect_left(_SIZE_TOPS, count)]


def _size_from_text(text: str) -> str | None:
    """Read a head-count range, an open range (``10,001+``), a bound or a single number."""
    text = _THOUSANDS.sub("", text.lower())
    text = _KILO.sub(lambda m: str(round(float(m.group(1)) * 1000)), text)
    if match := _SIZE_RANGE.search(text):
        return _bucket_for((int(match.group(1)) + int(match.group(2))) / 2)
    if match := _SIZE_ABOVE.search(text):
        low = int(match.group(1) or match.group(2))
        # "10000+" means more than a bucket's top, so it belongs to the next bucket up.
        return _bucket_for(low + 1 if low in _SIZE_TOPS else low)
    if match := _SIZE_BELOW.search(text):
        return _bucket_for(max(int(match.group(1)) - 1, 0))
    if match := _SIZE_SINGLE.search(text):
        return _bucket_for(int(match.group(0)))
    return "1-10" if "self-employed" in text or "myself only" in text else None


def company_size_bucket(value: object) -> str | None:
    """Map a head count or size text ('501-1,000 employees', 5000) to a PDL/LinkedIn bucket."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _bucket_for(value)
    return _size_from_text(value) if isinstance(value, str) else None


def company_key(domain: str | None, name: str | None) -> str | None:
    """Key a company by normalised domain, else ``name:`` + its folded name; None if neither."""
    host = _domain(domain)
    if host is not None:
        return host
    text = clean_text(name)
    return f"name:{_fold(text)}" if text else None


#: `company_key` takes a parameter called ``domain``; this keeps the function reachable.
_domain = domain
