"""Reprocess from raw: selection, dry run, batches as child jobs, progress, idempotence."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import dramatiq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from tests.conftest import load_fixture
from tests.integration.conftest import table_counts, wait_job
from tests.integration.test_profile_chain import _core_snapshot

INGEST = "/run/people/clay-native/person-profile/ingest"
FIXTURES = ("payloads/clay_a.json", "payloads/proxycurl_b.json", "payloads/pdl_a.json")


@pytest.fixture
def stored(client: TestClient, worker: dramatiq.Worker) -> list[dict[str, Any]]:
    """Three people ingested the normal way."""
    jobs = []
    for name in FIXTURES:
        response = client.post(INGEST, json=load_fixture(name))
        assert response.status_code == 202, response.text
        jobs.append(response.json()["job_id"])
    return [wait_job(client, j) for j in jobs]


def _reprocess(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/run/reprocess", json=body)
    assert response.status_code == 202, response.text
    accepted: dict[str, Any] = response.json()
    return accepted


def test_a_selection_is_required_and_a_dry_run_only_counts(
    client: TestClient, stored: list[dict[str, Any]]
) -> None:
    assert client.post("/run/reprocess", json={}).status_code == 422
    person = stored[1]["result"]["linkedin_url"]

    def matched(body: dict[str, Any]) -> int:
        response = client.post("/run/reprocess", json={**body, "dry_run": True})
        assert response.status_code == 200, response.text
        assert response.json()["dry_run"] is True
        count: int = response.json()["matched"]
        return count

    assert matched({"all": True}) == 3
    assert matched({"workflow_slug": "clay-person-profile"}) == 3
    assert matched({"workflow_slug": "no-such-workflow"}) == 0
    assert matched({"linkedin_url": person.upper().replace("HTTPS://WWW.", "")}) == 1
    assert matched({"since": "2000-01-01T00:00:00Z", "until": "2001-01-01T00:00:00Z"}) == 0
    bad = client.post("/run/reprocess", json={"linkedin_url": "not a url"})
    assert bad.status_code == 422


def test_reprocess_reaches_old_data_in_batches_and_changes_nothing_twice(
    client: TestClient,
    stored: list[dict[str, Any]],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from workers import reprocess

    monkeypatch.setattr(reprocess, "BATCH", 2)  # three payloads: two batches
    before, snapshot = table_counts(engine), _core_snapshot(engine)
    # What an extractor bug would have left behind: wrong names, lost experience rows.
    with engine.begin() as conn:
        conn.execute(text("UPDATE core.people SET full_name = 'wrong'"))
        conn.execute(text("DELETE FROM extracted.person_experience"))

    accepted = _reprocess(client, {"all": True})
    assert accepted["matched"] == 3
    job = wait_job(client, accepted["job_id"], timeout=60)
    assert job["status"] == "succeeded"
    assert job["counts"] == {"done": 3, "failed": 0, "total": 3}
    assert job["result"] == {"total": 3, "done": 3, "failed": 0}
    assert table_counts(engine) == before
    assert _core_snapshot(engine) == snapshot

    rows = _every_row(engine)
    again = wait_job(client, _reprocess(client, {"all": True})["job_id"], timeout=60)
    assert again["counts"] == {"done": 3, "failed": 0, "total": 3}
    assert table_counts(engine) == before
    assert _core_snapshot(engine) == snapshot
    assert _every_row(engine) == rows  # the second run changed no row of any table

    with engine.connect() as conn:
        children = conn.execute(
            text("SELECT count(*) FROM ops.jobs WHERE parent_job_id = :p"),
            {"p": accepted["job_id"]},
        ).scalar_one()
    assert children == 3  # one job per payload, none created twice
    with engine.connect() as conn:
        child = conn.execute(
            text("SELECT job_id FROM ops.jobs WHERE parent_job_id = :p LIMIT 1"),
            {"p": accepted["job_id"]},
        ).scalar_one()
    shown = client.get(f"/jobs/{child}").json()
    assert (shown["status"], shown["stage"]) == ("succeeded", "sync_core")
    assert [s["stage"] for s in shown["stages"]] == ["sync_core"]  # one batch, one record
    assert shown["result"]["linkedin_url"] in {s["result"]["linkedin_url"] for s in stored}


#: Columns that say when a row was last written, not what it holds.
WRITTEN_AT = frozenset({"created_at", "updated_at", "extracted_at"})


def _every_row(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table outside `ops`, all columns but `WRITTEN_AT`, in order."""
    from sqlalchemy import select

    from pipeline import tables as t

    snapshot = {}
    with engine.connect() as conn:
        for table in t.metadata.sorted_tables:
            if table.schema != "ops":
                cols = [c for c in table.c if c.name not in WRITTEN_AT]
                rows = conn.execute(select(*cols)).all()
                snapshot[table.fullname] = sorted((tuple(r) for r in rows), key=repr)
    return snapshot


def test_reprocess_of_one_person(client: TestClient, stored: list[dict[str, Any]]) -> None:
    person = stored[0]["result"]["linkedin_url"]
    accepted = _reprocess(client, {"linkedin_url": person})
    assert accepted["matched"] == 1
    job = wait_job(client, accepted["job_id"], timeout=60)
    assert job["counts"] == {"done": 1, "failed": 0, "total": 1}


def test_the_cli_counts_then_follows_the_job(
    client: TestClient, stored: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from gateway.cli import reprocess as command
    from gateway.cli.main import app

    monkeypatch.setattr(command, "_client", lambda _url, _key: contextlib.nullcontext(client))
    monkeypatch.setattr(command, "POLL_S", 0.05)
    runner = CliRunner()
    dry = runner.invoke(app, ["reprocess", "--workflow-slug", "clay-person-profile", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would reprocess 3 payloads" in dry.output
    assert runner.invoke(app, ["reprocess"]).exit_code == 1  # no selection: refused (422)
    done = runner.invoke(app, ["reprocess", "--all"])
    assert done.exit_code == 0, done.output
    assert '{"status":"succeeded","done":3,"failed":0,"total":3}' in done.output


def test_a_poisoned_payload_is_dead_lettered_alone_and_replays_through_the_chain(
    client: TestClient, stored: list[dict[str, Any]], engine: Engine
) -> None:
    # Given: the middle payload is one no extractor can read (its neighbours are fine).
    with engine.begin() as conn:
        ids = conn.execute(text("SELECT id FROM raw.person_payloads ORDER BY id")).scalars().all()
        good = conn.execute(
            text("SELECT raw_payload FROM raw.person_payloads WHERE id = :i"), {"i": ids[1]}
        ).scalar_one()
        conn.execute(
            text("UPDATE raw.person_payloads SET raw_payload = '[1, 2]' WHERE id = :i"),
            {"i": ids[1]},
        )

    job = wait_job(client, _reprocess(client, {"all": True})["job_id"], timeout=60)

    assert job["counts"] == {"done": 2, "failed": 1, "total": 3}
    assert job["result"] == {"total": 3, "done": 2, "failed": 1}
    letters = client.get("/dead-letters", params={"stage": "extract_profile"}).json()["items"]
    assert len(letters) == 1
    letter = client.get(f"/dead-letters/{letters[0]['id']}").json()
    assert letter["message"]["kwargs"]["raw_id"] == ids[1]
    child = letter["message"]["kwargs"]["job_id"]
    assert wait_job(client, child)["status"] == "dead"

    # Fixed payload: the operator's replay runs it through extract_profile → sync_core.
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE raw.person_payloads SET raw_payload = CAST(:b AS jsonb) WHERE id = :i"),
            {"b": json.dumps(good), "i": ids[1]},
        )
    replayed = client.post(f"/dead-letters/{letters[0]['id']}/replay").json()
    assert replayed["status"] == "replayed", replayed
    final = wait_job(client, child, timeout=30)
    assert final["status"] == "succeeded"
    assert final["stage"] == "sync_core"
    assert client.get(f"/jobs/{job['job_id']}").json()["counts"]["done"] == 3


def test_an_sql_failure_of_the_set_reruns_it_one_by_one(
    client: TestClient,
    stored: list[dict[str, Any]],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipeline import personsteps

    culprit = stored[2]["result"]["linkedin_url"]
    sync_people = personsteps.sync_people

    def poisoned(conn: Connection, prepared: Any) -> Any:
        # Given: the set's statement fails whenever the culprit is in it (as a value
        # PostgreSQL rejects would fail a multi-row statement).
        if any(p.linkedin_url == culprit for p in prepared):
            conn.execute(text("SELECT 1 / 0"))
        return sync_people(conn, prepared)

    monkeypatch.setattr(personsteps, "sync_people", poisoned)
    accepted = _reprocess(client, {"all": True})
    job = wait_job(client, accepted["job_id"], timeout=60)

    assert job["counts"] == {"done": 2, "failed": 1, "total": 3}
    letters = client.get("/dead-letters", params={"stage": "extract_profile"}).json()["items"]
    assert len(letters) == 1
    assert letters[0]["reason"] == "permanent_error"
    assert "division by zero" in letters[0]["error"]
    dead = wait_job(client, letters[0]["job_id"])
    assert dead["status"] == "dead"
    with engine.connect() as conn:
        batches = conn.execute(
            text("SELECT status, result FROM ops.jobs WHERE kind = 'reprocess_batch'")
        ).all()
    assert [(s, r["succeeded"], r["dead"]) for s, r in batches] == [("succeeded", 2, 1)]
