"""Tests for `pipeline.derive`: the rules sync_core relies on, on hand-built profiles.

The fixture payloads run through extract + derive in test_extract.py; here each rule is
pinned down on rows built for it, including cases the fixtures do not have.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pipeline import normalize
from pipeline.derive import derive_core
from schemas.records import ExperienceRecord, PartialDate, Precision, ProfileRecord

URL = "https://www.linkedin.com/in/jane-doe"


def day(text: str, precision: Precision = "day") -> PartialDate:
    return PartialDate(value=date.fromisoformat(text), precision=precision)


def row(position: int, title: str | None, company: str | None, **fields: Any) -> ExperienceRecord:
    """An experience row; the company key is derived the way the extractor does it."""
    domain = fields.pop("domain", None)
    key = fields.pop("company_key", normalize.company_key(domain, company))
    return ExperienceRecord(
        position=position,
        title=title,
        company_name=company,
        company_domain=domain,
        company_key=key,
        **fields,
    )


def profile(*rows: ExperienceRecord) -> ProfileRecord:
    return ProfileRecord(
        linkedin_url=URL, slug="jane-doe", shape="clay", full_name="Jane Doe", experiences=rows
    )


def test_identity_fields_are_copied() -> None:
    core = derive_core(profile())
    assert (core.linkedin_url, core.slug, core.full_name) == (URL, "jane-doe", "Jane Doe")
    assert (core.companies, core.work_history, core.past_employers) == ((), (), ())
    assert (core.promotions, core.current_titles) == ((), ())
    assert core.tenure is None


def test_companies_merge_by_key_with_first_spelling_as_name() -> None:
    core = derive_core(
        profile(
            row(0, "A", "Zwinhaven Advies", start=day("2016-02-01")),
            row(1, "B", "ZWINHAVEN ADVIES"),
            row(2, "C", "Zwinhaven Advies"),
            row(3, "D", "Oxbend Devices", domain="oxbend.com"),
            row(4, "E", "Oxbend Devices LLC", domain="oxbend.com"),
            row(5, "F", "oxbend devices", domain="oxbend.com"),
        )
    )
    assert [(c.company_key, c.name, c.aliases) for c in core.companies] == [
        ("name:zwinhaven advies", "Zwinhaven Advies", ("ZWINHAVEN ADVIES",)),
        ("oxbend.com", "Oxbend Devices", ("Oxbend Devices LLC", "oxbend devices")),
    ]
    assert core.companies[1].domain == "oxbend.com"
    assert core.companies[0].domain is None


def test_company_spellings_are_trimmed_before_comparing() -> None:
    rows = (row(0, "A", "  Acme   Corp "), row(1, "B", "Acme Corp"))
    core = derive_core(profile(*rows))
    assert [(c.name, c.aliases) for c in core.companies] == [("Acme Corp", ())]


def test_company_known_only_by_domain_is_named_after_it() -> None:
    core = derive_core(profile(row(0, "A", None, domain="acme.com")))
    assert [(c.name, c.domain) for c in core.companies] == [("acme.com", "acme.com")]


def test_later_name_fills_a_domain_only_company() -> None:
    core = derive_core(
        profile(row(0, "A", None, domain="acme.com"), row(1, "B", "Acme", domain="acme.com"))
    )
    assert [(c.name, c.aliases) for c in core.companies] == [("Acme", ())]


def test_company_linkedin_url_is_the_first_seen() -> None:
    page = "https://www.linkedin.com/company/acme"
    rows = (
        row(0, "A", "Acme", domain="acme.com"),
        row(1, "B", "Acme", domain="acme.com", company_linkedin_url=page),
    )
    assert derive_core(profile(*rows)).companies[0].linkedin_url == page


def test_missing_key_is_derived_from_domain_and_name() -> None:
    rows = (
        ExperienceRecord(position=0, company_name="Acme", company_domain="https://www.Acme.com/x"),
        ExperienceRecord(position=1, company_name=" Beta  Ltd "),
    )
    core = derive_core(profile(*rows))
    assert [c.company_key for c in core.companies] == ["acme.com", "name:beta ltd"]
    assert [w.company_key for w in core.work_history] == ["acme.com", "name:beta ltd"]


def test_rows_without_a_company_stay_in_work_history_only() -> None:
    core = derive_core(profile(row(0, "Freelancer", None, is_current=True), row(1, "Intern", None)))
    assert core.companies == ()
    assert core.past_employers == ()
    assert [(w.title, w.company_key) for w in core.work_history] == [
        ("Freelancer", None),
        ("Intern", None),
    ]
    assert core.tenure is not None and core.tenure.company_key is None


def test_work_history_is_one_row_per_experience_in_array_order() -> None:
    rows = (
        row(1, "B", "Beta", start=day("2019-01-01"), end=day("2020-01-01")),
        row(0, "A", "Acme", domain="acme.com", start=day("2020-02-01"), is_current=True),
    )
    core = derive_core(profile(*rows))
    assert [(w.position, w.title, w.is_current) for w in core.work_history] == [
        (0, "A", True),
        (1, "B", False),
    ]
    assert core.work_history[1].end == day("2020-01-01")
    assert core.work_history[0].company_domain == "acme.com"


def test_current_titles_in_array_order_each_once() -> None:
    rows = (
        row(0, "Board Member", "Foundation", is_current=True),
        row(1, "Engineer", "Old", start=day("2010-01-01")),
        row(2, "CTO", "Acme", is_current=True),
        row(3, "Board Member", "Other Foundation", is_current=True),
        row(4, None, "Untitled", is_current=True),
    )
    assert derive_core(profile(*rows)).current_titles == ("Board Member", "CTO")


def test_tenure_is_the_current_row_that_started_last() -> None:
    rows = (
        row(0, "Director", "Veenhoek", start=day("2021-03-15"), is_current=True),
        row(1, "Board", "Polderlicht", start=day("2024-01-01", "year"), is_current=True),
        row(2, "Old", "Zwinhaven", start=day("2025-01-01")),
    )
    tenure = derive_core(profile(*rows)).tenure
    assert tenure is not None
    assert (tenure.title, tenure.company_name, tenure.start) == (
        "Board",
        "Polderlicht",
        day("2024-01-01", "year"),
    )
    assert tenure.company_key == "name:polderlicht"


def test_tenure_ties_go_to_the_first_row() -> None:
    rows = (
        row(0, "First", "A", start=day("2022-01-01", "year"), is_current=True),
        row(1, "Second", "B", start=day("2022-01-01"), is_current=True),
    )
    tenure = derive_core(profile(*rows)).tenure
    assert tenure is not None and tenure.title == "First"


def test_tenure_prefers_a_dated_current_row_and_falls_back_to_the_first() -> None:
    dated = (
        row(0, "Undated", "A", is_current=True),
        row(1, "Dated", "B", start=day("2001-01-01"), is_current=True),
    )
    tenure = derive_core(profile(*dated)).tenure
    assert tenure is not None and tenure.title == "Dated"
    undated = (row(0, "One", "A", is_current=True), row(1, "Two", "B", is_current=True))
    tenure = derive_core(profile(*undated)).tenure
    assert tenure is not None and (tenure.title, tenure.start) == ("One", None)


def test_no_current_row_means_no_tenure() -> None:
    core = derive_core(
        profile(row(0, "SRE", "Gannetford", start=day("2019-03-01"), end=day("2024-10-01")))
    )
    assert core.tenure is None
    assert core.current_titles == ()


def test_promotions_follow_start_dates_not_array_order() -> None:
    rows = (
        row(0, "Lead", "Acme", start=day("2023-06-01"), is_current=True),
        row(1, "Intern", "Acme", start=day("2016-05-01"), end=day("2016-08-01")),
        row(2, "Engineer", "Acme", start=day("2020-02-01"), end=day("2023-06-01")),
        row(3, "Analyst", "Beta", start=day("2012-01-01")),
        row(4, "Senior Analyst", "Beta", start=day("2014-01-01")),
    )
    promotions = derive_core(profile(*rows)).promotions
    assert [(p.company_key, p.from_title, p.to_title, p.promoted_on) for p in promotions] == [
        ("name:acme", "Intern", "Engineer", day("2020-02-01")),
        ("name:acme", "Engineer", "Lead", day("2023-06-01")),
        ("name:beta", "Analyst", "Senior Analyst", day("2014-01-01")),
    ]


def test_same_title_again_is_not_a_promotion() -> None:
    rows = (
        row(0, "Consultant", "Acme", start=day("2018-01-01")),
        row(1, "consultant", "Acme", start=day("2015-01-01")),
        row(2, "Engineer", "Acme", start=day("2012-01-01")),
    )
    promotions = derive_core(profile(*rows)).promotions
    assert [(p.from_title, p.to_title) for p in promotions] == [("Engineer", "consultant")]


def test_promotions_skip_undated_untitled_and_companyless_rows() -> None:
    rows = (
        row(0, "Lead", "Acme", start=day("2020-01-01")),
        row(1, "Engineer", "Acme"),
        row(2, None, "Acme", start=day("2018-01-01")),
        row(3, "Freelance", None, start=day("2010-01-01")),
        row(4, "Contractor", None, start=day("2012-01-01")),
    )
    assert derive_core(profile(*rows)).promotions == ()


def test_same_start_date_orders_later_array_rows_first() -> None:
    rows = (
        row(0, "Senior", "Acme", start=day("2020-01-01", "year")),
        row(1, "Junior", "Acme", start=day("2020-01-01", "year")),
    )
    promotions = derive_core(profile(*rows)).promotions
    assert [(p.from_title, p.to_title) for p in promotions] == [("Junior", "Senior")]


def test_past_employers_exclude_companies_still_current() -> None:
    rows = (
        row(0, "Lead", "Thistlecove", domain="thistlecove.ai", is_current=True),
        row(1, "Engineer", "Thistlecove", domain="thistlecove.ai"),
        row(2, "Firmware", "Oxbend Devices", domain="oxbend.com"),
        row(3, "Intern", "Oxbend Devices LLC", domain="oxbend.com"),
        row(4, "Tech", "Marlpit Makerspace"),
        row(5, "Helper", None),
    )
    past = derive_core(profile(*rows)).past_employers
    assert [(p.company_key, p.company_name, p.company_domain, p.aliases) for p in past] == [
        ("oxbend.com", "Oxbend Devices", "oxbend.com", ("Oxbend Devices LLC",)),
        ("name:marlpit makerspace", "Marlpit Makerspace", None, ()),
    ]


def test_every_company_is_past_when_nothing_is_current() -> None:
    rows = (
        row(0, "SRE", "Gannetford", domain="gannetford.net"),
        row(1, "Admin", "Council"),
        row(2, "Help", "Ferrisbay", domain="ferrisbay.ie"),
    )
    past = derive_core(profile(*rows)).past_employers
    assert [p.company_key for p in past] == ["gannetford.net", "name:council", "ferrisbay.ie"]


def test_a_current_row_anywhere_keeps_a_company_off_the_past_list() -> None:
    rows = (row(0, "Old", "Acme"), row(1, "New", "ACME", is_current=True))
    core = derive_core(profile(*rows))
    assert core.past_employers == ()
    assert [(c.name, c.aliases) for c in core.companies] == [("Acme", ("ACME",))]


def test_derive_is_deterministic() -> None:
    rows = (
        row(0, "Lead", "Acme", start=day("2020-01-01"), is_current=True),
        row(1, "Dev", "Acme", start=day("2018-01-01")),
    )
    assert derive_core(profile(*rows)) == derive_core(profile(*rows))
