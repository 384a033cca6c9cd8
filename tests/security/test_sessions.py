"""Dashboard sessions: an opaque, hashed, expiring, revocable token for the dashboard only."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, select, text

from gateway.sessions import SESSION_COOKIE
from pipeline import tables as t
from pipeline.store import keys
from schemas.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.security.conftest import ADMIN, KeyFactory

pytestmark = pytest.mark.integration

JOB = "/jobs/00000000-0000-0000-0000-000000000000"


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def _sign_in(client: TestClient, key: str = ADMIN_KEY) -> str:
    answer = client.post("/dashboard/login", data={"key": key}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    return token


def _signed_in(client: TestClient) -> bool:
    page = client.get("/dashboard")
    return page.status_code == 200 and "Dead letters" in page.text


def test_the_cookie_is_an_opaque_token_stored_only_hashed(
    browser: TestClient, engine: Engine
) -> None:
    token = _sign_in(browser)
    assert ADMIN_KEY not in token
    with engine.connect() as conn:
        stored = conn.execute(select(t.dashboard_sessions)).mappings().all()
    assert [row["session_hash"] for row in stored] == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in str(stored)
    assert _signed_in(browser)


def test_the_session_opens_no_api_route(browser: TestClient, app: FastAPI) -> None:
    token = _sign_in(browser)
    cookie = {"Cookie": f"{SESSION_COOKIE}={token}", "X-HQ-Dashboard": "1"}
    api = [("GET", "/dead-letters"), ("GET", JOB), ("POST", "/dead-letters/1/replay")]
    for method, path in api:
        answer = browser.request(method, path, headers=cookie)
        assert answer.status_code == 401, (path, answer.text)


def test_signing_out_revokes_the_session_wherever_its_cookie_went(browser: TestClient) -> None:
    token = _sign_in(browser)
    browser.post("/dashboard/logout")
    assert not _signed_in(browser)
    browser.cookies.set(SESSION_COOKIE, token, path="/dashboard")  # a copy kept elsewhere
    assert not _signed_in(browser)
    assert browser.post("/dashboard/dead-letters/1/replay").status_code == 401


def test_revoking_the_key_ends_its_sessions(
    browser: TestClient, make_key: KeyFactory, engine: Engine
) -> None:
    key_id, key = make_key(name="operator")
    _sign_in(browser, key)
    assert _signed_in(browser)
    with engine.begin() as conn:
        assert keys.revoke(conn, key_id=key_id)
        open_sessions = conn.execute(
            select(t.dashboard_sessions.c.revoked_at).where(t.dashboard_sessions.c.key_id == key_id)
        ).scalars()
        assert all(revoked is not None for revoked in open_sessions)
    assert not _signed_in(browser)


def test_an_expired_session_is_refused(browser: TestClient, engine: Engine) -> None:
    _sign_in(browser)
    with engine.begin() as conn:
        conn.execute(text("UPDATE ops.dashboard_sessions SET expires_at = now() - interval '1s'"))
    assert not _signed_in(browser)


def test_a_session_of_the_bootstrap_key_ends_when_that_key_changes(
    browser: TestClient, settings: Settings
) -> None:
    from gateway.app import create_app

    token = _sign_in(browser)
    rotated_key = SecretStr("another-admin-key")
    rotated = create_app(settings.model_copy(update={"hq_admin_api_key": rotated_key}))
    with TestClient(rotated, cookies={SESSION_COOKIE: token}) as after:
        assert not _signed_in(after)


def test_dashboard_actions_need_a_session_before_the_body_is_read_and_the_same_origin(
    browser: TestClient,
) -> None:
    stranger = browser.post("/dashboard/dead-letters/1/replay", content=b"x" * 10)
    assert stranger.status_code == 401
    assert stranger.json()["error"]["code"] == "unauthorized"
    # An API key is no session: the dashboard takes none.
    assert browser.post("/dashboard/dead-letters/1/replay", headers=ADMIN).status_code == 401
    _sign_in(browser)
    cross = browser.post(
        "/dashboard/dead-letters/1/replay", headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    assert browser.post("/dashboard/dead-letters/1/replay").status_code == 404  # no such letter
