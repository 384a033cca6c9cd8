"""`/metrics` (gateway, workers, queues) and JSON logs, on real Redis + PostgreSQL."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import dramatiq
import pytest
from dramatiq.middleware import CurrentMessage
from fastapi.testclient import TestClient
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from gateway import metrics
from schemas.settings import Settings
from tests.conftest import ROOT, load_fixture
from tests.integration.conftest import wait_job
from workers import logs, stages

INGEST = "/run/people/clay-native/person-profile/ingest"

pytestmark = pytest.mark.integration


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _scrape(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return _samples(response.text)


def _at(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_stages_are_counted_and_timed_and_logs_carry_the_job(
    client: TestClient, worker: dramatiq.Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given sync_core fails once (a transient error, logged) before it works.
    real, failed = stages.sync_core.fn, []
    lines: list[dict[str, Any]] = []

    def flaky(**kwargs: Any) -> Any:
        if not failed:
            failed.append(kwargs["job_id"])
            logging.getLogger("hq.test").warning("failing once on purpose")
            raise RuntimeError("transient, for a test")
        return real(**kwargs)

    monkeypatch.setattr(stages.sync_core, "fn", flaky)
    handler = _JsonCapture(lines)
    logging.getLogger("hq.test").addHandler(handler)
    before = _scrape(client)
    try:
        good = client.post(INGEST, json=load_fixture("payloads/clay_b.json")).json()["job_id"]
        bad = {"linkedin_url": "https://linkedin.com/in/nobody-metrics", "raw_payload": {"x": 1}}
        dead = client.post(INGEST, json=bad).json()["job_id"]
        assert wait_job(client, good)["status"] == "succeeded"
        assert wait_job(client, dead)["status"] == "dead"
    finally:
        logging.getLogger("hq.test").removeHandler(handler)
    after = _scrape(client)

    def delta(name: str, **labels: str) -> float:
        return _at(after, name, **labels) - _at(before, name, **labels)

    assert delta("hq_requests_accepted_total", route=INGEST) == 2
    assert delta("hq_stage_processed_total", stage="store_raw", outcome="succeeded") == 2
    assert delta("hq_stage_retried_total", stage="sync_core") == 1
    assert delta("hq_stage_processed_total", stage="sync_core", outcome="succeeded") == 1
    assert delta("hq_stage_dead_total", stage="extract_profile") == 1
    assert delta("hq_stage_duration_seconds_count", stage="sync_core") == 2
    assert [(line["job_id"], line["stage"]) for line in lines] == [(good, "sync_core")]
    assert lines[0]["message"] == "failing once on purpose" and lines[0]["level"] == "warning"


class _JsonCapture(logging.Handler):
    """Keeps each record as the JSON line `logs.JsonFormatter` makes of it."""

    def __init__(self, lines: list[dict[str, Any]]) -> None:
        super().__init__()
        self.lines = lines
        self.setFormatter(logs.JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


def test_queue_depths_are_read_at_scrape_time(client: TestClient) -> None:
    # No worker runs: the message waits in its stage queue.
    assert client.post(INGEST, json=load_fixture("payloads/pdl_b.json")).status_code == 202

    samples = _scrape(client)

    assert _at(samples, "hq_queue_messages", queue="store_raw", state="ready") == 1
    assert _at(samples, "hq_queue_messages", queue="store_raw", state="delayed") == 0
    assert _at(samples, "hq_queue_messages", queue="sync_core", state="ready") == 0
    assert client.get("/metrics", headers={"Authorization": ""}).status_code == 401


def test_multiprocess_mode_adds_up_every_process(settings: Settings, tmp_path: Path) -> None:
    # Two "worker processes" count three stage runs each into the shared directory.
    code = "from workers.observe import PROCESSED as P; P.labels('sync_core', 'succeeded').inc(3)"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    runs = [subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT) for _ in range(2)]
    assert [run.wait(timeout=60) for run in runs] == [0, 0]

    services: Any = SimpleNamespace(
        settings=settings.model_copy(update={"prometheus_multiproc_dir": tmp_path})
    )
    text = generate_latest(metrics.process_registry(services)).decode()

    labels = {"stage": "sync_core", "outcome": "succeeded"}
    assert _at(_samples(text), "hq_stage_processed_total", **labels) == 6


def test_json_formatter_outside_a_worker_has_no_job() -> None:
    record = logging.LogRecord("hq.x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.queue = "store_raw"
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["message"] == "hello you" and line["queue"] == "store_raw"
    assert "job_id" not in line and CurrentMessage.get_current_message() is None
