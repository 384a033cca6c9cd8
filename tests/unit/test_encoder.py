"""The orjson message encoder writes dramatiq's JSON and never changes a value."""

from __future__ import annotations

import json

import dramatiq
import pytest

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
