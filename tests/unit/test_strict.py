"""`pipeline.strict`: one reading of "a whole number" for every value parsed by hand."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.security import BodyLimit
from pipeline.strict import BIGINT_MAX, whole_number


@pytest.mark.parametrize("text", ["²", "0³", "①", "١٢", " 7", "7 ", "1_000", "+1", "-1", "", "0x1"])
def test_only_ascii_digits_are_a_number(text: str) -> None:
    assert whole_number(text) is None


def test_bounds_are_inclusive_and_huge_values_are_refused() -> None:
    assert whole_number("0") == 0
    assert whole_number(str(BIGINT_MAX)) == BIGINT_MAX
    assert whole_number(str(BIGINT_MAX + 1)) is None
    assert whole_number("9" * 5000) is None
    assert whole_number("5", lo=6) is None
    assert whole_number("7", hi=6) is None


@given(st.text(max_size=25))
def test_never_raises_and_agrees_with_int_when_it_reads(text: str) -> None:
    value = whole_number(text)
    if value is not None:
        assert value == int(text) and text.isascii()


@pytest.mark.parametrize("header", [b"\xc2\xb2", b"1_0", b" 5", b"-1"])
def test_a_content_length_that_is_not_a_number_is_422_naming_it(header: bytes) -> None:
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not be reached")

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(b"content-length", header)],
    }
    asyncio.run(BodyLimit(app, max_bytes=100)(scope, receive, send))
    assert sent[0]["status"] == 422
    assert b'"field":"Content-Length"' in sent[1]["body"]


@pytest.mark.parametrize("lead_id", ["\u0661\u0662", "\u00b2", " 7", "1_0", "0"])
def test_a_leads_cursor_with_an_odd_number_is_422_naming_it(lead_id: str) -> None:
    from gateway import routes_leads
    from gateway.errors import ApiError

    text = f"2026-01-01T00:00:00+00:00|{lead_id}"
    cursor = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    with pytest.raises(ApiError) as refused:
        routes_leads._decode(cursor)
    assert (refused.value.status, refused.value.field) == (422, "cursor")
