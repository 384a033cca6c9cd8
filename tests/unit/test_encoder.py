"""The orjson message encoder writes dramatiq's JSON and never changes a value."""

from __future__ import annotations

import json
from decimal import Decimal

import dramatiq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.encoder import OrjsonEncoder

BODIES = [
    {"workflow_slug": "x", "raw_payload": {"name": "Zoë", "n": 3, "f": 1.5, "l": [None, True]}},
    {"big": 2**70, "neg": -(2**65), "edge": 2**63 - 1, "id_text": "12345678901234567890123"},
    {"nested": {"deep": [[[{"x": "é\u2028\u0000"}]]]}},
]


@pytest.mark.parametrize("body", BODIES)
def test_round_trip_is_exact(body: dict[str, object]) -> None:
    encoder = OrjsonEncoder()
    data = encoder.encode(body)
    assert encoder.decode(data) == body
    assert json.loads(data) == body  # plain JSON, readable by dramatiq's own encoder


@pytest.mark.parametrize("body", BODIES)
def test_reads_what_dramatiq_json_encoder_wrote(body: dict[str, object]) -> None:
    data = dramatiq.JSONEncoder().encode(body)
    decoded = OrjsonEncoder().decode(data)
    assert decoded == body
    assert type(decoded.get("big", 0)) is int


def test_non_string_keys_fall_back() -> None:
    assert OrjsonEncoder().decode(OrjsonEncoder().encode({1: "a"})) == {"1": "a"}


EXACT = (
    b'{"long":1.00000000000000000000001,"tiny":1e-400,"huge":1e400,'
    b'"big":123456789012345678901234567890,"neg_zero":-0.0,"plain":0.1,"id":"C4E03AQ"}'
)


def test_numbers_a_double_cannot_hold_survive_a_hop_exactly() -> None:
    from decimal import Decimal

    from pipeline import jsoncodec

    value = jsoncodec.loads(EXACT)
    assert value["long"] == Decimal("1.00000000000000000000001")
    assert value["tiny"] == Decimal("1e-400") and value["huge"] == Decimal("1e400")
    assert value["big"] == 123456789012345678901234567890
    assert value["plain"] == 0.1 and isinstance(value["plain"], float)
    assert str(value["neg_zero"]) == "-0.0"
    again = jsoncodec.loads(OrjsonEncoder().encode(value))  # through a message and back
    assert again == value
    assert json.loads(jsoncodec.dumps(value), parse_float=Decimal) == json.loads(
        EXACT, parse_float=Decimal
    )


def test_an_ordinary_body_takes_the_fast_path() -> None:
    from pipeline import jsoncodec

    body = b'{"name":"Ann","id":"C4E03AQ","score":12.5,"urn":"urn:li:member:123456789"}'
    assert not jsoncodec.may_be_inexact(body)


def test_negative_zeros_survive_a_hop_signed() -> None:
    import math
    from decimal import Decimal

    from pipeline import jsoncodec

    sent = b'{"f":-0.0,"i":-0,"l":[-0,0,-0.0],"date":"2020-01-05","s":"a -0 b"}'
    assert jsoncodec.may_be_inexact(sent)  # `-0`: only the exact path keeps its sign
    assert not jsoncodec.may_be_inexact(b'{"date":"2020-01-05","f":-0.0,"n":-0.5}')
    value = jsoncodec.loads(sent)
    assert math.copysign(1.0, value["f"]) == -1.0 and isinstance(value["f"], float)
    assert value["i"].is_signed() and value["i"].is_zero()
    assert value["l"][1] == 0 and type(value["l"][1]) is int
    assert OrjsonEncoder().encode(value) == sent  # through a message, digit for digit
    again = OrjsonEncoder().decode(OrjsonEncoder().encode(value))
    assert math.copysign(1.0, again["f"]) == -1.0 and again["i"] == Decimal("-0")
    assert jsoncodec.dumps_text(Decimal("-0.000")) == "-0.000"


@pytest.mark.parametrize(
    ("value", "signed"),
    [
        ({"a": {"b": [1, -0.0]}}, True),
        ([{"x": "-0"}, 0.0, 0, -1.5], False),
        ({"d": Decimal("-0E-3")}, True),
        ({"d": Decimal("-1e-400")}, False),
        ({"d": Decimal("0")}, False),
    ],
)
def test_has_negative_zero_and_exact_text(value: object, signed: bool) -> None:
    from pipeline import jsoncodec

    assert jsoncodec.has_negative_zero(value) is signed
    exact = jsoncodec.exact_text(value)
    assert exact == (jsoncodec.dumps_text(value) if signed else None)


def test_dumps_sorted_is_canonical_with_exact_numbers() -> None:
    from pipeline import jsoncodec

    value = {"b": [Decimal("-0"), {"z": 1, "a": -0.0}], "a": Decimal("1e-400")}
    assert jsoncodec.dumps_sorted(value) == b'{"a":1E-400,"b":[-0,{"a":-0.0,"z":1}]}'
    assert jsoncodec.dumps_sorted({"b": 1, "a": 2}) == b'{"a":2,"b":1}'


@settings(max_examples=2000)
@given(st.text(alphabet='0123456789eE.-+ax_"{}:,[] ', max_size=80))
def test_the_token_scan_flags_exactly_what_a_whole_body_search_flags(text: str) -> None:
    from pipeline import jsoncodec

    raw = text.encode()
    whole = jsoncodec._RISKY_NUMBER.search(raw) is not None
    assert jsoncodec.may_be_inexact(raw) == (
        whole or jsoncodec._may_hold_integer_negative_zero(raw)
    )


def _standard(raw: bytes) -> tuple[str, object]:
    """What `json.loads` makes of `raw`: its value with every type, or its error's type."""
    try:
        value = json.loads(raw)
    except Exception as err:
        return ("error", type(err).__name__)
    return ("value", repr(value))


def _fast(raw: bytes) -> tuple[str, object]:
    from pipeline import jsoncodec

    try:
        value = jsoncodec.loads_standard(raw)
    except Exception as err:
        return ("error", type(err).__name__)
    return ("value", repr(value))


_JSON_BITS = st.sampled_from(
    [
        *("0", "-0", "-0.0", "1.5", "12345678901234567", "18446744073709551616", "1e400"),
        *("2E-3", "NaN", "-Infinity", '"\\ud800"', '"\\ud83d\\ude00"', '"é\\u0000"', "null"),
        *("true", '"a"', "[", "]", "{", "}", ":", ",", " ", '"k":', "0.1234567890123456", "007"),
    ]
)


@settings(max_examples=1500)
@given(st.lists(_JSON_BITS, max_size=12), st.sampled_from(["", "\ufeff"]))
def test_loads_standard_reads_what_json_loads_reads(bits: list[str], bom: str) -> None:
    """Value for value (types and float bits included, via repr), error type for error."""
    raw = (bom + "".join(bits)).encode()
    assert _fast(raw) == _standard(raw)


@pytest.mark.parametrize("body", [*BODIES[:1], {"n": [1.5, -0.0, 10**15, "x" * 40]}])
def test_loads_standard_reads_ordinary_bodies_with_orjson(body: dict[str, object]) -> None:
    from pipeline import jsoncodec

    raw = json.dumps(body).encode()
    assert not jsoncodec.may_be_inexact(raw)
    assert repr(jsoncodec.loads_standard(raw)) == repr(json.loads(raw))
