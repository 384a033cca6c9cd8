"""Target-client lead bodies and link keys: pure checks, no database."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipeline.leads import link_keys, link_problem, normalize_lead
from schemas.leads_api import LeadLinkBatch, TargetLeadIngest, lead_request


def test_a_target_body_reads_as_a_lead_of_its_client() -> None:
    body = {"target_client_domain": "WWW.Acme.io", "work_email": "A@Corp.com", "utm": "x"}
    request = lead_request("target-client-lead", body)
    assert isinstance(request, TargetLeadIngest)
    lead = normalize_lead(request.lead_fields())
    assert (lead.client_domain, lead.email, lead.extra) == ("acme.io", "a@corp.com", {"utm": "x"})
    # A client_domain beside it never stands in for the client the route checked.
    same = lead_request("target-client-lead", {**body, "client_domain": "acme.io"})
    assert normalize_lead(same.lead_fields()).client_domain == "acme.io"
    with pytest.raises(ValidationError, match="another client"):
        lead_request("target-client-lead", {**body, "client_domain": "other.io"})


def test_link_keys_are_the_lead_person_key_and_company_domain() -> None:
    body = {
        "client_domain": "acme.io",
        "work_email": " Ann@Globex.COM ",
        "person_linkedin_url": "linkedin.com/in/Ann-Lee/",
    }
    keys = link_keys(body)
    assert keys.person_key == keys.email == "ann@globex.com"
    assert keys.linkedin_url == "https://www.linkedin.com/in/ann-lee"
    assert keys.company_domain == "globex.com"  # from a work e-mail
    free = link_keys({"client_domain": "acme.io", "work_email": "ann@gmail.com"})
    assert free.company_domain is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"work_email": "nope"}, "work_email"),
        ({"person_linkedin_url": "linkedin.com/company/x"}, "person_linkedin_url"),
        ({"company_domain": "not a domain"}, "company_domain"),
        ({"first_name": "Ann"}, "work_email"),
        ({"work_email": "ann@gmail.com"}, None),
        ({"company_domain": "globex.com"}, None),
    ],
)
def test_a_lead_without_a_usable_key_cannot_be_linked(
    body: dict[str, str], problem: str | None
) -> None:
    found = link_problem({"client_domain": "acme.io", **body})
    assert (found[0] if found else None) == problem


def test_a_batch_is_one_client() -> None:
    batch = LeadLinkBatch.model_validate(
        {
            "leads": [
                {"work_email": "a@b.com"},
                {"target_client_domain": "Acme.io", "work_email": "c@d.com"},
            ]
        }
    )
    assert batch.normalized_client_domain() == "acme.io"
    assert {b["client_domain"] for b in batch.lead_bodies()} == {"acme.io"}
    with pytest.raises(ValidationError, match="another client"):
        LeadLinkBatch.model_validate(
            {"target_client_domain": "acme.io", "leads": [{"target_client_domain": "x.io"}]}
        )
