"""CompanyEnrich's enrich-by-domain response: firmographics, socials, lists, funding."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from pipeline import identity
from pipeline.workflows import Definition, Route
from pipeline.workflows import companies as c
from pipeline.workflows import values as v
from pipeline.workflows.bodies import RawPayload, required_domain
from pipeline.workflows.facts import CompanyFacts, Facts, Item


class CompanyEnrichIngest(RawPayload):
    """`POST /run/companies/companyenrich/ingest`."""

    domain: str = Field(min_length=1, max_length=1000, examples=["harness.io"])

    _domain = field_validator("domain")(required_domain)


def _url(value: object) -> str | None:
    """A social link, skipping placeholders ("...", "string")."""
    text = v.text(value)
    return text if text and "." in text.strip(".") and " " not in text else None


def _socials(socials: dict[str, Any]) -> list[Item]:
    items = []
    for key, value in sorted(socials.items()):
        if key.endswith("_url") and (url := _url(value)):
            network = key.removesuffix("_url")
            items.append(Item(kind="social", key=network, value={"network": network, "url": url}))
    return items


def _names(value: object) -> list[str]:
    """Investor names: a list, or one name per text ("Acme, Inc." is one investor)."""
    return v.texts(value, split_commas=False)


def _funding(financial: dict[str, Any]) -> list[Item]:
    items: list[Item] = []
    for event in financial.get("funding") or []:
        if not isinstance(event, dict):
            continue
        stamp = v.timestamp(event.get("date"))
        day = stamp.date().isoformat() if stamp else v.text(event.get("date"))
        kind = v.text(event.get("type"))
        investors = _names(event.get("from"))
        if not (day or kind):
            continue
        value = v.compact(
            {
                "date": day,
                "type": kind,
                "amount": v.text(event.get("amount")),
                "url": _url(event.get("url")),
            }
        )
        key = f"{day or ''}|{identity.name_key(kind) or ''}"
        items.append(Item(kind="funding_round", key=key, value={**value, "investors": investors}))
        items += c.simple_items("investor", investors, split_commas=False)
    return items


def _subsidiaries(value: object) -> list[Item]:
    items = []
    for entry in value if isinstance(value, list) else []:
        sub = entry if isinstance(entry, dict) else {"name": entry}
        name, domain = v.text(sub.get("name")), v.domain(sub.get("domain"))
        key = domain or identity.name_key(name)
        if key:
            items.append(
                Item(kind="subsidiary", key=key, value=v.compact({"name": name, "domain": domain}))
            )
    return items


def extract(body: CompanyEnrichIngest) -> Facts | None:
    p = body.raw_payload
    location, financial, socials = (
        v.obj(p.get("location")),
        v.obj(p.get("financial")),
        v.obj(p.get("socials")),
    )
    city, state, country = (v.obj(location.get(k)) for k in ("city", "state", "country"))
    linkedin = v.company_linkedin_url(socials.get("linkedin_url"))
    public = bool(v.text(financial.get("stock_symbol")))
    fields = v.compact(
        {
            "name": v.text(p.get("name")),
            "linkedin_url": linkedin,
            "linkedin_org_id": identity.org_id(socials.get("linkedin_id")),
            "website": v.text(p.get("website")),
            "company_type": v.text(p.get("type")),
            "industry": v.text(p.get("industry")),
            "description": v.text(p.get("description")),
            "founded_year": v.year(p.get("founded_year")),
            "revenue": v.text(p.get("revenue")),
            "headquarters": v.text(location.get("address")),
            "city": v.text(city.get("name")),
            "state": v.text(state.get("name")),
            "country": v.text(country.get("name")),
            "country_code": c.country_code(country.get("code")),
            "total_funding": v.count(financial.get("total_funding")),
            "funding_stage": v.text(financial.get("funding_stage")),
            **c.size_fields(p.get("employees"), None),
            **({"is_public": True} if public else {}),
        }
    )
    items = [
        *c.simple_items("keyword", p.get("keywords")),
        *c.simple_items("technology", p.get("technologies")),
        *c.simple_items("industry", p.get("industries"), split_commas=False),
        *c.simple_items("category", p.get("categories"), split_commas=False),
        *c.simple_items("naics_code", p.get("naics_codes")),
        *_socials(socials),
        *_funding(financial),
        *_subsidiaries(p.get("subsidiaries")),
    ]
    if location and (office := c.location_item({**location, **fields})):
        items.append(office)
    if not fields and not items:
        return None
    company = CompanyFacts(
        domain=v.domain(body.domain) or v.domain(p.get("domain")),
        linkedin_url=linkedin,
        org_id=fields.get("linkedin_org_id"),
        name=fields.get("name"),
        fields=fields,
        items=tuple(items),
    )
    return Facts(observed_at=v.timestamp(p.get("updated_at")), companies=(company,))


DEFINITION = Definition(
    name="companyenrich",
    routes=(
        Route(
            "/run/companies/companyenrich/ingest",
            "companyenrich",
            "CompanyEnrich's enrich-by-domain response for one domain",
        ),
    ),
    request=CompanyEnrichIngest,
    entity="company",
    natural_key=lambda body: v.domain(body.domain),
    extract=extract,
    feeds=(
        "firmographics",
        "socials",
        "location",
        "keywords",
        "technologies",
        "industries",
        "categories",
        "naics_codes",
        "funding_rounds",
        "investors",
        "subsidiaries",
        "revenue",
    ),
    priority=2,
    provider="companyenrich",
)
