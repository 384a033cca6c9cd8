"""Pure normalisers for the values users join on: emails, names, company sizes and keys.

Domains, LinkedIn URLs and LinkedIn's taxonomy live in `schemas.canonical` (request bodies
validate with them too); the functions here build on them.

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

from schemas import canonical

_BRACKETED = re.compile(r"<([^<>]*)>$")
_LOCAL_PART = re.compile(r"[^\s@\"(),:;<>\[\]\\]{1,64}")
#: End-date words that mean "still there".
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


def email(value: str | None) -> str | None:
    """Normalise an email address for matching (trimmed, lower-cased); None if not one."""
    if not isinstance(value, str):
        return None
    text = canonical.key_fold(value.strip())
    if bracketed := _BRACKETED.search(text):  # "Jane Doe <jane@acme.com>"
        text = bracketed.group(1).strip()
    if text.startswith("mailto:"):
        text = text.removeprefix("mailto:").split("?", 1)[0]
    local, at, host = text.rpartition("@")
    if not at or not _LOCAL_PART.fullmatch(local) or ".." in local or not local.isprintable():
        return None
    labels = None if local.startswith(".") or local.endswith(".") else canonical.host_labels(host)
    return f"{local}@{'.'.join(labels)}" if labels else None


def email_domain(value: str | None) -> str | None:
    """Return the normalised domain of an email address (``mailto:`` accepted), or None."""
    address = email(value)
    return canonical.domain(address.rpartition("@")[2]) if address else None


def is_free_email_domain(value: str | None) -> bool:
    """Whether a domain belongs to a free-mail provider (so it is not a company domain)."""
    host = canonical.domain(value)
    return host is not None and (
        host in FREE_EMAIL_DOMAINS or bool(_FREE_EMAIL_FAMILY.fullmatch(host))
    )


def is_free_email(value: str | None) -> bool:
    """Whether an email address is at a free-mail provider (gmail, outlook, yahoo, …)."""
    return is_free_email_domain(email_domain(value))


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


#: A head count written with a leading minus sign (ASCII, Unicode minus, or a dash).
_NEGATIVE = re.compile(r"\s*[-\u2212\u2013]\s*[0-9]")


def is_negative_count(value: object) -> bool:
    """Whether a head count is negative (`-5`, `"-40"`, `"− 12 employees"`): no bucket fits it."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value < 0
    return isinstance(value, str) and bool(_NEGATIVE.match(value))


def company_size_bucket(value: object) -> str | None:
    """Map a head count or size text ('501-1,000 employees', 5000) to a PDL/LinkedIn bucket."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _bucket_for(value)
    return _size_from_text(value) if isinstance(value, str) else None


def company_key(domain: str | None, name: str | None) -> str | None:
    """Key a company by normalised domain, else ``name:`` + its folded name; None if neither."""
    host = canonical.domain(domain)
    if host is not None:
        return host
    text = clean_text(name)
    return f"name:{_fold(text)}" if text else None
