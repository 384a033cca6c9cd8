"""What the e-mail finder workflows share: their envelope and the result readers.

Each provider definition (`anymailfinder`, `icypeas`, `leadmagic`) is the envelope Clay
posts (the person's names and LinkedIn URL, the company, `<provider>_raw_payload`) plus a
pure reader of that provider's response into `EmailFact`s. Statuses are mapped onto one
scale (`valid`, `catch_all`, `risky`, `unknown`, `invalid`); the provider's own word is
kept as `raw_status`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import Field, field_validator

from pipeline import normalize
from pipeline.workflows import Definition, Facts, Route
from pipeline.workflows import people as p
from pipeline.workflows import values as v
from pipeline.workflows.bodies import Slugged
from pipeline.workflows.people_facts import EmailFact, EmailStatus

#: Coalesce priority of the names in an e-mail finder's envelope: after every people source
#: (person profile 1, find people 2, SalesNav 3), so they only name a person nobody else has.
NAME_PRIORITY = 5


class EmailFinderBody(Slugged):
    """The envelope every e-mail finder table posts (the payload field is the provider's)."""

    #: The provider's payload field, e.g. `leadmagic_raw_payload`.
    payload_field: ClassVar[str] = ""

    first_name: str | None = Field(default=None, max_length=1000)
    last_name: str | None = Field(default=None, max_length=1000)
    full_name: str | None = Field(default=None, max_length=1000)
    person_linkedin_url: str | None = Field(
        default=None,
        max_length=1000,
        description="The person's LinkedIn profile URL, any spelling (the person's key)",
    )
    company_name: str | None = Field(default=None, max_length=1000)
    domain: str | None = Field(default=None, max_length=1000)
    company_linkedin_url: str | None = Field(default=None, max_length=1000)
    clay_table_url: str | None = Field(default=None, max_length=2000)

    def provider_payload(self) -> dict[str, Any]:
        payload = getattr(self, self.payload_field)
        return payload if isinstance(payload, dict) else {}


def non_empty(value: dict[str, Any]) -> dict[str, Any]:
    """A provider payload must hold something."""
    if not value:
        raise ValueError("is empty")
    return value


def payload_validator(name: str) -> Any:
    return field_validator(name)(classmethod(lambda cls, value: non_empty(value)))


def person_key(body: EmailFinderBody) -> str | None:
    """The person an e-mail body is about: their public URL, else their member id."""
    return p.profile_url(body.person_linkedin_url) or p.member_id(body.person_linkedin_url)


def extractor(
    read: Callable[[dict[str, Any]], list[EmailFact]],
) -> Callable[[EmailFinderBody], Facts | None]:
    """The definition's `extract`: the person (names from the envelope) with the provider's
    results; None when the body names no person or the provider found nothing."""

    def extract(body: EmailFinderBody) -> Facts | None:
        found = read(body.provider_payload())
        person = p.person(
            linkedin_url=p.profile_url(body.person_linkedin_url),
            salesnav_id=p.member_id(body.person_linkedin_url),
            fields=p.names(body.first_name, body.last_name, body.full_name),
        )
        if not person.identified or not found:
            return None
        return Facts(people=(person.model_copy(update={"emails": tuple(found)}),))

    return extract


def definition(
    *,
    name: str,
    route: Route,
    request: type[EmailFinderBody],
    read: Callable[[dict[str, Any]], list[EmailFact]],
    provider: str,
) -> Definition[Any]:
    """An e-mail finder's definition: one Clay route, the person's key, the provider's
    reader; every finder feeds `emails`/`best_email` at `NAME_PRIORITY`."""
    return Definition(
        name=name,
        routes=(route,),
        request=request,
        entity="email",
        natural_key=person_key,
        extract=extractor(read),
        feeds=("emails", "best_email"),
        priority=NAME_PRIORITY,
        provider=provider,
        platform="clay",
    )


def found(fact: EmailFact | None) -> list[EmailFact]:
    """A single-result provider's read: the one fact, or nothing."""
    return [fact] if fact is not None else []


def fact(
    email: object,
    *,
    provider: str,
    status: EmailStatus,
    raw_status: object = None,
    certainty: object = None,
    catch_all: object = None,
    mx_provider: object = None,
    mx_records: object = None,
    details: dict[str, Any] | None = None,
) -> EmailFact | None:
    """One result, its address normalised; None when it holds no address."""
    address = normalize.email(v.text(email))
    if address is None:
        return None
    return EmailFact(
        email=address,
        provider=provider,
        status=status,
        raw_status=v.text(raw_status),
        certainty=v.text(certainty),
        catch_all=v.flag(catch_all),
        mx_provider=v.text(mx_provider),
        mx_records=tuple(sorted({r.lower() for r in v.texts(mx_records)})),
        details=v.compact(details or {}),
    )


def status_of(raw: object, table: dict[str, EmailStatus], default: EmailStatus) -> EmailStatus:
    """A provider's status word on the common scale (`default` for words not in `table`)."""
    word = (v.text(raw) or "").strip().lower().replace("-", "_").replace(" ", "_")
    return table.get(word, default) if word else default
