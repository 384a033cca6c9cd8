"""Pure rules of company identity: which identifiers say two rows are one company.

A company is resolved on its identifiers in this order: normalised domain, normalised
LinkedIn company URL, provider org id (LinkedIn's numeric company id), normalised name.
The name key ignores case, accents' compatibility forms, punctuation and a trailing legal
form, so "Maybe-Consulting", "Maybe Consulting" and "maybe consulting GmbH" are one key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from schemas.records import CompanyRecord

#: Identifier kinds in the order identity is resolved on them.
ORDER = ("domain", "linkedin", "org_id", "name")

_NOT_WORD = re.compile(r"[^\w]+")
#: Legal forms dropped from the end of a name before it is compared.
LEGAL_FORMS = frozenset(
    """inc incorporated llc l l c ltd limited corp corporation co company plc gmbh ag sa sas
    sarl bv nv as asa ab oy spa srl pty pte kg lp llp""".split()
)


def name_key(name: str | None) -> str | None:
    """The key two spellings of one company name share; None for a blank name."""
    if not name:
        return None
    folded = unicodedata.normalize("NFKC", name).casefold()
    words = [w for w in _NOT_WORD.sub(" ", folded).replace("_", " ").split() if w]
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    return " ".join(words) or None


def org_id(value: object) -> str | None:
    """A provider org id as text ("12345"); None for blanks."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text if text and text.lower() not in {"null", "none", "undefined"} else None


def record_keys(record: CompanyRecord) -> list[tuple[str, str]]:
    """(kind, value) identifiers of a company a person's experience names, in order."""
    names = [key for n in (record.name, *record.aliases) if (key := name_key(n))]
    pairs = [
        ("domain", record.domain),
        ("linkedin", record.linkedin_url),
        ("key", record.company_key),
        *(("name", n) for n in dict.fromkeys(names)),
    ]
    return [(kind, value) for kind, value in pairs if value]


def _same(a: CompanyRecord, b: CompanyRecord) -> bool:
    if a.domain and a.domain == b.domain:
        return True
    if a.linkedin_url and a.linkedin_url == b.linkedin_url:
        return True
    if (a.domain and b.domain) or (
        a.linkedin_url and b.linkedin_url and a.linkedin_url != b.linkedin_url
    ):
        return False
    names_a = {v for k, v in record_keys(a) if k == "name"}
    return any(v in names_a for k, v in record_keys(b) if k == "name")


def _conflict(a: CompanyRecord, b: CompanyRecord) -> bool:
    """Whether two records cannot be one company: their domains or LinkedIn URLs differ
    (and nothing strong joins them)."""
    if (a.domain and a.domain == b.domain) or (a.linkedin_url and a.linkedin_url == b.linkedin_url):
        return False
    return bool((a.domain and b.domain) or (a.linkedin_url and b.linkedin_url))


def group_companies(
    records: Sequence[CompanyRecord],
) -> list[tuple[CompanyRecord, tuple[str, ...]]]:
    """Fold records that name one company (shared domain or LinkedIn URL, or the same name
    key where neither disagrees) into one; returns each with the keys it stands for."""
    groups: list[list[CompanyRecord]] = []
    for record in records:
        home = next(
            (
                g
                for g in groups
                if any(_same(record, other) for other in g)
                and not any(_conflict(record, other) for other in g)
            ),
            None,
        )
        if home is None:
            groups.append([record])
        else:
            home.append(record)
    return [(_fold(group), tuple(r.company_key for r in group)) for group in groups]


def _fold(group: list[CompanyRecord]) -> CompanyRecord:
    first = next((r for r in group if r.domain), group[0])
    names = [n for r in group for n in (r.name, *r.aliases)]
    return CompanyRecord(
        company_key=first.company_key,
        domain=first.domain,
        name=first.name,
        aliases=tuple(n for n in dict.fromkeys(names) if n != first.name),
        linkedin_url=next((r.linkedin_url for r in group if r.linkedin_url), None),
    )
