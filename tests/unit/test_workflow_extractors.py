"""Workflow definitions: pure extractors on samples and the variations Clay sends."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline import identity
from pipeline.workflows import registry
from pipeline.workflows import values as v
from pipeline.workflows.facts import CompanyFacts, Facts


def _one(definition: str, body: dict[str, Any]) -> CompanyFacts:
    facts = registry.BY_NAME[definition].run(body)[1]
    assert isinstance(facts, Facts)
    (company,) = facts.companies
    return company


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1,234", 1234), (1234, 1234), ("1234.0", 1234), ("1.2K", 1200), ("null", None), ("", None)],
)
def test_counts(value: object, expected: int | None) -> None:
    assert v.count(value) == expected


def test_lists_from_json_or_comma_text_but_names_are_never_split() -> None:
    assert v.texts("saas, devops ,SaaS") == ["saas", "devops", "SaaS"]
    assert v.texts(["a", "null", " b "]) == ["a", "b"]
    assert v.texts("Acme, Inc.", split_commas=False) == ["Acme, Inc."]


def test_name_keys_ignore_punctuation_case_and_legal_form() -> None:
    keys = {
        identity.name_key(n)
        for n in ("Maybe-Consulting", "Maybe Consulting", "maybe consulting GmbH")
    }
    assert keys == {"maybe consulting"}
    assert identity.name_key("Inc") == "inc"


def test_firmographics_reads_a_linkedin_company_object() -> None:
    company = _one(
        "firmographics",
        {
            "company_domain": "https://www.Example.com/",
            "raw_payload": {
                "name": "Example Corp",
                "slug": "example-corp",
                "size": "51-200 employees",
                "employee_count": "null",
                "specialties": "SaaS, Enterprise Software",
                "founded": "2010",
            },
        },
    )
    assert company.domain == "example.com"
    assert company.linkedin_url == "https://www.linkedin.com/company/example-corp"
    assert company.fields["size_range"] == "51-200"
    assert "employee_count" not in company.fields
    assert company.fields["founded_year"] == 2010
    assert [i.value["name"] for i in company.items if i.kind == "specialty"] == [
        "SaaS",
        "Enterprise Software",
    ]


def test_companyenrich_keeps_investor_names_whole() -> None:
    company = _one(
        "companyenrich",
        {
            "domain": "acme.com",
            "raw_payload": {
                "name": "Acme",
                "keywords": "robots, anvils",
                "financial": {
                    "funding": [{"date": "2021-01-14", "type": "Seed", "from": "Acme, Inc."}]
                },
            },
        },
    )
    investors = [i.value["name"] for i in company.items if i.kind == "investor"]
    assert investors == ["Acme, Inc."]
    assert [i.value["name"] for i in company.items if i.kind == "keyword"] == ["robots", "anvils"]


def test_a_body_with_nothing_usable_is_not_extracted() -> None:
    definition = registry.BY_NAME["firmographics"]
    assert definition.run({"company_domain": "a.com", "raw_payload": {"x": 1}})[1] is None
    salesnav = registry.BY_NAME["salesnav_company"]
    assert salesnav.run({"company_name": "null", "domain": ""})[1] is None


def test_salesnav_reads_the_org_id_from_a_urn_and_a_sales_url() -> None:
    company = _one(
        "salesnav_company",
        {"linkedin_url": "https://www.linkedin.com/sales/company/98765", "company_name": "X"},
    )
    assert (company.org_id, company.linkedin_url) == ("98765", None)
    urn = _one("salesnav_company", {"linkedin_urn": "urn:li:organization:42", "headcount": "1,234"})
    assert (urn.org_id, urn.fields["employee_count"]) == ("42", 1234)


def test_every_definition_is_well_formed() -> None:
    for definition in registry.DEFINITIONS:
        assert definition.routes and all(r.path.startswith("/run/") for r in definition.routes)
        assert definition.slugs and definition.feeds
        assert (
            registry.default_row(definition.slugs[0], definition)["definition"] == definition.name
        )


def test_a_profile_naming_one_company_twice_folds_it() -> None:
    from schemas.records import CompanyRecord

    records = [
        CompanyRecord(company_key="name:maybe-consulting", name="Maybe-Consulting"),
        CompanyRecord(company_key="maybe.com", domain="maybe.com", name="Maybe Consulting"),
        CompanyRecord(company_key="other.com", domain="other.com", name="Maybe Consulting"),
    ]
    groups = identity.group_companies(records)
    assert [keys for _record, keys in groups] == [
        ("name:maybe-consulting", "maybe.com"),
        ("other.com",),  # the same name at another domain is another company
    ]
    folded = groups[0][0]
    assert (folded.company_key, folded.name, folded.aliases) == (
        "maybe.com",
        "Maybe Consulting",
        ("Maybe-Consulting",),
    )


def test_the_readme_table_lists_every_workflow_route() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for definition in registry.DEFINITIONS:
        for route in definition.routes:
            row = (
                f"| `{route.path}` | `{route.slug}` | `{definition.name}` | {definition.priority} |"
            )
            assert row in readme, row
