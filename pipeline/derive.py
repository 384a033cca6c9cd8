"""Derive what `sync_core` writes for one person from an extracted ProfileRecord.

Pure: companies merged by company key, the work history, current titles, tenure, promotions
and past employers all come from the profile's experience rows alone, so the rules can be
tested without a database (the old service buried them in a trigger).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date

from pipeline import normalize
from schemas import canonical
from schemas.records import (
    CompanyRecord,
    CoreRecord,
    ExperienceRecord,
    PastEmployerRecord,
    ProfileRecord,
    PromotionRecord,
    TenureRecord,
    WorkHistoryRecord,
)


def _key(row: ExperienceRecord) -> str | None:
    """The row's company key, computed from its domain and name if the extractor left it out."""
    return row.company_key or normalize.company_key(row.company_domain, row.company_name)


@dataclass
class _CompanyDraft:
    """A company being merged over the experience rows that share its key."""

    key: str
    domain: str | None = None
    linkedin_url: str | None = None
    names: list[str] = field(default_factory=list)

    def add(self, row: ExperienceRecord) -> None:
        """Fold one row in: its spelling (first seen wins), domain and LinkedIn page."""
        name = normalize.clean_text(row.company_name)
        if name and name not in self.names:
            self.names.append(name)
        self.domain = self.domain or canonical.domain(row.company_domain)
        self.linkedin_url = self.linkedin_url or row.company_linkedin_url

    def record(self) -> CompanyRecord:
        """Freeze the draft; a company known only by its domain is named after it."""
        return CompanyRecord(
            company_key=self.key,
            domain=self.domain,
            name=self.names[0] if self.names else self.domain or self.key,
            aliases=tuple(self.names[1:]),
            linkedin_url=self.linkedin_url,
        )


def merge_companies(rows: tuple[ExperienceRecord, ...]) -> dict[str, CompanyRecord]:
    """Merge experience rows into companies by key, in first-seen order."""
    drafts: dict[str, _CompanyDraft] = {}
    for row in rows:
        key = _key(row)
        if key is not None:
            drafts.setdefault(key, _CompanyDraft(key)).add(row)
    return {key: draft.record() for key, draft in drafts.items()}


def _work_row(row: ExperienceRecord) -> WorkHistoryRecord:
    """One `core.person_work_history` row per experience row, kept even without a company."""
    return WorkHistoryRecord(
        position=row.position,
        company_key=_key(row),
        company_name=row.company_name,
        company_domain=row.company_domain,
        title=row.title,
        start=row.start,
        end=row.end,
        is_current=row.is_current,
    )


def current_titles(rows: tuple[ExperienceRecord, ...]) -> tuple[str, ...]:
    """Titles of the current rows in array order, each title once."""
    titles = (row.title for row in rows if row.is_current and row.title)
    return tuple(dict.fromkeys(titles))


def _start_value(row: ExperienceRecord) -> date:
    """A row's start date for ordering; an undated row sorts before every dated one."""
    return row.start.value if row.start else date.min


def tenure(rows: tuple[ExperienceRecord, ...]) -> TenureRecord | None:
    """The current row that started last (ties: first in the array); None without one."""
    current = [row for row in rows if row.is_current]
    if not current:
        return None
    latest = max(current, key=_start_value)  # max keeps the first of equal keys
    return TenureRecord(
        company_key=_key(latest),
        company_name=latest.company_name,
        company_domain=latest.company_domain,
        title=latest.title,
        start=latest.start,
    )


def _successive(key: str, ordered: list[ExperienceRecord]) -> list[PromotionRecord]:
    """Promotions between chronologically successive rows at one company whose title changes."""
    return [
        PromotionRecord(
            company_key=key, from_title=old.title, to_title=new.title, promoted_on=new.start
        )
        for old, new in itertools.pairwise(ordered)
        if old.title and new.title and old.title.casefold() != new.title.casefold()
    ]


def promotions(rows: tuple[ExperienceRecord, ...]) -> tuple[PromotionRecord, ...]:
    """Successive title changes per company, ordered by start date; undated rows are skipped.

    Rows starting on the same date are ordered by array position, later first, because
    providers list a person's experience newest first.
    """
    by_company: dict[str, list[ExperienceRecord]] = {}
    for row in rows:
        key = _key(row)
        if key is not None and row.start is not None:
            by_company.setdefault(key, []).append(row)
    found: list[PromotionRecord] = []
    for key, group in by_company.items():
        found += _successive(key, sorted(group, key=lambda r: (_start_value(r), -r.position)))
    return tuple(found)


def past_employers(
    rows: tuple[ExperienceRecord, ...], companies: dict[str, CompanyRecord]
) -> tuple[PastEmployerRecord, ...]:
    """Companies that appear only in ended rows, in first-seen order, with their aliases."""
    still_there = {_key(row) for row in rows if row.is_current}
    keys = dict.fromkeys(_key(row) for row in rows if not row.is_current)
    return tuple(
        PastEmployerRecord(
            company_key=key,
            company_name=companies[key].name,
            company_domain=companies[key].domain,
            aliases=companies[key].aliases,
        )
        for key in keys
        if key is not None and key not in still_there
    )


def derive_core(profile: ProfileRecord) -> CoreRecord:
    """Derive everything `sync_core` writes for one person from the extracted profile."""
    rows = tuple(sorted(profile.experiences, key=lambda row: row.position))
    companies = merge_companies(rows)
    return CoreRecord(
        linkedin_url=profile.linkedin_url,
        slug=profile.slug,
        full_name=profile.full_name,
        current_titles=current_titles(rows),
        companies=tuple(companies.values()),
        work_history=tuple(_work_row(row) for row in rows),
        tenure=tenure(rows),
        promotions=promotions(rows),
        past_employers=past_employers(rows, companies),
    )
