"""One error shape for every answer, and nothing from inside the service in any of them."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import ProgrammingError

from pipeline.store import ops
from tests.security.conftest import ADMIN, endpoints

pytestmark = pytest.mark.integration

INGEST = "/run/people/clay-native/person-profile/ingest"
JOB = "/jobs/00000000-0000-0000-0000-000000000000"

#: Text that must never reach a client: tracebacks, SQL, exception and module names.
LEAKS = re.compile(
    r"Traceback|File \"|SELECT|ops\.jobs|psycopg|sqlalchemy|ProgrammingError|/work/|\.py\b",
    re.IGNORECASE,
)


@pytest.fixture
def admin(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, headers=ADMIN, raise_server_exceptions=False) as client:
        yield client


def _shape(body: dict[str, Any]) -> dict[str, Any]:
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert {"code", "message"} <= set(error) <= {"code", "message", "field", "details", "reference"}
    return error


def test_an_internal_error_is_500_with_a_reference_and_no_internals(
    admin: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(conn: Any, *, job_id: str) -> None:
        raise ProgrammingError(
            "SELECT * FROM ops.jobs WHERE job_id = %(job_id)s", {"job_id": job_id}, Exception("x")
        )

    monkeypatch.setattr(ops, "load_job", broken)
    with caplog.at_level(logging.ERROR, logger="hq.gateway"):
        response = admin.get(JOB)
    assert response.status_code == 500
    error = _shape(response.json())
    assert error["code"] == "internal_error"
    assert re.fullmatch(r"[0-9a-f]{12}", error["reference"])
    assert error["reference"] in error["message"]
    assert not LEAKS.search(response.text), response.text
    # The operators get the whole story under the same reference.
    [record] = [r for r in caplog.records if error["reference"] in r.getMessage()]
    assert record.exc_info is not None


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code", "field"),
    [
        ("GET", "/no/such/path", {}, 404, "not_found", None),
        ("DELETE", INGEST, {}, 405, "method_not_allowed", None),
        ("POST", INGEST, {"json": {}}, 422, "invalid_request", "raw_payload"),
        ("POST", INGEST, {"json": []}, 422, "invalid_request", "body"),
        (
            "POST",
            INGEST,
            {"content": b'{"raw_payload": {', "headers": {"Content-Type": "application/json"}},
            422,
            "invalid_request",
            "body",
        ),
        (
            "POST",
            INGEST,
            {"json": {"raw_payload": {"a": 1}, "workflow_slug": "{{Slug}}", "linkedin_url": "x"}},
            422,
            "invalid_request",
            "linkedin_url",
        ),
        (
            "POST",
            INGEST,
            {"json": {"raw_payload": "{{Person}}"}},
            422,
            "invalid_request",
            "raw_payload",
        ),
        (
            "GET",
            "/api/people",
            {"params": {"linkedin_url": "a\x00b"}},
            422,
            "invalid_request",
            "url",
        ),
        ("GET", "/api/people", {}, 422, "invalid_request", "linkedin_url"),
    ],
)
def test_client_errors_share_the_shape_and_name_the_field(
    admin: TestClient,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
    code: str,
    field: str | None,
) -> None:
    response = admin.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    error = _shape(response.json())
    assert error["code"] == code
    assert error.get("field") == field
    assert not LEAKS.search(response.text), response.text


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("GET", {"params": {"ids": str(2**70)}}),
        ("POST", {"json": {"stage": "a\x00b", "dry_run": True}}),
    ],
)
def test_a_value_the_database_refuses_is_422_not_500(
    admin: TestClient, method: str, kwargs: dict[str, Any]
) -> None:
    """A route that forgot to bound an input (found by the fuzz run) still answers 422."""
    path = "/dead-letters" if method == "GET" else "/dead-letters/replay"
    if not any(e.template == path for e in endpoints(admin.app)):  # type: ignore[arg-type]
        pytest.skip("no dead-letter routes in this build")
    response = admin.request(method, path, **kwargs)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    # Either the route bounds the input (a field is named) or the DataError net catches it.
    assert error.get("field") or "reference" in error, error
    assert not LEAKS.search(response.text), response.text


def test_a_validation_message_says_what_and_where(admin: TestClient) -> None:
    body = {"raw_payload": {"experience": [{"title": "x", "company": {"bio": "\x00"}}]}}
    error = admin.post(INGEST, json=body).json()["error"]
    assert error["field"] == "raw_payload.experience[0].company.bio"
    assert error["message"].startswith("raw_payload.experience[0].company.bio: contains a NUL")


def test_a_bad_list_item_is_named_by_its_path_in_the_headline(admin: TestClient) -> None:
    answer = admin.post("/dead-letters/replay", json={"ids": [1, "x"], "dry_run": True})
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["field"] == "ids[1]"
    assert error["message"].startswith("ids[1]: ")


@pytest.mark.parametrize(
    ("body", "status", "position", "why"),
    [
        (b'{"raw_payload": {"name": "\xff"}}', 400, 26, "not valid UTF-8"),
        (b"[" * 5000, 400, 500, "nests too deeply"),
        (b'{"raw_payload": {"name": }', 422, 25, "not valid JSON"),
    ],
)
def test_an_unreadable_body_answers_the_error_shape_with_a_position(
    admin: TestClient, body: bytes, status: int, position: int, why: str
) -> None:
    answer = admin.post(INGEST, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == status, answer.text
    error = _shape(answer.json())
    assert error["field"] == "body" and why in error["message"]
    assert str(position) in error["message"]
    assert error["details"][0]["position"] == position


def test_head_answers_every_get_route_without_a_body(admin: TestClient) -> None:
    for path in ("/healthz", "/dead-letters", JOB):
        got, head = admin.get(path), admin.head(path)
        assert head.status_code == got.status_code, path
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
    assert admin.head(INGEST).status_code == 405


LEADS = "/run/client/leads/ingest"
LEAD = {"client_domain": "acme.com", "work_email": "a@acme.com"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("submitted_at", "99999-01-01"),
        ("submitted_at", "99999999999999999"),
        ("submitted_at", "next tuesday"),
        ("company_size", "-5"),
        ("company_size", -40),
        ("company_size", "\u2212 12 employees"),
    ],
)
def test_a_value_the_pipeline_could_only_drop_is_422_at_the_door(
    admin: TestClient, field: str, value: object
) -> None:
    answer = admin.post(LEADS, json={**LEAD, field: value})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field
    assert admin.post(LEADS, json={**LEAD, field: None}).status_code == 202


def test_a_405_says_which_methods_are_allowed(admin: TestClient) -> None:
    assert "POST" in admin.delete(INGEST).headers["allow"]


def test_the_openapi_document_describes_the_error_shape(admin: TestClient) -> None:
    doc = admin.get("/openapi.json").json()
    operation = doc["paths"][INGEST]["post"]
    for status in ("401", "403", "413", "422", "429"):
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorResponse"}
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    assert {"bearer", "apiKey"} == set(doc["components"]["securitySchemes"])
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    assert "security" not in doc["paths"]["/healthz"]["get"]
