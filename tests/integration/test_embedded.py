"""The zero-setup first run: `hq-ingest serve` with no DATABASE_URL / REDIS_URL / key.

It starts an embedded PostgreSQL and redis-server under HQ_DATA_DIR and the Procfile's
groups as processes; a fixture posted to it reaches `GET /api/people` and the dashboard;
`hq-ingest import` loads a file into it and the admin commands reach it with no variable
set; a Ctrl-C in the middle of a burst loses nothing: after a restart every job of the
burst succeeds, and the data and the key are still there. Needs no services.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import ROOT, load_fixture

INGEST = "/run/people/clay-native/person-profile/ingest"
CLI = str(Path(sys.executable).with_name("hq-ingest"))

#: Variables that would point the run at real services (or set its key).
SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "HQ_ADMIN_API_KEY", "PROMETHEUS_MULTIPROC_DIR")

#: Longest wait for /healthz: initdb, migrations and loading the classifiers take ~15 s on
#: an idle 2-core machine; the bound leaves room for a busy one.
STARTUP_S = 120

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    return {**env, "HQ_DATA_DIR": str(data_dir), "HQ_LOG_FORMAT": "json"}


@contextmanager
def _serve(data_dir: Path, port: int, log: Path, stop: int) -> Iterator[httpx.Client]:
    """`hq-ingest serve` as a subprocess, until it answers /healthz; stopped with `stop`."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [CLI, "serve", "--port", str(port), "--threads", "2"],
            start_new_session=True,  # signals reach serve only, as a terminal's Ctrl-C does
            env=_env(data_dir),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            _until(lambda: _healthy(http), STARTUP_S, lambda: f"no /healthz:\n{log.read_text()}")
            yield http
    finally:
        proc.send_signal(stop)
        try:
            code = proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0, log.read_text()[-3000:]


def _healthy(http: httpx.Client) -> bool:
    try:
        return http.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


def _until(check: Any, seconds: float, explain: Any) -> Any:
    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, explain()
        time.sleep(0.1)
    return result


def _job_done(http: httpx.Client, job_id: str) -> dict[str, Any] | None:
    job: dict[str, Any] = http.get(f"/jobs/{job_id}").json()
    return job if job.get("status") in ("succeeded", "dead") else None


@pytest.mark.timeout(400)
def test_first_run_needs_nothing_and_ctrl_c_in_a_burst_loses_nothing(tmp_path: Path) -> None:
    data_dir, log, port = tmp_path / "data", tmp_path / "serve.log", _free_port()
    clay, pdl = load_fixture("payloads/clay_a.json"), load_fixture("payloads/pdl_b.json")
    with _serve(data_dir, port, log, signal.SIGINT) as http:  # as Ctrl-C stops it
        key = (data_dir / "admin_api_key").read_text().strip()
        http.headers["Authorization"] = f"Bearer {key}"
        job_id = http.post(INGEST, json=clay).json()["job_id"]
        job = _until(lambda: _job_done(http, job_id), 60, lambda: log.read_text()[-3000:])
        assert job["status"] == "succeeded"
        assert http.get("/api/people", params={"linkedin_url": clay["linkedin_url"]}).is_success
        assert job_id in _dashboard(http, key)
        _import(tmp_path, port, key, pdl)
        _admin_commands(data_dir, job_id)
        with ThreadPoolExecutor(8) as pool:  # faster than 2 worker threads can take them
            posts = pool.map(lambda i: http.post(INGEST, json=_variant(clay, i)), range(BURST))
            burst = [answer.json()["job_id"] for answer in posts]

    output = log.read_text()
    assert f"admin key: {key}" in output
    assert any(_is_json_log(line) for line in output.splitlines())
    assert not (data_dir / "postgres" / "postmaster.pid").exists()  # stopped with serve
    assert not (data_dir / "run.json").exists()
    assert "Worker has been shut down" in output

    restarted_at = time.time()
    with _serve(data_dir, port, log, signal.SIGTERM) as http:  # as a process manager stops it
        http.headers["Authorization"] = f"Bearer {key}"
        lost = lambda: "a job of the burst never finished"  # noqa: E731
        jobs = [_until(lambda j=j: _job_done(http, j), 120, lost) for j in burst]
        assert {job["status"] for job in jobs} == {"succeeded"}
        finished = [_finished_at(job) for job in jobs]
        assert max(finished) > restarted_at, "the burst ended before the stop; make it longer"
        for body in (clay, pdl):
            person = http.get("/api/people", params={"linkedin_url": body["linkedin_url"]})
            assert person.status_code == 200, person.text


#: Jobs posted just before the Ctrl-C; enough that some are still queued when it comes.
BURST = 150


def _variant(body: dict[str, Any], i: int) -> dict[str, Any]:
    """`body` as another person (its own linkedin_url), so no job is a duplicate."""
    url = f"https://www.linkedin.com/in/burst-{i}-person"
    raw = {**body["raw_payload"], "linkedin_url": url} if "raw_payload" in body else None
    return {**body, "linkedin_url": url, **({"raw_payload": raw} if raw else {})}


def _finished_at(job: dict[str, Any]) -> float:
    from datetime import datetime

    return max(datetime.fromisoformat(e["at"]).timestamp() for e in job["history"])


def _admin_commands(data_dir: Path, job_id: str) -> None:
    """`jobs show`, `keys list` and `dlq list` reach the embedded run with no variable set."""
    env = _env(data_dir)
    for argv in (["jobs", "show", job_id], ["keys", "list"], ["dlq", "list"]):
        done = subprocess.run(
            [CLI, *argv], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, (argv, done.stderr)
    shown = subprocess.run(
        [CLI, "jobs", "show", job_id], env=env, capture_output=True, text=True, timeout=60
    )
    assert f"job {job_id} (person_profile): succeeded" in shown.stdout
    backfill = subprocess.run(
        [CLI, "backfill", "titles", "--wait"], env=env, capture_output=True, text=True, timeout=60
    )
    assert '"status": "succeeded"' in backfill.stdout, backfill.stderr  # straight on the queue


def _dashboard(http: httpx.Client, key: str) -> str:
    login = http.post("/dashboard/login", data={"key": key}, follow_redirects=False)
    assert login.status_code == 303
    page = http.get("/dashboard")
    assert page.status_code == 200
    return page.text


def _import(tmp_path: Path, port: int, key: str, body: dict[str, Any]) -> None:
    """`hq-ingest import` of one good and one bad line, against the running service."""
    source = tmp_path / "history.jsonl"
    source.write_bytes(orjson.dumps(body) + b'\n{"raw_payload": {}}\n')
    done = subprocess.run(
        [CLI, "import", str(source), "--url", f"http://127.0.0.1:{port}", "--key", key],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr  # 1: some lines were rejected
    assert "accepted 1 · duplicate 0 · rejected 1" in done.stdout
    assert "line 2: raw_payload: is empty" in done.stdout
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        http.headers["Authorization"] = f"Bearer {key}"
        url = body["linkedin_url"]
        _until(
            lambda: http.get("/api/people", params={"linkedin_url": url}).is_success,
            30,
            lambda: "imported person never appeared",
        )


def _is_json_log(line: str) -> bool:
    try:
        entry = json.loads(line)
    except ValueError:
        return False
    return isinstance(entry, dict) and {"time", "level", "logger", "message"} <= entry.keys()
