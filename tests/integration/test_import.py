"""`hq-ingest import`: bulk loads through the ingest route, resumable and de-duplicated.

The importer is driven with the test app's client (an `httpx.Client`), so each line meets
the gateway's own validation and de-duplication; the CLI itself against a live service
is exercised by `test_embedded`.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import dramatiq
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from gateway.cli import importer
from tests.conftest import load_fixture
from tests.integration.conftest import drain, wait_job

pytestmark = pytest.mark.integration


def _bodies() -> list[dict[str, Any]]:
    return [load_fixture(f"payloads/{name}.json") for name in ("clay_a", "pdl_a", "proxycurl_b")]


def _jsonl(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _run(path: Path, client: TestClient, *, restart: bool = False) -> importer.Tally:
    state = importer.State(path)
    if restart:
        state.clear()
    sender = importer.Sender(client, importer.PERSON_ROUTE)
    return importer.run(path, sender, state=state, concurrency=3, progress=lambda _n: None)


def test_import_reports_each_line_and_a_rerun_is_deduplicated(
    client: TestClient, worker: dramatiq.Worker, tmp_path: Path
) -> None:
    bodies = _bodies()
    path = _jsonl(
        tmp_path / "people.jsonl",
        [
            orjson.dumps(bodies[0]),
            b"",  # blank lines are skipped, not rejected
            b'{"linkedin_url": "https://linkedin.com/in/x", "raw_payload": ',
            orjson.dumps(bodies[1]),
            orjson.dumps({**bodies[2], "raw_payload": {}}),
            orjson.dumps(bodies[2]),
        ],
    )

    tally = _run(path, client)

    assert (tally.accepted, tally.duplicate) == (3, 0)
    assert [n for n, _ in tally.rejected] == [3, 5]
    assert tally.rejected[0][1].startswith("not valid JSON")
    assert tally.rejected[1][1] == "raw_payload: is empty"
    state = json.loads((tmp_path / "people.jsonl.import-state.json").read_text())
    assert state["done_through_line"] == 6
    drain(worker)
    person = client.get("/api/people", params={"linkedin_url": bodies[1]["linkedin_url"]})
    assert person.status_code == 200

    # A finished import has nothing left to do; started over, every line is a duplicate.
    assert _run(path, client).answered == 5
    again = _run(path, client, restart=True)
    assert (again.accepted, again.duplicate, len(again.rejected)) == (0, 3, 2)


def test_an_interrupted_import_resumes_after_the_last_answered_line(
    client: TestClient, tmp_path: Path
) -> None:
    path = _jsonl(tmp_path / "batch.jsonl", [orjson.dumps(b) for b in _bodies()])
    state = importer.State(path)
    state.save(1)  # an earlier run got as far as line 1
    sender = importer.Sender(client, importer.PERSON_ROUTE)
    seen: list[int] = []

    tally = importer.run(path, sender, state=state, concurrency=2, progress=seen.append)

    assert len(seen) == 2 and tally.accepted == 2
    assert importer.State(path).done == 3


def test_csv_rows_are_bodies_with_raw_payload_as_json(client: TestClient, tmp_path: Path) -> None:
    body = _bodies()[0]
    path = tmp_path / "people.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["linkedin_url", "workflow_slug", "raw_payload", "clay_row_id"])
        writer.writerow([body["linkedin_url"], "", json.dumps(body["raw_payload"]), "r1"])
        writer.writerow(["https://linkedin.com/in/broken", "", "{not json", "r2"])

    tally = _run(path, client)

    assert tally.accepted == 1
    assert tally.rejected == [(3, tally.rejected[0][1])]
    assert tally.rejected[0][1].startswith("raw_payload: not valid JSON")


def test_a_refused_key_stops_the_import_and_keeps_the_resume_point(
    client: TestClient, tmp_path: Path
) -> None:
    path = _jsonl(tmp_path / "people.jsonl", [orjson.dumps(b) for b in _bodies()])
    client.headers["Authorization"] = "Bearer hq_wrong"

    with pytest.raises(importer.ImportAborted, match="HTTP 401"):
        _run(path, client)

    assert importer.State(path).done == 0


def test_person_lines_go_in_batches_that_run_as_one_unit_of_work(
    client: TestClient, worker: dramatiq.Worker, engine: Engine, tmp_path: Path
) -> None:
    bodies = _bodies()
    path = _jsonl(
        tmp_path / "people.jsonl",
        [
            orjson.dumps(bodies[0]),
            b'{"linkedin_url": "https://linkedin.com/in/x", "raw_payload": ',
            orjson.dumps(bodies[1]),
            orjson.dumps({**bodies[2], "raw_payload": {}}),
            orjson.dumps(bodies[2]),
        ],
    )
    # Two lines per request: three requests, answered in line order.
    sender = importer.BatchSender(client, max_bytes=2 * max(len(orjson.dumps(b)) for b in bodies))

    tally = importer.run(path, sender, state=importer.State(path), concurrency=2, progress=_none)

    assert (tally.accepted, tally.duplicate) == (3, 0)
    assert [n for n, _ in tally.rejected] == [2, 4]
    assert tally.rejected[0][1].startswith("not valid JSON")
    assert tally.rejected[1][1] == "raw_payload: is empty"
    drain(worker, ("import_people",))
    with engine.connect() as conn:
        jobs = conn.execute(
            text("SELECT kind, status, stage, result FROM ops.jobs ORDER BY kind, stage")
        ).all()
    lines = [j for j in jobs if j.kind == "person_profile"]
    assert [(j.status, j.stage) for j in lines] == [("succeeded", "sync_core")] * 3
    assert {j.result["linkedin_url"] for j in lines} == {
        client.get("/api/people", params={"linkedin_url": b["linkedin_url"]}).json()["linkedin_url"]
        for b in bodies
    }
    batches = [j.result for j in jobs if j.kind == "import_batch"]
    assert sorted(b["payloads"] for b in batches) == [1, 2]  # the 2nd request: 1 readable line
    assert sum(b["succeeded"] for b in batches) == 3

    # Sent again (started over): every readable line is a duplicate of its job.
    state = importer.State(path)
    state.clear()
    again = importer.run(path, sender, state=state, concurrency=2, progress=_none)
    assert (again.accepted, again.duplicate, len(again.rejected)) == (0, 3, 2)


def test_an_import_line_the_batch_cannot_store_is_dead_lettered_and_replays(
    client: TestClient, worker: dramatiq.Worker, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline import personsteps

    store_raw = personsteps.store_raw

    def poisoned(conn: Connection, payloads: Any) -> Any:
        # Given: the set's statement fails whenever the marked payload is in it.
        if any(isinstance(p.raw_payload, dict) and "poison" in p.raw_payload for p in payloads):
            conn.execute(text("SELECT 1 / 0"))
        return store_raw(conn, payloads)

    monkeypatch.setattr(personsteps, "store_raw", poisoned)
    bodies = _bodies()
    marked = {**bodies[1], "raw_payload": {**bodies[1]["raw_payload"], "poison": True}}
    lines = (bodies[0], marked, bodies[2])
    items = [{"key": k, "body": b} for k, b in zip("abc", lines, strict=True)]
    answer = client.post(importer.BATCH_ROUTE, json={"items": items})
    assert answer.status_code == 202, answer.text
    verdicts = answer.json()["items"]
    assert [v["status"] for v in verdicts] == ["accepted"] * 3
    jobs = [wait_job(client, v["job_id"], timeout=30) for v in verdicts]

    assert [j["status"] for j in jobs] == ["succeeded", "dead", "succeeded"]
    letters = client.get("/dead-letters", params={"stage": "store_raw"}).json()["items"]
    assert [letter["job_id"] for letter in letters] == [verdicts[1]["job_id"]]
    assert "division by zero" in letters[0]["error"]
    with engine.connect() as conn:
        batch = conn.execute(
            text("SELECT result FROM ops.jobs WHERE kind = 'import_batch'")
        ).scalar_one()
    assert (batch["succeeded"], batch["dead"]) == (2, 1)

    # Once the cause is fixed, the replay runs the line through the normal chain.
    monkeypatch.undo()
    replayed = client.post(f"/dead-letters/{letters[0]['id']}/replay").json()
    assert replayed["status"] == "replayed", replayed
    final = wait_job(client, verdicts[1]["job_id"], timeout=30)
    assert (final["status"], final["stage"], final["replays"]) == ("succeeded", "sync_core", 1)
    assert [s["stage"] for s in final["stages"]] == ["store_raw", "extract_profile", "sync_core"]


def _none(_n: int) -> None:
    return None
