"""Gateway behaviour on the in-process fakeredis broker: auth, validation, enqueue, de-dup."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from fastapi.testclient import TestClient

from schemas.settings import Settings
from tests.conftest import app_and_workers

KEY = "unit-test-admin-key"
INGEST = "/run/people/clay-native/person-profile/ingest"
BODY = {
    "linkedin_url": "linkedin.com/in/Some-One/",
    "workflow_slug": "clay-person-profile",
    "raw_payload": {"name": "Some One", "experience": []},
}


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from workers import broker

    monkeypatch.delenv("REDIS_URL", raising=False)
    broker.embedded_server.cache_clear()  # a fresh in-process server per test
    settings = Settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/unused",
        redis_url=None,
        hq_admin_api_key=KEY,
        HQ_QUEUE_NAMESPACE="unit",
    )
    app = app_and_workers(settings)
    app.state.services.auth.engine = None  # only the admin key exists in these tests
    with TestClient(app) as test_client:
        yield test_client


def _queued(queue: str) -> list[dict[str, Any]]:
    broker = dramatiq.get_broker()
    client = broker.client
    ids = client.lrange(f"unit:{queue}", 0, -1)
    return [dramatiq.Message.decode(client.hget(f"unit:{queue}.msgs", i)).asdict() for i in ids]


def test_ingest_without_key_is_401(client: TestClient) -> None:
    response = client.post(INGEST, json=BODY)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert _queued("store_raw") == []


def test_ingest_with_wrong_key_is_401(client: TestClient) -> None:
    response = client.post(INGEST, json=BODY, headers={"X-API-Key": "nope"})
    assert response.status_code == 401


@pytest.mark.parametrize("header", ["Authorization", "X-API-Key"])
def test_ingest_is_accepted_and_enqueued(client: TestClient, header: str) -> None:
    value = f"Bearer {KEY}" if header == "Authorization" else KEY
    response = client.post(INGEST, json=BODY, headers={header: value})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "queued"
    assert body["status_url"].endswith(f"/jobs/{body['job_id']}")
    [message] = _queued("store_raw")
    assert message["actor_name"] == "store_raw"
    assert message["kwargs"]["job_id"] == body["job_id"]
    assert message["kwargs"]["body"]["raw_payload"] == BODY["raw_payload"]


def test_missing_field_is_422_naming_it(client: TestClient) -> None:
    response = client.post(
        INGEST, json={"linkedin_url": BODY["linkedin_url"]}, headers={"X-API-Key": KEY}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "raw_payload"
    assert "raw_payload" in error["message"]
    assert _queued("store_raw") == []


def test_bad_linkedin_url_is_422(client: TestClient) -> None:
    body = {**BODY, "linkedin_url": "https://example.com/in/x"}
    response = client.post(INGEST, json=body, headers={"X-API-Key": KEY})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "linkedin_url"


def test_repeat_within_window_is_the_same_job(client: TestClient) -> None:
    headers = {"X-API-Key": KEY}
    first = client.post(INGEST, json=BODY, headers=headers).json()
    second = client.post(INGEST, json=BODY, headers=headers).json()
    assert second["job_id"] == first["job_id"]
    assert second["duplicate"] is True
    forced = client.post(INGEST, json=BODY, headers=headers, params={"force": "true"}).json()
    assert forced["job_id"] != first["job_id"]
    assert len(_queued("store_raw")) == 2


def test_idempotency_key_reused_for_another_body_is_refused(client: TestClient) -> None:
    headers = {"X-API-Key": KEY, "Idempotency-Key": "row-17"}
    first = client.post(INGEST, json=BODY, headers=headers).json()
    other = {**BODY, "workflow_slug": "clay-other"}
    second = client.post(INGEST, json=other, headers=headers)
    assert second.status_code == 422
    assert second.json()["error"]["code"] == "idempotency_key_reused"
    assert first["job_id"] in second.json()["error"]["message"]
    assert len(_queued("store_raw")) == 1


def test_queued_job_is_visible_before_a_worker_runs(client: TestClient, monkeypatch: Any) -> None:
    from pipeline.store import ops

    monkeypatch.setattr(ops, "load_job", lambda conn, job_id: None)
    monkeypatch.setattr("gateway.routes._run_sync", _fake_run_sync)
    job = client.post(INGEST, json=BODY, headers={"X-API-Key": KEY}).json()
    status = client.get(f"/jobs/{job['job_id']}", headers={"X-API-Key": KEY})
    assert status.status_code == 200
    assert status.json()["status"] == "queued"
    missing = client.get("/jobs/00000000-0000-0000-0000-000000000000", headers={"X-API-Key": KEY})
    assert missing.status_code == 404


async def _fake_run_sync(_services: Any, fn: Any, **kwargs: Any) -> Any:
    return fn(None, **kwargs)


def test_healthz_needs_no_key(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "checks": {}}


def test_redis_down_at_dedup_is_503_not_500(client: TestClient) -> None:
    from workers import broker

    broker.embedded_server().connected = False  # every command now fails to connect
    response = client.post(INGEST, json=BODY, headers={"X-API-Key": KEY})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    broker.embedded_server().connected = True
    assert _queued("store_raw") == []
    assert _keys("unit:dedup:*") == []


def _keys(pattern: str) -> list[bytes]:
    return sorted(dramatiq.get_broker().client.keys(pattern))


def test_a_failed_enqueue_leaves_no_dedup_key_and_a_retry_is_accepted(client: TestClient) -> None:
    # Given a queue key Redis refuses to push to (WRONGTYPE), so the script fails mid-way
    redis = dramatiq.get_broker().client
    redis.set("unit:store_raw", b"not a list")
    headers = {"X-API-Key": KEY}
    response = client.post(INGEST, json=BODY, headers=headers)
    assert response.status_code == 503
    assert _keys("unit:dedup:*") == []
    # When the queue is usable again, the same request is a new job, not a "duplicate"
    redis.delete("unit:store_raw")
    retried = client.post(INGEST, json=BODY, headers=headers)
    assert retried.status_code == 202 and retried.json()["duplicate"] is False
    assert len(_keys("unit:dedup:*")) == 1
    [message] = _queued("store_raw")
    assert message["kwargs"]["job_id"] == retried.json()["job_id"]


def test_one_round_trip_writes_marker_callback_and_message(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orjson

    from workers import callbacks

    settings = client.app.state.services.settings  # type: ignore[attr-defined]
    monkeypatch.setattr(settings, "callback_hosts", "*.example.com")
    body = {**BODY, "callback_url": "https://hooks.example.com/x", "callback_token": "t-1"}
    job = client.post(INGEST, json=body, headers={"X-API-Key": KEY}).json()
    redis = dramatiq.get_broker().client
    assert orjson.loads(redis.get(f"unit:queued:{job['job_id']}")) == {"kind": "person_profile"}
    spec = callbacks.load_spec(redis, "unit", job["job_id"])
    assert spec is not None and (spec["url"], spec["token"]) == (body["callback_url"], "t-1")
    [message] = _queued("store_raw")
    assert "callback_token" not in message["kwargs"]["body"]
    [dedup] = _keys("unit:dedup:*")
    assert 0 < redis.ttl(dedup) <= settings.dedup_window_s


def test_zero_window_writes_no_dedup_key(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = client.app.state.services.settings  # type: ignore[attr-defined]
    monkeypatch.setattr(settings, "dedup_window_s", 0)
    for _ in range(2):
        assert client.post(INGEST, json=BODY, headers={"X-API-Key": KEY}).status_code == 202
    assert _keys("unit:dedup:*") == []
    assert len(_queued("store_raw")) == 2


def test_messages_are_the_ones_actor_send_would_build(client: TestClient) -> None:
    from workers import stages
    from workers.transport import _message

    ours = _message(stages.store_raw, {"job_id": "j", "body": {"a": 1}}).asdict()
    theirs = stages.store_raw.message_with_options(kwargs={"job_id": "j", "body": {"a": 1}})
    expected = theirs.copy(options={"redis_message_id": ours["options"]["redis_message_id"]})
    volatile = {"message_id", "message_timestamp"}
    assert {k: v for k, v in ours.items() if k not in volatile} == {
        k: v for k, v in expected.asdict().items() if k not in volatile
    }


def test_a_lead_is_queued_exactly_as_sent(client: TestClient) -> None:
    raw = (
        b'{"client_domain": " Acme.com ", "first_name": "  Ann ", "crm_id": '
        b"123456789012345678901234567890, "
        b'"score": 0.1, "tags": ["a", null]}'
    )
    headers = {"X-API-Key": KEY, "Content-Type": "application/json"}
    response = client.post("/run/client/leads/ingest", content=raw, headers=headers)
    assert response.status_code == 202, response.text
    [message] = _queued("store_lead")
    lead = message["kwargs"]["body"]["lead"]
    assert lead["crm_id"] == 123456789012345678901234567890  # not rounded to a float
    assert (lead["client_domain"], lead["first_name"]) == (" Acme.com ", "  Ann ")
    assert lead["tags"] == ["a", None]


def test_the_status_url_is_the_one_url_for_builds(client: TestClient) -> None:
    from starlette.requests import Request

    from gateway.routes import job_url

    app = client.app
    job_id = "4b2e0c1e-1111-2222-3333-444455556666"
    for scheme, host, root in [("https", b"hq.example:8443", "/api/"), ("http", None, "")]:
        headers = [(b"host", host)] if host else []
        scope = {"type": "http", "app": app, "router": app.router, "scheme": scheme}  # type: ignore[attr-defined]
        scope |= {"headers": headers, "server": ("gw", 80), "root_path": root, "path": "/"}
        request = Request({**scope, "query_string": b""})
        assert job_url(request, job_id) == str(request.url_for("get_job", job_id=job_id))


def test_the_ingest_routes_come_first_and_no_other_route_takes_their_paths(
    client: TestClient,
) -> None:
    from fastapi.routing import iter_route_contexts

    from gateway import routes_workflows, security

    ingest = {route.path for route in routes_workflows.router.routes}  # type: ignore[attr-defined]
    paths = [context.path for context in iter_route_contexts(client.app.routes)]  # type: ignore[attr-defined]
    first = paths.index(INGEST)
    assert set(paths[first : first + len(ingest)]) == ingest
    assert set(paths[:first]) <= security.public_paths(client.app)  # type: ignore[arg-type]
    for context in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        regex = getattr(context.original_route, "path_regex", None)
        if context.path not in ingest and regex is not None:
            assert not any(regex.match(path) for path in ingest), context.path


@pytest.mark.parametrize("number", ["NaN", "-Infinity", "1e400"])
def test_a_non_finite_number_is_422_naming_it(client: TestClient, number: str) -> None:
    """orjson refuses these and the standard library reads them: the checks still see them."""
    raw = b'{"linkedin_url": "linkedin.com/in/a", "raw_payload": {"n": [1, %s]}}' % number.encode()
    response = client.post(
        INGEST, content=raw, headers={"X-API-Key": KEY, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "raw_payload.n[1]"
    assert _queued("store_raw") == []
