"""Client form leads: a raw `POST /run/client/leads/ingest` body → `LeadRecord`.

The record carries the normalised fields under the request's names (``email`` for
``work_email``, ``linkedin_url`` for ``person_linkedin_url``) plus what is derived:
seniority and function from the job title, the free-mail flag and the person key that
`client.leads_people` is keyed on. Unknown fields are kept in ``extra``, untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from pipeline import dates, normalize, titles
from pipeline.errors import InvalidPayloadError
from schemas import canonical
from schemas.records import LeadRecord

#: The fields a lead form sends; anything else is kept verbatim in ``LeadRecord.extra``.
KNOWN_FIELDS = frozenset(
    {
        "client_domain",
        "client_form_id",
        "client_form_title",
        "first_name",
        "last_name",
        "full_name",
        "work_email",
        "person_linkedin_url",
        "job_title",
        "company_name",
        "company_domain",
        "company_linkedin_url",
        "company_size",
        "company_industry",
        "source",
        "submitted_at",
    }
)


def _text(value: object) -> str | None:
    """A trimmed, single-spaced text field; numbers (form ids) become text; blank is None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return normalize.clean_text(value)


def _str(value: object) -> str | None:
    """The value if it is a string, else None (normalisers only take strings)."""
    return value if isinstance(value, str) else None


def company_domain(body: Mapping[str, object], email: str | None) -> str | None:
    """The lead's company domain: the form's ``company_domain`` when it is usable.

    Otherwise the domain of a work email, unless that is a free-mail provider: a company
    address names its employer, a gmail/outlook address names nobody's company.
    """
    given = canonical.domain(_str(body.get("company_domain")))
    if given is not None or email is None or normalize.is_free_email(email):
        return given
    return normalize.email_domain(email)


def client_domain(value: object) -> str:
    """The client's domain key; raises `InvalidPayloadError` when there is none to key on."""
    normalised = canonical.domain(_str(value))
    if normalised is None:
        raise InvalidPayloadError(f"client_domain {value!r} is not a domain or URL")
    return normalised


def normalize_lead(body: Mapping[str, object]) -> LeadRecord:
    """Normalise one lead form body; raises `InvalidPayloadError` on an unusable client_domain."""
    email = normalize.email(_str(body.get("work_email")))
    linkedin = canonical.linkedin_url(_str(body.get("person_linkedin_url")))
    first, last, full = normalize.person_name(
        _text(body.get("first_name")), _text(body.get("last_name")), _text(body.get("full_name"))
    )
    title = titles.classify_title(_text(body.get("job_title")))
    return LeadRecord(
        client_domain=client_domain(body.get("client_domain")),
        client_form_id=_text(body.get("client_form_id")),
        client_form_title=_text(body.get("client_form_title")),
        email=email,
        is_free_email=normalize.is_free_email(email),
        first_name=first,
        last_name=last,
        full_name=full,
        linkedin_url=linkedin,
        job_title=_text(body.get("job_title")),
        seniority=title.seniority_level,
        function=title.job_function,
        company_name=_text(body.get("company_name")),
        company_domain=company_domain(body, email),
        company_linkedin_url=canonical.company_linkedin_url(_str(body.get("company_linkedin_url"))),
        company_size=normalize.company_size_bucket(body.get("company_size")),
        company_industry=_text(body.get("company_industry")),
        source=_text(body.get("source")),
        submitted_at=dates.timestamp(body.get("submitted_at")),
        person_key=email or linkedin,
        extra={key: value for key, value in body.items() if key not in KNOWN_FIELDS},
    )


class LinkKeys(NamedTuple):
    """The keys a lead is linked to the golden person and company by."""

    client_domain: str
    person_key: str | None
    email: str | None
    linkedin_url: str | None
    company_domain: str | None


def link_keys(body: Mapping[str, object]) -> LinkKeys:
    """The lead's link keys, normalised as `normalize_lead` keys the client's person
    (`client.leads_people`: e-mail, else LinkedIn URL) and company (domain)."""
    lead = normalize_lead(body)
    return LinkKeys(
        client_domain=lead.client_domain,
        person_key=lead.person_key,
        email=lead.email,
        linkedin_url=lead.linkedin_url,
        company_domain=lead.company_domain,
    )


def link_problem(body: Mapping[str, object]) -> tuple[str, str] | None:
    """(field, message) when a lead cannot be linked: a key field sent but unusable, or no
    key at all (no e-mail, LinkedIn URL or company domain). None when it can be."""
    sent = {f: body.get(f) for f in ("work_email", "person_linkedin_url", "company_domain")}
    if sent["work_email"] and normalize.email(_str(sent["work_email"])) is None:
        return "work_email", "is not an e-mail address"
    if (
        sent["person_linkedin_url"]
        and canonical.linkedin_url(_str(sent["person_linkedin_url"])) is None
    ):
        return "person_linkedin_url", "is not a LinkedIn profile URL"
    if sent["company_domain"] and canonical.domain(_str(sent["company_domain"])) is None:
        return "company_domain", "is not a domain or URL"
    keys = link_keys(body)
    if keys.person_key is None and keys.company_domain is None:
        return "work_email", "names no e-mail, person_linkedin_url or company_domain to link by"
    return None
