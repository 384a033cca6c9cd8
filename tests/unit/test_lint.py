"""Clay input linting: empty cells, unresolved column references, numbers as text, bounds."""

from __future__ import annotations

import math
from typing import Any

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import Field, ValidationError

from schemas import lint
from schemas.webhooks import Inbound, PersonProfileIngest


class Lead(Inbound):
    """A body like the ones other routes add: required, optional, numeric and list fields."""

    client_domain: str
    job_title: str | None = None
    company_size: int | None = None
    revenue: float | None = None
    workflow: str = "default-flow"
    tags: list[str] = Field(default_factory=list)
    email: str | None = Field(default=None, alias="work_email")


def _error(model: type[Inbound], body: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    [error] = caught.value.errors()
    return dict(error)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{{Person URL}}", "unresolved Clay column reference {{Person URL}}"),
        ("  #{{Company Domain}} ", "unresolved Clay column reference #{{Company Domain}}"),
        ("https://x.com/{{slug}}", "unresolved Clay column reference {{slug}}"),
        ("", 'is empty (Clay sends "" for an empty cell)'),
        ("   ", "is empty"),
        ("null", 'is the text "null", which is how Clay sends an empty cell'),
        ("Undefined", 'is the text "Undefined"'),
        ("NaN", 'is the text "NaN"'),
        ("[object Object]", "an object column was sent as text"),
        (None, "is null"),
    ],
)
def test_problem_names_the_likely_cause(value: object, expected: str) -> None:
    reason = lint.problem(value)
    assert reason is not None
    assert expected in reason


@pytest.mark.parametrize("value", ["acme.com", "Null Island Ltd", "0", 0, False, {}, [], "{x}"])
def test_real_values_have_no_problem(value: object) -> None:
    assert lint.problem(value) is None


def test_required_field_with_unresolved_reference_names_field_and_cause() -> None:
    error = _error(Lead, {"client_domain": "{{Company Domain}}"})
    assert error["ctx"]["field"] == "client_domain"
    assert "unresolved Clay column reference {{Company Domain}}" in error["msg"]


@pytest.mark.parametrize("value", ["", "null", "undefined", None])
def test_required_field_with_empty_cell_is_an_error(value: object) -> None:
    error = _error(Lead, {"client_domain": value})
    assert error["ctx"]["field"] == "client_domain"
    assert "empty" in error["msg"] or "null" in error["msg"]


def test_optional_and_unknown_fields_with_empty_cells_are_absent() -> None:
    body = {
        "client_domain": "acme.com",
        "job_title": "{{Title}}",
        "company_size": "null",
        "workflow": "undefined",
        "work_email": "",
        "utm_source": "#{{Source}}",
        "utm_medium": "email",
    }
    lead = Lead.model_validate(body)
    assert lead.job_title is None and lead.company_size is None and lead.email is None
    assert lead.workflow == "default-flow"
    assert lead.model_fields_set == {"client_domain", "utm_medium"}
    assert lead.model_extra == {"utm_medium": "email"}


def test_numbers_as_text_and_text_as_numbers() -> None:
    lead = Lead.model_validate(
        {"client_domain": "acme.com", "company_size": "1,234", "revenue": "12.0", "job_title": 42}
    )
    assert lead.company_size == 1234
    assert lead.revenue == 12.0
    assert lead.job_title == "42"
    assert (
        Lead.model_validate({"client_domain": "a.com", "company_size": " 51.0 "}).company_size == 51
    )


def test_list_items_that_are_empty_cells_are_dropped() -> None:
    lead = Lead.model_validate({"client_domain": "a.com", "tags": ["vip", "null", "{{Tag}}", ""]})
    assert lead.tags == ["vip"]


def test_raw_payload_is_bounded_but_never_linted() -> None:
    raw = {"name": "{{Name}}", "title": "null", "empty": "", "nested": {"v": "undefined"}}
    body = PersonProfileIngest.model_validate({"raw_payload": raw, "linkedin_url": "{{URL}}"})
    assert body.raw_payload == raw
    assert body.linkedin_url is None


def test_a_whole_raw_payload_sent_as_a_reference_is_an_error() -> None:
    error = _error(PersonProfileIngest, {"raw_payload": "{{Enrich Person}}"})
    assert error["ctx"]["field"] == "raw_payload"
    assert "{{Enrich Person}}" in error["msg"]


def _nest(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"n": value}
    return value


def test_nesting_is_bounded_everywhere_with_the_path() -> None:
    PersonProfileIngest.model_validate({"raw_payload": _nest(lint.MAX_DEPTH - 1)})
    error = _error(PersonProfileIngest, {"raw_payload": _nest(lint.MAX_DEPTH + 5)})
    assert error["ctx"]["field"].startswith("raw_payload.n.n.")
    assert "nested deeper than" in error["msg"]


def test_a_payload_far_deeper_than_the_stack_is_refused_without_recursion() -> None:
    deep: list[Any] = []
    for _ in range(50_000):
        deep = [deep]
    problem = lint.bounds_problem({"raw_payload": deep})
    assert problem is not None and "nested deeper" in problem.message


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ({"bio": "x" * (lint.MAX_STRING_CHARS + 1)}, "raw_payload.bio", "longer than"),
        ({"k" * (lint.MAX_KEY_CHARS + 1): 1}, "raw_payload.kkkk", "key longer than"),
        ({"list": [1, "a\x00b"]}, "raw_payload.list.1", "NUL"),
        ({"a\x00": 1}, "raw_payload.a", "NUL"),
        ({"s": "\ud800"}, "raw_payload.s", "lone surrogate"),
        ({"f": math.nan}, "raw_payload.f", "NaN"),
        ({"f": [math.inf]}, "raw_payload.f.0", "Infinity"),
    ],
)
def test_sizes_and_unstorable_values_are_refused_with_their_path(
    raw: dict[str, Any], field: str, words: str
) -> None:
    error = _error(PersonProfileIngest, {"raw_payload": raw})
    assert error["ctx"]["field"].startswith(field)
    assert words in error["msg"]


def test_top_level_fields_are_bounded_too() -> None:
    error = _error(Lead, {"client_domain": "a.com", "job_title": "t" * (lint.MAX_STRING_CHARS + 1)})
    assert error["ctx"]["field"] == "job_title"


def test_linting_is_idempotent_for_what_the_gateway_sends_on() -> None:
    """Workers re-validate the gateway's dump; it must come out the same."""
    body = {"client_domain": "acme.com", "job_title": "{{T}}", "company_size": "2,000", "x": "y"}
    once = Lead.model_validate(body)
    twice = Lead.model_validate(once.model_dump(mode="json", by_alias=True))
    assert twice == once


CLAY_VALUE = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "null", "undefined", "None", "nan", "[object Object]"]),
    st.builds("{{{{{}}}}}".format, st.text(alphabet="abc XYZ_", max_size=12)),
    st.text(max_size=30),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
)


@settings(max_examples=300)
@given(client=CLAY_VALUE, title=CLAY_VALUE, size=CLAY_VALUE, extra=CLAY_VALUE)
def test_any_cell_value_gives_a_model_or_a_named_error(
    client: object, title: object, size: object, extra: object
) -> None:
    body = {"client_domain": client, "job_title": title, "company_size": size, "col": extra}
    try:
        lead = Lead.model_validate(body)
    except ValidationError as err:
        for problem in err.errors():
            assert problem["loc"] or problem.get("ctx", {}).get("field")
        return
    assert lint.problem(lead.client_domain) is None
    assert lead.job_title is None or lint.problem(lead.job_title) is None


def test_a_trusted_body_skips_the_lint_and_the_bounds_walk() -> None:
    """Workers re-validate what the gateway accepted without linting it again."""
    from schemas.webhooks import TRUSTED

    body = {"raw_payload": {"bio": "x" * (lint.MAX_STRING_CHARS + 1)}, "job_title": "{{T}}"}
    trusted = PersonProfileIngest.model_validate(body, context=TRUSTED)
    assert trusted.raw_payload == body["raw_payload"]
    assert trusted.model_extra == {"job_title": "{{T}}"}  # not linted away
    assert Lead.model_validate({"client_domain": "null"}, context={"trusted": True})
    with pytest.raises(ValidationError):  # the fields' own validators still run
        PersonProfileIngest.model_validate({**body, "linkedin_url": "x"}, context=TRUSTED)
    for context in (None, {}, {"trusted": "yes"}):
        with pytest.raises(ValidationError):
            PersonProfileIngest.model_validate(body, context=context)


def test_a_trusted_gateway_dump_validates_to_the_same_model() -> None:
    from schemas.webhooks import TRUSTED

    body = {"client_domain": "acme.com", "job_title": "{{T}}", "company_size": "2,000", "x": "y"}
    once = Lead.model_validate(body)
    assert Lead.model_validate(once.model_dump(mode="json", by_alias=True), context=TRUSTED) == once


#: JSON-like values with every kind of bounds problem, for limits shrunk to small sizes.
_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and ±Infinity included
    st.text(alphabet=st.sampled_from('ab"\\{}[]:,\x00\ud800é\u2028'), max_size=8),
)
_KEY = st.text(alphabet=st.sampled_from('k"\\:{\x00\ud800é'), max_size=6)
_JSONISH = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEY, inner, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=400)
@given(data=_JSONISH)
@example(data={"kkkkk": 1})
@example(data={"a": "b\x00"})
@example(data={"a\x00": "b"})
@example(data=[[[[1]]]])
@example(data={"a": [1, None, math.nan]})
@example(data=["x" * 7])
@example(data={'k\\"k"': 1})
def test_the_fast_bounds_check_never_passes_what_the_walk_refuses(data: object) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lint, "MAX_DEPTH", 3)
        patch.setattr(lint, "MAX_STRING_CHARS", 6)
        patch.setattr(lint, "MAX_KEY_CHARS", 4)
        walked = next(
            (
                (path, depth)
                for path, value, depth, is_key in lint._walk(data)
                if depth > lint.MAX_DEPTH
                or (lint._key_problem(value) if is_key else lint._value_problem(value))
            ),
            None,
        )
        if lint._plainly_within_bounds(data):
            assert walked is None
        problem = lint.bounds_problem(data)
        assert (problem is None) == (walked is None)
        assert problem is None or walked is None or problem.field == walked[0]


@pytest.mark.parametrize("name", ["clay_a", "pdl_a", "proxycurl_b"])
def test_the_message_body_of_each_provider_shape_is_its_json_dump(name: str) -> None:
    from tests.conftest import load_fixture

    model = PersonProfileIngest.model_validate(load_fixture(f"payloads/{name}.json"))
    assert model.message_body() == model.model_dump(mode="json")


def test_the_message_body_is_the_json_dump_without_copies() -> None:
    body = {
        "linkedin_url": "linkedin.com/in/a",
        "raw_payload": {"name": "A", "jobs": [{"t": "x", "n": 1.5}], "none": None},
        "callback_url": "https://x.clay.com/h",
        "clay_row_id": 7,
        "empty": "null",
    }
    model = PersonProfileIngest.model_validate(body)
    message = model.message_body()
    assert message == model.model_dump(mode="json")
    assert list(message) == list(model.model_dump(mode="json"))
    assert message["raw_payload"] is model.raw_payload


def test_a_body_orjson_read_skips_only_the_nan_check() -> None:
    from pipeline import jsoncodec

    raw = b'{"raw_payload": {"a": null, "b": [1.5, null], "c": "x"}}'
    parsed = jsoncodec.loads_standard(raw)
    assert isinstance(parsed, lint.FiniteJson) and parsed == orjson.loads(raw)
    assert lint._plainly_within_bounds(parsed) and lint.bounds_problem(parsed) is None
    assert not isinstance(jsoncodec.loads_standard(b'{"a": [NaN]}'), lint.FiniteJson)
    assert not lint._plainly_within_bounds({"raw_payload": {"a": math.nan}})
