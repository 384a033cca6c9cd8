"""The lead request body: validation at the gateway, and the cleaned form `write_lead` uses."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipeline.leads import normalize_lead
from schemas.leads_api import LeadIngest


def test_lead_body_keeps_unknown_fields_and_drops_empty_cells() -> None:
    body = {
        "client_domain": "https://www.Tallisferry.io/",
        "work_email": " A.B@Corp.COM ",
        "company_name": "",
        "company_size": 250,
        "client_form_id": 42,
        "utm_source": "ads",
    }
    request = LeadIngest.model_validate(body)
    assert request.normalized_client_domain() == "tallisferry.io"
    cleaned = request.model_dump(exclude_unset=True)
    assert "company_name" not in cleaned and cleaned["utm_source"] == "ads"
    lead = normalize_lead(cleaned)
    assert (lead.email, lead.company_domain, lead.company_size) == (
        "a.b@corp.com",
        "corp.com",
        "201-500",
    )
    assert lead.client_form_id == "42" and lead.extra == {"utm_source": "ads"}


@pytest.mark.parametrize("client_domain", ["", "   ", "not a domain", None])
def test_lead_needs_a_client_domain(client_domain: object) -> None:
    with pytest.raises(ValidationError):
        LeadIngest.model_validate({"client_domain": client_domain, "work_email": "a@b.com"})
