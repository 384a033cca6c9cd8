"""`identity.Replay`: company identity over many profiles from one look-up, as one call per
profile would resolve it (the database side is `tests/integration/test_personsteps.py`)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from pipeline import identity
from schemas.records import CompanyRecord


def _row(kind: str, value: str, cid: int, key: str, **more: Any) -> SimpleNamespace:
    """A look-up row: company `cid` found by (kind, value)."""
    fields = {"domain": None, "linkedin_url": None, "via_alias": False} | more
    return SimpleNamespace(kind=kind, value=value, id=cid, company_key=key, **fields)


def _settle_all(replay: identity.Replay, *records: CompanyRecord) -> list[str | None]:
    """Each record as its own profile, in order; the company key each settles on."""
    keys: list[str | None] = []
    for record in records:
        step = replay.settle(record, (record.company_key,))
        keys.append(step.company.company_key if step else None)
        if step:
            replay.apply(step)
    return keys


def test_a_company_created_earlier_in_the_call_is_found_by_its_name() -> None:
    replay = identity.Replay([])
    acme = CompanyRecord(company_key="acme.com", domain="acme.com", name="Acme")
    named = CompanyRecord(company_key="name:acme inc", name="Acme Inc")
    assert _settle_all(replay, acme, named) == ["acme.com", "acme.com"]
    [upsert] = replay.upserts()
    assert (upsert.company_key, upsert.name, upsert.aliases) == ("acme.com", "Acme", ("Acme Inc",))
    assert replay.folded() == {"acme.com"}  # a new name after the insert: aliases sorted
    assert ("name", "acme") in dict(replay.new_aliases())


def test_a_repeat_that_adds_nothing_keeps_the_first_record() -> None:
    replay = identity.Replay([])
    first = CompanyRecord(company_key="b.io", domain="b.io", name="B", aliases=("Bee", "Be"))
    again = CompanyRecord(company_key="b.io", domain="b.io", name="Bee")
    assert _settle_all(replay, first, again) == ["b.io", "b.io"]
    assert replay.upserts()[0].aliases == ("Bee", "Be")
    assert replay.folded() == set()


def test_a_known_company_takes_a_linkedin_url_that_later_records_find() -> None:
    replay = identity.Replay([_row("domain", "z.com", 7, "z.com", domain="z.com")])
    url = "https://www.linkedin.com/company/zeta"
    first = CompanyRecord(company_key="z.com", domain="z.com", name="Zeta", linkedin_url=url)
    by_url = CompanyRecord(company_key="name:zeta social", name="Zeta Social", linkedin_url=url)
    assert _settle_all(replay, first, by_url) == ["z.com", "z.com"]
    assert replay.folded() == set()  # known rows merge their aliases in SQL


X_URL = "https://www.linkedin.com/company/x"


def test_two_companies_linked_or_a_domain_learnt_take_the_rare_path() -> None:
    replay = identity.Replay(
        [
            _row("domain", "x.com", 1, "x.com", domain="x.com"),
            _row("linkedin", X_URL, 2, "name:x social", linkedin_url=X_URL),
        ]
    )
    both = CompanyRecord(
        company_key="x.com",
        domain="x.com",
        name="X",
        linkedin_url=X_URL,
    )
    assert replay.settle(both, ("x.com",)) is None
    replay = identity.Replay([_row("name", "hotel", 3, "name:hotel co", via_alias=True)])
    learnt = CompanyRecord(company_key="hotel.com", domain="hotel.com", name="Hotel")
    assert replay.settle(learnt, ("hotel.com",)) is None
