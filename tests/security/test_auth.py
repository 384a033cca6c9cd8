"""Keys on the real gateway: 401 without one, 403 outside a key's scope, on every route."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Query
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from gateway import auth, deps
from pipeline import store
from pipeline import tables as t
from pipeline.store import keys
from tests.security.conftest import (
    ADMIN,
    DASHBOARD,
    PUBLIC,
    Endpoint,
    KeyFactory,
    bearer,
    call,
    endpoints,
)

pytestmark = pytest.mark.integration

INGEST = "/run/people/clay-native/person-profile/ingest"
PROFILE = {"linkedin_url": "linkedin.com/in/some-one", "raw_payload": {"full_name": "Some One"}}


def _is_error(response: Any, code: str) -> bool:
    body = response.json()
    return set(body) == {"error"} and body["error"]["code"] == code


def test_the_app_has_routes_to_guard(app: FastAPI) -> None:
    found = {str(e) for e in endpoints(app)}
    assert f"POST {INGEST}" in found
    assert "GET /jobs/{job_id}" in found


BAD_CREDENTIALS: list[dict[str, str]] = [
    {},
    {"X-API-Key": "wrong"},
    {"Authorization": "Bearer wrong"},
    {"Authorization": "Bearer " + auth.generate_key()},  # well-formed, never issued
    {"Authorization": "Basic dGVzdDp0ZXN0"},
    {"Authorization": "test-admin-key"},  # the admin key without the Bearer scheme
    {"X-API-Key": "test-admin-key" + "x" * 600},
]


def test_every_route_answers_401_without_a_valid_key(app: FastAPI, anonymous: TestClient) -> None:
    refused = {}
    for endpoint in endpoints(app):
        for headers in BAD_CREDENTIALS:
            response = anonymous.request(
                endpoint.method, endpoint.path, json={"probe": 1}, headers=headers
            )
            if response.status_code != 401 or not _is_error(response, "unauthorized"):
                refused[f"{endpoint} {headers}"] = response.status_code
            assert response.headers.get("www-authenticate") == "Bearer"
    assert refused == {}


def test_the_dashboard_shows_strangers_only_its_login_form(
    anonymous: TestClient, make_key: KeyFactory
) -> None:
    if "/dashboard" not in DASHBOARD:
        pytest.skip("no dashboard in this build")
    _key_id, scoped = make_key(client_domain="acme.com")
    for headers in [{}, {"X-API-Key": "wrong"}, bearer(scoped), ADMIN]:
        page = anonymous.get("/dashboard", headers=headers)  # it signs in by cookie only
        assert page.status_code == 401, page.status_code
        assert "Dead letters" not in page.text
    assert anonymous.post("/dashboard/login", data={"key": "wrong"}).status_code == 401
    assert anonymous.post("/dashboard/login", data={"key": scoped}).status_code == 403


def test_unknown_paths_do_not_reveal_themselves_without_a_key(anonymous: TestClient) -> None:
    assert anonymous.get("/no/such/thing").status_code == 401
    assert anonymous.get("/no/such/thing", headers=ADMIN).status_code == 404


@pytest.mark.parametrize("path", sorted(PUBLIC - {"/docs/oauth2-redirect"}))
def test_public_paths_need_no_key(anonymous: TestClient, path: str) -> None:
    assert anonymous.get(path).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [ADMIN, {"X-API-Key": "test-admin-key"}, {"Authorization": "bearer   test-admin-key  "}],
)
def test_the_admin_key_is_accepted_in_either_header(
    anonymous: TestClient, headers: dict[str, str]
) -> None:
    assert anonymous.post(INGEST, json=PROFILE, headers=headers).status_code == 202


def test_a_created_key_is_stored_hashed_and_its_use_recorded(
    anonymous: TestClient, make_key: KeyFactory, engine: Engine
) -> None:
    key_id, key = make_key(name="ops script")
    with engine.connect() as conn:
        row = conn.execute(select(t.api_keys).where(t.api_keys.c.id == key_id)).one()._mapping
    assert key not in {str(v) for v in row.values()}
    assert row["key_hash"] == auth.hash_key(key)
    assert row["last_used_at"] is None

    assert anonymous.post(INGEST, json=PROFILE, headers=bearer(key)).status_code == 202
    with engine.connect() as conn:
        [listed] = [r for r in keys.list_keys(conn) if r["id"] == key_id]
    assert listed["last_used_at"] is not None
    assert "key_hash" not in listed


def test_a_revoked_key_is_refused(
    app: FastAPI, anonymous: TestClient, make_key: KeyFactory, engine: Engine
) -> None:
    key_id, key = make_key()
    assert (
        anonymous.get("/jobs/00000000-0000-0000-0000-000000000000", headers=bearer(key)).status_code
        == 404
    )
    with engine.begin() as conn:
        assert keys.revoke(conn, key_id=key_id)
        assert not keys.revoke(conn, key_id=key_id)
    app.state.services.auth.forget()  # otherwise the cache trusts it for CACHE_SECONDS
    response = anonymous.get("/jobs/00000000-0000-0000-0000-000000000000", headers=bearer(key))
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "invalid or revoked API key"


def test_an_unreadable_key_table_is_503_not_401_or_500(
    app: FastAPI, anonymous: TestClient, make_key: KeyFactory
) -> None:
    _key_id, key = make_key()
    nowhere = store.make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", pool_size=1)
    app.state.services.auth.engine = nowhere
    try:
        response = anonymous.get("/jobs/x", headers=bearer(key))
    finally:
        nowhere.dispose()
    assert response.status_code == 503
    assert _is_error(response, "unavailable")


def test_the_key_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "CACHE_SIZE", 5)
    authenticator = auth.Authenticator(admin_key="a", engine=None)
    for _ in range(50):
        with pytest.raises(Exception, match="invalid"):
            authenticator.verify(auth.generate_key())
    assert len(authenticator._cache) == 5


def test_malformed_keys_never_reach_the_database() -> None:
    class Exploding:
        def begin(self) -> Any:
            raise AssertionError("looked up a key that cannot exist")

    authenticator = auth.Authenticator(admin_key="a", engine=Exploding())  # type: ignore[arg-type]
    for key in ["x", "hq_short", "' OR 1=1 --", "hq_" + "!" * 43]:
        with pytest.raises(Exception, match="invalid"):
            authenticator.verify(key)


def test_only_an_unknown_key_needs_the_key_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """`verify_known` decides on the event loop; None sends the caller to a thread."""
    looked_up: list[str] = []
    authenticator = auth.Authenticator(admin_key="a", engine=None)
    real_lookup = authenticator._lookup

    def counting(digest: str) -> Any:
        looked_up.append(digest)
        return real_lookup(digest)

    monkeypatch.setattr(authenticator, "_lookup", counting)
    admin = authenticator.verify_known("a")
    assert admin is not None and admin.is_admin
    for bad in [None, "", "x", "hq_short"]:
        with pytest.raises(Exception, match="API key"):
            authenticator.verify_known(bad)
    unknown = auth.generate_key()
    assert authenticator.verify_known(unknown) is None
    with pytest.raises(Exception, match="invalid"):
        authenticator.verify(unknown)
    with pytest.raises(Exception, match="invalid"):  # the cached verdict, without a look-up
        authenticator.verify_known(unknown)
    assert len(looked_up) == 1
    monkeypatch.setattr(auth, "CACHE_SECONDS", 0.0)
    assert authenticator.verify_known(unknown) is None  # expired: ask the table again


def test_a_created_key_is_verified_from_the_cache_after_its_first_use(
    make_key: KeyFactory, engine: Engine
) -> None:
    _key_id, key = make_key()
    authenticator = auth.Authenticator(admin_key=None, engine=engine)
    assert authenticator.verify_known(key) is None
    first = authenticator.verify(key)
    assert authenticator.verify_known(key) == first


# --- scope --------------------------------------------------------------------------------


def test_a_scoped_key_is_refused_on_every_route_that_is_not_client_scoped(
    app: FastAPI, anonymous: TestClient, make_key: KeyFactory
) -> None:
    _key_id, key = make_key(client_domain="acme.com")
    admitted = {}
    for endpoint in endpoints(app):
        if endpoint.client_scoped:
            continue
        status = call(anonymous, endpoint, bearer(key))
        if status != 403:
            admitted[str(endpoint)] = status
    assert admitted == {}


def _client_route(app: FastAPI) -> None:
    """A route like the lead routes: it declares ClientDep and checks the domain it touches."""

    @app.get("/test-only/leads")
    def read(
        principal: deps.ClientDep, client_domain: Annotated[str | None, Query()] = None
    ) -> dict[str, str]:
        return {"client_domain": principal.client_scope(client_domain)}

    @app.post("/test-only/leads")
    def write(principal: deps.ClientDep, body: dict[str, str]) -> dict[str, str]:
        principal.require_client(body.get("client_domain"))
        return {"ok": "yes"}


def test_a_scoped_key_reaches_client_routes_for_its_own_client_only(
    app: FastAPI, make_key: KeyFactory
) -> None:
    _client_route(app)
    _key_id, key = make_key(client_domain="acme.com")
    with TestClient(app, headers=bearer(key)) as client:
        assert client.get("/test-only/leads").json() == {"client_domain": "acme.com"}
        assert client.get("/test-only/leads?client_domain=WWW.Acme.com").status_code == 200
        other = client.get("/test-only/leads?client_domain=other.com")
        assert other.status_code == 403
        assert other.json()["error"]["field"] == "client_domain"
        assert (
            client.post("/test-only/leads", json={"client_domain": "acme.com"}).status_code == 200
        )
        assert (
            client.post("/test-only/leads", json={"client_domain": "other.com"}).status_code == 403
        )
        assert client.post("/test-only/leads", json={}).status_code == 403
    with TestClient(app, headers=ADMIN) as admin:
        assert admin.get("/test-only/leads?client_domain=other.com").status_code == 200
        assert admin.get("/test-only/leads").status_code == 422


LEADS_INGEST = "/run/client/leads/ingest"


def _has_route(app: FastAPI, method: str, path: str) -> bool:
    return any(e.method == method and e.template == path for e in endpoints(app))


def test_lead_routes_keep_a_scoped_key_to_its_own_client(
    app: FastAPI, make_key: KeyFactory
) -> None:
    if not _has_route(app, "POST", LEADS_INGEST):
        pytest.skip("the lead routes are not in this build yet")
    _key_id, key = make_key(client_domain="acme.com")
    lead = {"client_domain": "acme.com", "work_email": "a@b.com", "first_name": "A"}
    with TestClient(app, headers=bearer(key)) as client:
        assert client.post(LEADS_INGEST, json=lead).status_code == 202
        other = client.post(LEADS_INGEST, json={**lead, "client_domain": "other.com"})
        assert other.status_code == 403
        assert client.get("/api/leads", params={"client_domain": "acme.com"}).status_code == 200
        assert client.get("/api/leads", params={"client_domain": "other.com"}).status_code == 403
        assert (
            client.get("/api/people", params={"linkedin_url": "linkedin.com/in/x"}).status_code
            == 403
        )


def test_each_endpoint_is_listed_once(app: FastAPI) -> None:
    listed: list[Endpoint] = endpoints(app)
    assert len({str(e) for e in listed}) == len(listed)


def test_an_app_with_a_route_that_declares_no_scope_is_not_built(app: FastAPI) -> None:
    from gateway import security

    @app.get("/test-only/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="/test-only/forgotten"):
        security.check_scopes(app)


def test_an_api_route_may_not_take_dashboard_sessions(app: FastAPI) -> None:
    from gateway import security

    @app.get("/test-only/session-reader")
    def reader(viewer: deps.ViewerDep) -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="dashboard routes take sessions"):
        security.check_scopes(app)


def test_the_document_states_which_keys_each_operation_takes(anonymous: TestClient) -> None:
    document = anonymous.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "Authorization: Bearer <key>",
    }
    assert schemes["apiKey"]["in"] == "header" and schemes["apiKey"]["name"] == "X-API-Key"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            expected = [] if path in PUBLIC else [{"bearer": []}, {"apiKey": []}]
            assert operation.get("security", []) == expected, (method, path)
            assert "HTTPValidationError" not in str(operation)
