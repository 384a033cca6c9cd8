"""Dead letters grouped by cause (`GET /dead-letters/groups`), and a group replayed exactly.

sync_core is poisoned per person: it raises errors of three causes, each cause with its own
ids and numbers in the message, so only the normalisation can put them together.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from pipeline.errors import InvalidPayloadError, PermanentError
from tests.conftest import load_fixture
from tests.integration.conftest import wait_job
from tests.integration.test_migrations import _config
from workers import stages

INGEST = "/run/people/clay-native/person-profile/ingest"

pytestmark = pytest.mark.integration


def _cause(url: str) -> Exception | None:
    """The error sync_core raises for a person, by the cause their URL names."""
    n = url.rsplit("-", 1)[-1]
    if "/in/refused-" in url:
        return PermanentError(f"person '{url}' refused, row {n}, id {uuid.uuid4()}")
    if "/in/invalid-" in url:
        return InvalidPayloadError(f"person '{url}' refused, row {n}, id {uuid.uuid4()}")
    if "/in/locked-" in url:
        return PermanentError(f"company table locked after {n} tries")
    return None


@pytest.fixture
def poisoned(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """sync_core fails by `_cause` while the yielded flag list is empty (append to cure)."""
    real, cured = stages.sync_core.fn, []

    def poison(**kwargs: Any) -> Any:
        error = None if cured else _cause(str(kwargs.get("linkedin_url")))
        if error is not None:
            raise error
        return real(**kwargs)

    monkeypatch.setattr(stages.sync_core, "fn", poison)
    yield cured


def _post(client: TestClient, slug: str) -> str:
    body: dict[str, Any] = load_fixture("payloads/clay_a.json")
    body["linkedin_url"] = f"https://www.linkedin.com/in/{slug}"
    response = client.post(INGEST, json=body)
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


def test_groups_by_cause_and_replays_exactly_one_group(
    client: TestClient, worker: dramatiq.Worker, poisoned: list[bool]
) -> None:
    refused = [_post(client, f"refused-{i}") for i in (1, 22, 333)]
    invalid = [_post(client, f"invalid-{i}") for i in (4, 55)]
    locked = [_post(client, "locked-6")]
    for job in refused + invalid + locked:
        assert wait_job(client, job)["status"] == "dead"

    answer = client.get("/dead-letters/groups")

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == 6
    groups = body["items"]
    assert [(g["error_class"], g["count"]) for g in groups] == [
        ("PermanentError", 3),
        ("InvalidPayloadError", 2),
        ("PermanentError", 1),
    ]
    first = groups[0]
    assert first["stage"] == "sync_core"
    assert first["message"] == "person <value> refused, row <n>, id <uuid>"
    # The sample is the group's newest letter (workers finish the three in any order).
    assert first["sample_job_id"] in refused and "/in/refused-" in first["sample_error"]
    assert first["first_seen"] <= first["last_seen"]
    assert first["filter"] == {"group": first["group"]}
    assert groups[2]["message"] == "company table locked after <n> tries"
    listed = client.get("/dead-letters", params={"group": first["group"]}).json()
    assert {i["job_id"] for i in listed["items"]} == set(refused)
    assert client.get("/dead-letters/groups", params={"stage": "extract_profile"}).json() == {
        "items": [],
        "total": 0,
    }
    assert client.get("/dead-letters", params={"group": "not-a-group"}).status_code == 422

    # When the operator replays the largest group with its own filter (the stage is cured)...
    poisoned.append(True)
    dry = client.post("/dead-letters/replay", json={**first["filter"], "dry_run": True}).json()
    assert dry["count"] == 3
    result = client.post("/dead-letters/replay", json=first["filter"]).json()

    # ...exactly its letters are replayed; the other causes stay dead.
    assert (result["matched"], result["count"]) == (3, 3)
    assert sorted(result["ids"]) == sorted(i["id"] for i in listed["items"])
    assert {wait_job(client, j)["status"] for j in refused} == {"succeeded"}
    assert {client.get(f"/jobs/{j}").json()["status"] for j in invalid + locked} == {"dead"}
    left = client.get("/dead-letters/groups", params={"replayed": "false"}).json()
    assert [g["count"] for g in left["items"]] == [2, 1]
    assert left["items"][0]["filter"] == {"replayed": False, "group": left["items"][0]["group"]}


def test_migration_backfills_the_fingerprint_of_existing_letters(database_url: str) -> None:
    cfg = _config(database_url)
    command.downgrade(cfg, "0003")
    engine = create_engine(database_url)
    insert = text(
        "INSERT INTO ops.dead_letters (job_id, stage, actor_name, queue_name, message_id,"
        " message, workflow_slug, reason, error, attempts) VALUES (:job, 'sync_core',"
        " 'sync_core', 'sync_core', :mid, '{}', 'clay-a', 'permanent_error', :error, 1)"
    )
    with engine.begin() as conn:
        for n in (7, 8):
            conn.execute(
                insert, {"job": str(uuid.uuid4()), "mid": str(n), "error": f"KeyError: '{n}x'"}
            )
        conn.execute(insert, {"job": str(uuid.uuid4()), "mid": "9", "error": "ValueError: y"})

    command.upgrade(cfg, "head")

    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT error_class, error_pattern, error_group FROM ops.dead_letters ORDER BY id")
        ).all()
    engine.dispose()
    assert [r[:2] for r in rows] == [("KeyError", "<value>")] * 2 + [("ValueError", "y")]
    assert rows[0][2] == rows[1][2] != rows[2][2]
