"""Inbound request bodies, validated at the gateway and again by the first stage."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from schemas import lint
from schemas.callbacks import CallbackFields
from schemas.canonical import LinkedInProfileUrlAsSent

#: The slug Clay's person-profile webhook uses unless a table says otherwise.
DEFAULT_PERSON_WORKFLOW = "clay-person-profile"

#: Validation context for a body the gateway accepted: skips the Clay lint and bounds walk.
TRUSTED: Mapping[str, Any] = MappingProxyType({"trusted": True})


def _numbers_for_text(schema: dict[str, Any]) -> None:
    """Declare what `coerce_numbers_to_str` accepts: a number wherever text is asked for.

    A text field without a pattern or an enum takes `40` as `"40"`, so the document says
    `string | number` there (a number never matches a pattern or an enum, so those stay).
    """
    for name, prop in schema.get("properties", {}).items():
        options = prop.get("anyOf", [prop])
        if any(_plain_text(o) for o in options) and not any(
            o.get("type") == "number" for o in options
        ):
            number = {"type": "number"}
            if "anyOf" in prop:
                prop["anyOf"].append(number)
            else:
                text = {k: prop.pop(k) for k in list(prop) if k not in _ANNOTATIONS}
                prop["anyOf"] = [text, number]
            schema["properties"][name] = prop


#: Keys of a property's schema that describe it rather than constrain its type.
_ANNOTATIONS = frozenset({"title", "description", "examples", "default", "deprecated"})


def _plain_text(option: dict[str, Any]) -> bool:
    return option.get("type") == "string" and not {"pattern", "enum", "const", "format"} & set(
        option
    )


class Inbound(BaseModel):
    """Base for request bodies: strings trimmed, unknown fields kept (Clay adds columns).

    Every body is linted for what Clay sends (see `schemas.lint`) before its fields are
    validated: a required field holding an empty cell or an unresolved `{{Column}}` is an
    error naming the likely cause; an optional or unknown one is left out, as if not sent;
    numbers are accepted for text fields and grouped or `.0` numbers for number fields.
    Values of `raw_fields` are provider data: stored as received, so never linted, but
    bounded in depth and size like the rest of the body.

    A body the gateway already accepted (its `model_dump`) is validated again without the
    lint and bounds walk with `Model.model_validate(body, context=TRUSTED)`; the fields'
    own validators still run.
    """

    model_config = ConfigDict(
        extra="allow",
        str_strip_whitespace=True,
        coerce_numbers_to_str=True,
    )

    #: Fields whose values are provider data kept exactly as received.
    raw_fields: ClassVar[frozenset[str]] = frozenset({"raw_payload"})

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The model's schema, declaring the numbers its text fields accept (every subclass,
        whatever its own `json_schema_extra`)."""
        schema = handler(core_schema)
        _numbers_for_text(handler.resolve_ref_schema(schema))
        return schema

    @model_validator(mode="before")
    @classmethod
    def _lint_clay_values(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or is_trusted(info.context):
            return data
        try:
            if error := lint.bounds_problem(data):
                raise error
            return lint.clean_body(data, fields=_field_specs(cls), raw=cls.raw_fields)
        except lint.LintError as err:
            raise PydanticCustomError("clay_value", err.message, {"field": err.field}) from None


def is_trusted(context: Any) -> bool:
    """Whether a validation context marks the body as already accepted (see `TRUSTED`)."""
    return isinstance(context, Mapping) and context.get("trusted") is True


@cache
def _field_specs(model: type[Inbound]) -> dict[str, lint.FieldSpec]:
    """Each key a body may use for a declared field (name and aliases), with its spec."""
    specs: dict[str, lint.FieldSpec] = {}
    for name, info in model.model_fields.items():
        spec = lint.FieldSpec(required=info.is_required(), numeric=_is_numeric(info.annotation))
        for key in (name, info.alias, info.validation_alias):
            if isinstance(key, str):
                specs[key] = spec
    return specs


def _is_numeric(annotation: Any) -> bool:
    """Whether a field takes a number (`int`, `float`, optionally in a union with None)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_numeric(arg) for arg in typing.get_args(annotation))
    return annotation in (int, float)


#: A JSON object or array holding at least one member, as the schema states it (`_not_empty`
#: enforces it with one clear message, which a constraint per union member would not give).
NonEmptyObject = Annotated[dict[str, Any], WithJsonSchema({"type": "object", "minProperties": 1})]
NonEmptyList = Annotated[list[Any], WithJsonSchema({"type": "array", "minItems": 1})]


class PersonProfileIngest(CallbackFields, Inbound):
    """`POST /run/people/clay-native/person-profile/ingest`."""

    linkedin_url: LinkedInProfileUrlAsSent = Field(
        default=None,
        description="The person's LinkedIn profile URL, any spelling; else the payload's own",
        examples=["https://www.linkedin.com/in/marisol-quennell-4b2e/"],
    )
    workflow_slug: str = Field(
        default=DEFAULT_PERSON_WORKFLOW,
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$",
        description="Which enrichment produced the payload; unknown slugs are registered",
    )
    raw_payload: NonEmptyObject | NonEmptyList = Field(
        description=(
            "The provider's person object as Clay forwards it (Clay, Proxycurl, PDL), bare or "
            "in the provider's response: an envelope, a lookup's {url, profile}, or a search "
            "response or list holding one result"
        )
    )

    @field_validator("raw_payload")
    @classmethod
    def _not_empty(cls, value: dict[str, Any] | list[Any]) -> dict[str, Any] | list[Any]:
        if not value:
            raise ValueError("is empty")
        return value

    def message_body(self) -> dict[str, Any]:
        """What `model_dump(mode="json")` gives, without copying the payload.

        Every field is a str, None or JSON-parsed data, so the dump would only copy them:
        the gateway encodes this at once and never changes it. Fields, then extra fields.
        """
        fields = {name: getattr(self, name) for name in type(self).model_fields}
        return {**fields, **(self.model_extra or {})}
