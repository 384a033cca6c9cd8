"""Write-back to Clay on real Redis + PostgreSQL, against a local receiver.

The receiver is a tiny HTTP server thread that answers with a scripted list of statuses
(then 200) and records every request it gets.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import dramatiq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from pipeline import tables as t
from schemas.settings import Settings, get_settings
from tests.conftest import load_fixture
from tests.integration.conftest import wait_job

INGEST = "/run/people/clay-native/person-profile/ingest"
TOKEN = "test-callback-token-not-a-secret"

pytestmark = pytest.mark.integration


class Receiver:
    """A webhook endpoint on 127.0.0.1 that answers `statuses` in turn, then 200."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.calls: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.calls.append(
                    {
                        "at": time.monotonic(),
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": json.loads(body),
                    }
                )
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The suite's settings, with 127.0.0.1 (any port: the receiver's is random) allowed."""
    monkeypatch.setenv("HQ_CALLBACK_HOSTS", "127.0.0.1:*")
    get_settings.cache_clear()
    return settings.model_copy(update={"callback_hosts": "127.0.0.1:*"})


def _post(client: TestClient, receiver: Receiver, body: dict[str, Any]) -> str:
    body = {**body, "callback_url": receiver.url, "callback_token": TOKEN}
    response = client.post(INGEST, json=body, params={"force": "true"})
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    return job_id


def _wait_callback(client: TestClient, job_id: str, *, until: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        job: dict[str, Any] = client.get(f"/jobs/{job_id}").json()
        if (job.get("callback") or {}).get("status") == until:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def test_outcome_is_posted_after_a_retry_with_the_token_header(
    client: TestClient,
    worker: dramatiq.Worker,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.statuses = [503]
    body = load_fixture("payloads/clay_a.json")
    job_id = _post(client, receiver, body)

    job = _wait_callback(client, job_id, until="delivered")

    assert job["status"] == "succeeded"
    assert job["callback"]["attempts"] == 2
    assert job["callback"]["last_error"].startswith("attempt 1: HTTP 503")
    assert len(receiver.calls) == 2
    call = receiver.calls[-1]
    assert call["headers"]["x-clay-webhook-auth"] == TOKEN
    sent = call["body"]
    assert sent["job_id"] == job_id and sent["status"] == "succeeded"
    assert sent["linkedin_url"] == job["result"]["linkedin_url"]
    assert sent["result"] == job["result"] and sent["error"] is None
    events = [e["event"] for e in job["history"] if e["stage"] == "deliver_callback"]
    assert events == ["callback_queued", "callback_retrying", "callback_delivered"]
    # The token reaches the receiver and nothing else: not the history, not the logs.
    assert TOKEN not in json.dumps(job) and TOKEN not in caplog.text


def test_dead_job_is_posted_and_its_dead_letter_keeps_no_token(
    client: TestClient, worker: dramatiq.Worker, receiver: Receiver, engine: Engine
) -> None:
    body = {"linkedin_url": "https://www.linkedin.com/in/nobody-x", "raw_payload": {"x": 1}}
    job_id = _post(client, receiver, body)

    job = _wait_callback(client, job_id, until="delivered")

    assert job["status"] == "dead"
    sent = receiver.calls[-1]["body"]
    assert sent["status"] == "dead" and sent["error"] == job["error"]
    assert sent["linkedin_url"] == body["linkedin_url"]
    with engine.connect() as conn:
        letters = conn.execute(select(t.dead_letters.c.message)).scalars().all()
    assert letters and all(TOKEN not in json.dumps(m) for m in letters)


def test_a_refusal_is_final_and_shown_in_the_job(
    client: TestClient, worker: dramatiq.Worker, receiver: Receiver
) -> None:
    receiver.statuses = [410]
    job_id = _post(client, receiver, load_fixture("payloads/pdl_a.json"))

    job = _wait_callback(client, job_id, until="failed")

    assert job["status"] == "succeeded"
    assert job["callback"] == {
        "status": "failed",
        "attempts": 1,
        "last_error": "attempt 1: HTTP 410; giving up",
        "last_attempt_at": job["callback"]["last_attempt_at"],
    }
    assert len(receiver.calls) == 1


def test_a_host_outside_the_allow_list_is_refused_at_the_door(client: TestClient) -> None:
    body = {
        **load_fixture("payloads/clay_a.json"),
        "callback_url": "http://169.254.169.254/latest/meta-data",
    }
    response = client.post(INGEST, json=body)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "callback_url"


def test_deliveries_are_paced_across_workers(
    client: TestClient,
    worker: dramatiq.Worker,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HQ_CALLBACK_RATE_PER_S", "1")
    get_settings.cache_clear()
    body = load_fixture("payloads/proxycurl_a.json")
    jobs = [_post(client, receiver, body) for _ in range(3)]

    for job_id in jobs:
        _wait_callback(client, job_id, until="delivered")

    # Unpaced, three deliveries land within milliseconds; at one a second (a window limiter
    # over whole seconds) they take three distinct seconds, so more than one second.
    times = sorted(c["at"] for c in receiver.calls)
    assert len(times) == 3
    assert times[-1] - times[0] >= 1.0
    assert {j for j in jobs} == {c["body"]["job_id"] for c in receiver.calls}
    for job_id in jobs:
        assert wait_job(client, job_id)["callback"]["attempts"] == 1


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:1/hook\r\nX-Injected: 1", "pattern"),  # declared in the schema
        ("http://127.0.0.1:1/ho\x00ok", "NUL"),
        ("https://evil.com\\.127.0.0.1/", "pattern"),
        ("http://user:pw@127.0.0.1:1/hook", "user info"),
        ("http://127.0.0.1:99999/hook", "port"),
        ("http://127.0.0.1:x/hook", "port"),
        ("http://%31%32%37.0.0.1/hook", "host"),
        ("ftp://127.0.0.1/hook", "pattern"),
    ],
)
def test_a_url_two_parsers_could_read_differently_is_refused_at_the_door(
    client: TestClient, url: str, why: str
) -> None:
    body = {**load_fixture("payloads/clay_a.json"), "callback_url": url}
    response = client.post(INGEST, json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == "callback_url" and why in error["message"]


def test_a_token_that_cannot_be_a_header_is_refused_at_the_door(
    client: TestClient, receiver: Receiver
) -> None:
    body = {**load_fixture("payloads/clay_a.json"), "callback_url": receiver.url}
    response = client.post(INGEST, json={**body, "callback_token": "t\r\nX-Injected: 1"})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "callback_token"


def test_a_port_is_allowed_only_when_the_allow_list_names_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = client.app.state.services  # type: ignore[attr-defined]
    monkeypatch.setattr(services.settings, "callback_hosts", "127.0.0.1,*.clay.com:8443")
    body = load_fixture("payloads/clay_a.json")
    for url, status in [
        ("http://127.0.0.1:8080/hook", 422),
        ("http://127.0.0.1:80/hook", 202),
        ("https://api.clay.com:8443/hook", 202),
        ("https://api.clay.com:8444/hook", 422),
    ]:
        answer = client.post(INGEST, json={**body, "callback_url": url}, params={"force": "true"})
        assert answer.status_code == status, (url, answer.text)


def test_whatever_a_delivery_raises_it_ends_failed_after_its_last_try(
    client: TestClient,
    worker: dramatiq.Worker,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from workers import delivery

    monkeypatch.setenv("HQ_CALLBACK_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("HQ_MIN_BACKOFF_MS", "10")
    monkeypatch.setenv("HQ_MAX_BACKOFF_MS", "20")
    get_settings.cache_clear()

    class Broken:
        def post(self, *args: Any, **kwargs: Any) -> None:
            raise RuntimeError("a bug nobody foresaw")

    monkeypatch.setattr(delivery, "_http", Broken)
    job_id = _post(client, receiver, load_fixture("payloads/pdl_a.json"))

    job = _wait_callback(client, job_id, until="failed")

    assert job["callback"]["attempts"] == 2
    assert job["callback"]["last_error"] == "attempt 2: RuntimeError; giving up"
    events = [e["event"] for e in job["history"] if e["stage"] == "deliver_callback"]
    assert events == ["callback_queued", "callback_retrying", "callback_failed"]
    assert receiver.calls == []
