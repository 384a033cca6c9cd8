"""People-side extractors and merge rules, pure (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pipeline import person_merge
from pipeline.person_merge import EmailResult, ObservedJob
from pipeline.workflows import anymailfinder, icypeas, leadmagic
from pipeline.workflows import people as p
from schemas.records import ExperienceRecord, PartialDate

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_anymailfinder_v5_v4_and_not_found() -> None:
    # v5 shape (AnyMailFinder API docs: email_status valid|risky|not_found|blacklisted).
    (v5,) = anymailfinder.read({"email": "Jane@Acme.com", "email_status": "risky"})
    assert (v5.email, v5.status, v5.raw_status) == ("jane@acme.com", "risky", "risky")
    # v4 shape (the sample): results.validation, alternatives kept as details.
    (v4,) = anymailfinder.read(
        {"results": {"email": "a@b.io", "validation": "valid", "alternatives": ["x@b.io"]}}
    )
    assert v4.status == "valid" and v4.details["alternatives"] == ["x@b.io"]
    assert anymailfinder.read({"email": None, "email_status": "not_found"}) == []
    (black,) = anymailfinder.read({"email": "a@b.io", "email_status": "blacklisted"})
    assert black.status == "invalid"


def test_icypeas_wrapped_results_and_certainties() -> None:
    # A read of a search (Icypeas API docs): items[0].results.emails[].certainty.
    payload = {
        "items": [
            {
                "status": "DEBITED",
                "results": {
                    "emails": [
                        {"email": "p@ic.com", "certainty": "probable", "mxProvider": "google"},
                        {"email": "q@ic.com", "certainty": "very_sure", "mxRecords": ["MX.ic.com"]},
                    ]
                },
            }
        ]
    }
    found = {f.email: f for f in icypeas.read(payload)}
    assert found["p@ic.com"].status == "risky"
    assert found["q@ic.com"].status == "valid"
    assert found["q@ic.com"].mx_records == ("mx.ic.com",)
    assert icypeas.read({"status": "NOT_FOUND", "emails": []}) == []


def test_leadmagic_statuses() -> None:
    assert leadmagic.read({"email": None, "status": "not_found"}) == []
    (plain,) = leadmagic.read({"email": "a@b.io", "status": "catch_all"})
    assert (plain.status, plain.catch_all) == ("catch_all", True)
    (bad,) = leadmagic.read({"email": "a@b.io", "status": "invalid", "has_mx": "false"})
    assert bad.status == "invalid" and bad.details["has_mx"] is False


def test_clay_dates_and_member_ids() -> None:
    assert p.clay_date("08-2024") == PartialDate(value=date(2024, 8, 1), precision="month")
    assert p.clay_date("Mar 3, 2026 at 14:05") == PartialDate(
        value=date(2026, 3, 3), precision="day"
    )
    assert p.clay_date("2026-03-03T14:05:00Z") == PartialDate(
        value=date(2026, 3, 3), precision="day"
    )
    assert p.clay_date("null") is None
    month = p.clay_date("2026-01")
    assert month is not None and month.precision == "month"
    assert p.clay_date(month) == month  # an already-read date passes through
    assert p.clay_timestamp("Mar 3, 2026 at 2:05 PM") == datetime(2026, 3, 3, 14, 5, tzinfo=UTC)
    assert p.clay_timestamp("2026-03-03T14:05:00Z") == datetime(2026, 3, 3, 14, 5, tzinfo=UTC)
    urn = "urn:li:fs_salesProfile:(ACwAAAFAKEFAKEFAKEFAKEFAKEFAKEFAKE00,NAME_SEARCH,x1)"
    assert p.member_id(urn) == "ACwAAAFAKEFAKEFAKEFAKEFAKEFAKEFAKE00"
    in_url = "https://www.linkedin.com/in/ACwAAAFAKEFAKEFAKEFAKEFAKEFAKEFAKE00"
    assert p.member_id(in_url) == "ACwAAAFAKEFAKEFAKEFAKEFAKEFAKEFAKE00"
    assert p.profile_url(in_url) is None  # not a public profile URL
    assert p.profile_url("WWW.LinkedIn.com/in/Jane-Doe/") == "https://www.linkedin.com/in/jane-doe"
    assert p.member_id("https://www.linkedin.com/in/jane-doe") is None


def _result(email: str, status: str, minutes: int, priority: int = 1) -> EmailResult:
    return EmailResult(email, "p", status, "slug", T0 + timedelta(minutes=minutes), priority)


def test_best_email_status_then_recency_then_priority() -> None:
    results = [
        _result("old@x.io", "valid", 0),
        _result("new@x.io", "valid", 5),
        _result("risky@x.io", "risky", 9),
        _result("bad@x.io", "invalid", 10),
    ]
    winner, reason = person_merge.best_email(results) or (None, "")
    assert winner is not None and winner.email == "new@x.io"
    assert "newest" in reason and "invalid" in reason
    tie = [_result("a@x.io", "valid", 0, priority=3), _result("b@x.io", "valid", 0, priority=1)]
    best = person_merge.best_email(tie)
    assert best is not None and best[0].email == "b@x.io"
    assert person_merge.best_email([_result("bad@x.io", "invalid", 0)]) is None


def _row(position: int, company: str, title: str, start: date) -> ExperienceRecord:
    return ExperienceRecord(
        position=position,
        company_name=company,
        company_domain=f"{company.lower()}.com",
        company_key=f"{company.lower()}.com",
        title=title,
        start=PartialDate(value=start, precision="month"),
        is_current=True,
    )


def _job(company: str, title: str, start: date, kind: str | None, minutes: int) -> ObservedJob:
    return ObservedJob(
        company_name=company,
        company_domain=f"{company.lower()}.com",
        company_linkedin_url=None,
        title=title,
        start=PartialDate(value=start, precision="month"),
        supersedes=kind,
        observed_at=T0 + timedelta(minutes=minutes),
    )


def test_job_change_ends_the_old_job_and_stale_ones_are_ignored() -> None:
    rows = [_row(0, "Acme", "Engineer", date(2020, 1, 1))]
    change = _job("Globex", "CTO", date(2026, 2, 1), "job_change", 10)
    combined = person_merge.combine_jobs(rows, [change], refreshed_at=T0)
    assert [(r.company_name, r.is_current) for r in combined] == [
        ("Acme", False),
        ("Globex", True),
    ]
    assert combined[0].end == change.start
    # Observed before the profile's own refresh: the profile knows better.
    stale = _job("Globex", "CTO", date(2026, 2, 1), "job_change", -10)
    assert person_merge.combine_jobs(rows, [stale], refreshed_at=T0) == tuple(rows)
    # The same job twice (a re-fire, another source) is one row.
    again = person_merge.combine_jobs(combined, [change], refreshed_at=None)
    assert len(again) == 2


def test_promotion_ends_only_the_same_company_title() -> None:
    rows = [
        _row(0, "Acme", "Engineer", date(2020, 1, 1)),
        _row(1, "Board", "Advisor", date(2019, 1, 1)),
    ]
    promo = _job("Acme", "Senior Engineer", date(2026, 1, 1), "promotion", 10)
    combined = person_merge.combine_jobs(rows, [promo], refreshed_at=None)
    current = {(r.company_name, r.title) for r in combined if r.is_current}
    assert current == {("Board", "Advisor"), ("Acme", "Senior Engineer")}
