"""Tests for `pipeline.leads.normalize_lead`: raw lead form bodies → `LeadRecord`.

Every lead in the shared ``leads/`` folder must match ``leads_expected.json``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import pytest

from pipeline.errors import InvalidPayloadError
from pipeline.leads import normalize_lead
from tests.conftest import fixture_params, shared_fixtures

FIXTURES = shared_fixtures("leads_expected.json")


def _casefold(value: str | None) -> str | None:
    return value.casefold() if value is not None else None


@pytest.mark.parametrize("item", fixture_params("leads_expected.json", id_key="file"))
def test_fixture_leads_match_expected(item: dict[str, Any]) -> None:
    assert FIXTURES is not None
    body = json.loads((FIXTURES / "leads" / item["file"]).read_text(encoding="utf-8"))
    lead = normalize_lead(body)
    exact = ("client_domain", "client_form_id", "email", "company_domain", "company_size")
    for field in (*exact, "company_name", "company_industry", "job_title", "person_key"):
        assert getattr(lead, field) == item[field], field
    for field in ("first_name", "last_name", "full_name"):
        assert _casefold(getattr(lead, field)) == _casefold(item[field]), field
    accepted_urls = {item["linkedin_url"], *item.get("linkedin_url_equivalents", [])}
    assert lead.linkedin_url in accepted_urls or unquote(lead.linkedin_url or "") in accepted_urls
    assert (lead.seniority, lead.function) == (item["seniority"], item["function"])
    assert lead.is_free_email is item["is_free_email"]
    assert lead.submitted_at is not None and lead.submitted_at.tzinfo is not None


BASE = {"client_domain": "https://www.Client.example/", "work_email": "Ana@Acme.io"}


def test_company_domain_falls_back_to_a_work_email() -> None:
    lead = normalize_lead(BASE)
    assert (lead.company_domain, lead.is_free_email, lead.person_key) == (
        "acme.io",
        False,
        "ana@acme.io",
    )


def test_free_mail_never_becomes_the_company_domain() -> None:
    lead = normalize_lead({**BASE, "work_email": " ana.r@GMAIL.com "})
    assert (lead.company_domain, lead.is_free_email) == (None, True)


def test_company_domain_field_wins_over_the_email() -> None:
    lead = normalize_lead({**BASE, "company_domain": "www.acme-group.com/about"})
    assert lead.company_domain == "acme-group.com"


def test_person_key_falls_back_to_linkedin_url() -> None:
    body = {"client_domain": "client.example", "person_linkedin_url": "uk.linkedin.com/in/Ana-R/"}
    lead = normalize_lead(body)
    assert lead.person_key == lead.linkedin_url == "https://www.linkedin.com/in/ana-r"


def test_blank_fields_become_none_and_unknown_fields_are_kept() -> None:
    body = {**BASE, "company_name": "", "job_title": "  ", "utm_campaign": "q3", "score": 7}
    lead = normalize_lead(body)
    assert (lead.company_name, lead.job_title, lead.seniority) == (None, None, None)
    assert lead.extra == {"utm_campaign": "q3", "score": 7}


def test_full_name_is_split_on_the_last_space() -> None:
    lead = normalize_lead({**BASE, "full_name": "  Ana  de la Cruz "})
    assert (lead.first_name, lead.last_name, lead.full_name) == (
        "Ana de la",
        "Cruz",
        "Ana de la Cruz",
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-02-03 14:05:09", datetime(2026, 2, 3, 14, 5, 9, tzinfo=UTC)),
        ("2026-01-28T10:30:00+01:00", datetime(2026, 1, 28, 9, 30, tzinfo=UTC)),
        ("Tue, 03 Feb 2026 14:05:09 GMT", datetime(2026, 2, 3, 14, 5, 9, tzinfo=UTC)),
        (1770127509, datetime(2026, 2, 3, 14, 5, 9, tzinfo=UTC)),
        ("not a date", None),
    ],
)
def test_submitted_at_is_parsed_liberally(raw: object, expected: datetime | None) -> None:
    assert normalize_lead({**BASE, "submitted_at": raw}).submitted_at == expected


@pytest.mark.parametrize("client_domain", [None, "", "   ", "not a domain", 42, "mailto:x"])
def test_unusable_client_domain_is_invalid(client_domain: object) -> None:
    with pytest.raises(InvalidPayloadError):
        normalize_lead({**BASE, "client_domain": client_domain})


def test_numeric_form_id_is_kept_as_text() -> None:
    assert normalize_lead({**BASE, "client_form_id": 1234}).client_form_id == "1234"
