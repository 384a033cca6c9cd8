"""Pure rules of company identity: which identifiers say two rows are one company.

A company is resolved on its identifiers in this order: normalised domain, normalised
LinkedIn company URL, provider org id (LinkedIn's numeric company id), normalised name.
The name key ignores case, accents' compatibility forms, punctuation and a trailing legal
form, so "Maybe-Consulting", "Maybe Consulting" and "maybe consulting GmbH" are one key.

Which of the companies an identifier finds a record joins (`mergeable`) is decided here
too, and `Replay` applies that decision to many profiles in order from one look-up, as
the profile chain's batches resolve their companies.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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


# --- resolution against known companies ------------------------------------------------


def compatible(row: Any, domain: str | None, linkedin_url: str | None) -> bool:
    """Whether a company found only by name may be this one: no domain or URL disagrees."""
    return (row.domain is None or domain is None or row.domain == domain) and (
        row.linkedin_url is None or linkedin_url is None or row.linkedin_url == linkedin_url
    )


def mergeable(rows: list[Any], domain: str | None, linkedin_url: str | None) -> list[Any]:
    """The hits that are this company: the first (best-ranked) one, every hit on a domain,
    LinkedIn URL or org id, and name hits that disagree neither with the payload nor with
    the first hit (so one name never joins two companies with different domains)."""
    kept: list[Any] = []
    for row in rows:
        if row.kind in ("name", "key") and not (
            compatible(row, domain, linkedin_url)
            and (not kept or compatible(row, kept[0].domain, kept[0].linkedin_url))
        ):
            continue
        kept.append(row)
    return kept


@dataclass
class Known:
    """A company as a round sees it: a row found (`order` (0, id)) or one the round
    inserts (`order` (1, n): after every row found, in the order they were created)."""

    company_key: str
    domain: str | None
    linkedin_url: str | None
    order: tuple[int, int]


@dataclass(frozen=True)
class Hit:
    """One company an identifier finds, shaped as a look-up row (`mergeable` reads it)."""

    kind: str
    company: Known
    via_alias: bool

    @property
    def domain(self) -> str | None:
        return self.company.domain

    @property
    def linkedin_url(self) -> str | None:
        return self.company.linkedin_url


@dataclass(frozen=True)
class Step:
    """A company record of a profile, resolved: the record, the same under the key of the
    company it is, the keys it stands for, and that company."""

    record: CompanyRecord
    settled: CompanyRecord
    keys: tuple[str, ...]
    company: Known


class Replay:
    """Company identity replayed over many profiles in order, from one look-up of every
    identifier they name (`store.companies.upsert_identified_many`).

    It starts from the companies and aliases the look-up found and adds what each profile
    resolved creates, fills in and aliases, so a later profile finds what one call per
    profile would have found (a row's look-up hits: its aliases, and the company rows
    whose domain, LinkedIn URL or key is the value)."""

    def __init__(self, rows: Sequence[Any]) -> None:
        self.companies: dict[str, Known] = {}
        self.rows: dict[tuple[str, str], list[Known]] = {}
        self.aliases: dict[tuple[str, str], Known] = {}
        self.added: dict[tuple[str, str], str] = {}
        self.records: dict[str, list[CompanyRecord]] = {}
        for row in rows:
            if row.company_key not in self.companies:
                known = Known(row.company_key, row.domain, row.linkedin_url, (0, row.id))
                self.companies[row.company_key] = known
                self._index(known)
            if row.via_alias:
                self.aliases[(row.kind, row.value)] = self.companies[row.company_key]

    def _index(self, company: Known) -> None:
        """What a company row answers to in a look-up (besides its aliases)."""
        for kind, value in (
            ("domain", company.domain),
            ("linkedin", company.linkedin_url),
            ("key", company.company_key),
        ):
            if value and company not in self.rows.get((kind, value), []):
                self.rows.setdefault((kind, value), []).append(company)

    def hits(self, record: CompanyRecord) -> list[Hit]:
        """The look-up's hits for one record: by identifier rank, then company id."""
        found = []
        for kind, value in record_keys(record):
            pair = [Hit(kind, c, False) for c in self.rows.get((kind, value), [])]
            if (owner := self.aliases.get((kind, value))) is not None:
                pair.append(Hit(kind, owner, True))
            found += sorted(pair, key=lambda hit: hit.company.order)
        return found

    def settle(self, record: CompanyRecord, keys: tuple[str, ...]) -> Step | None:
        """The company a record is (`store.companies._settle`'s common path); None when it
        needs a merge or gives a known company its domain (the rare path, run alone)."""
        usable = mergeable(self.hits(record), record.domain, record.linkedin_url)
        if not usable:
            company = self.companies.get(record.company_key) or self._create(record)
            return Step(record, record, keys, company)
        first = usable[0].company
        if any(hit.company is not first for hit in usable) or (
            first.domain is None and record.domain
        ):
            return None
        settled = record.model_copy(update={"company_key": first.company_key})
        return Step(record, settled, keys, first)

    def _create(self, record: CompanyRecord) -> Known:
        created = Known(
            record.company_key, record.domain, record.linkedin_url, (1, len(self.companies))
        )
        self.companies[record.company_key] = created
        return created

    def apply(self, step: Step) -> None:
        """What writing the step leaves behind: the company row, a LinkedIn URL it lacked,
        and every identifier not yet an alias as one of the company's."""
        company = step.company
        self.records.setdefault(company.company_key, []).append(step.settled)
        if company.linkedin_url is None and step.record.linkedin_url:
            company.linkedin_url = step.record.linkedin_url
        self._index(company)
        for pair in [*record_keys(step.record), *(("key", k) for k in step.keys)]:
            if pair not in self.aliases:
                self.aliases[pair] = company
                self.added[pair] = company.company_key

    def upserts(self) -> list[CompanyRecord]:
        """One record a company: the first one's name and domain, every later name as an
        alias and the first LinkedIn URL (what the upserts one after another leave)."""
        out = []
        for first, *rest in self.records.values():
            later = [n for r in rest for n in (r.name, *r.aliases)]
            names = [n for n in dict.fromkeys([*first.aliases, *later]) if n != first.name]
            linkedin = next((r.linkedin_url for r in (first, *rest) if r.linkedin_url), None)
            out.append(first.model_copy(update={"aliases": tuple(names), "linkedin_url": linkedin}))
        return out

    def folded(self) -> set[str]:
        """New companies a later record changed after the first inserted it (an upsert one
        after another would then have sorted their aliases)."""
        out = set()
        for key, (first, *rest) in self.records.items():
            if self.companies[key].order[0] == 0:
                continue
            names = {first.name, *first.aliases}
            if any(
                not {r.name, *r.aliases} <= names or (first.linkedin_url is None and r.linkedin_url)
                for r in rest
            ):
                out.add(key)
        return out

    def new_aliases(self) -> list[tuple[tuple[str, str], str]]:
        """Identifiers that become aliases, each of the first company that named it."""
        return list(self.added.items())
