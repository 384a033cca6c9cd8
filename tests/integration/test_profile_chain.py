"""The person-profile chain end to end: HTTP → Redis → workers → PostgreSQL → read API."""

from __future__ import annotations

import html
import json
import math
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import dramatiq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from pipeline import tables as t
from tests.conftest import ADMIN_KEY, fixtures_dir, load_fixture
from tests.integration.conftest import drain, table_counts, wait_job

INGEST = "/run/people/clay-native/person-profile/ingest"

pytestmark = pytest.mark.integration


def _expected() -> list[dict[str, Any]]:
    path = fixtures_dir() / "expected.json"
    if not path.exists():
        return []
    items: list[dict[str, Any]] = json.loads(path.read_text())["items"]
    return items


def _fold(value: str | None) -> str | None:
    """Case- and accent-insensitive form, as the fixtures compare locations."""
    if value is None:
        return None
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _accepts(expected: Mapping[str, Any], field: str, actual: str | None) -> bool:
    allowed = [expected.get(field), *expected.get("accept", {}).get(field, [])]
    return _fold(actual) in {_fold(a) for a in allowed} or (actual is None and None in allowed)


def _post(client: TestClient, body: dict[str, Any], **params: Any) -> str:
    response = client.post(INGEST, json=body, params=params)
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    return job_id


@pytest.mark.parametrize("item", _expected(), ids=lambda i: i["file"])
def test_fixture_lands_in_core(
    client: TestClient, worker: dramatiq.Worker, item: dict[str, Any]
) -> None:
    body = load_fixture(f"payloads/{item['file']}")
    job = wait_job(client, _post(client, body))
    assert job["status"] == "succeeded", job
    assert [s["stage"] for s in job["stages"]] == ["store_raw", "extract_profile", "sync_core"]

    for spelling in [body["linkedin_url"], item["linkedin_url"], *item["linkedin_url_equivalents"]]:
        response = client.get("/api/people", params={"linkedin_url": spelling})
        assert response.status_code == 200, (spelling, response.text)
    person = response.json()
    assert person["linkedin_url"] == item["linkedin_url"]
    _check_person(person, item)


def _check_person(person: dict[str, Any], item: dict[str, Any]) -> None:
    same = (
        (lambda a, b: a == b)
        if item["name_compare"] == "exact"
        else (lambda a, b: (a or "").casefold() == (b or "").casefold())
    )
    for field in ("full_name", "first_name", "last_name"):
        assert same(person[field], item[field]), field
    assert len(person["work_history"]) == item["experience_count"]
    assert len(person["education"]) == item["education_count"]
    current = [w["title"] for w in person["work_history"] if w["is_current"]]
    assert current == item["current_titles"]
    tenure = person["tenure"]
    if item["latest_current_start_date"] is None:
        assert tenure is None
    else:
        assert tenure["start_date"] == item["latest_current_start_date"]
        assert tenure["start_date_precision"] == item["latest_current_start_precision"]
    past = [(p["company_name"], p["company_domain"]) for p in person["past_employers"]]
    assert past == [(p["name"], p["domain"]) for p in item["past_employers"]]
    location = item["location"]
    for field in ("city", "state", "country", "country_code"):
        assert _accepts(location, field, person["location"][field]), (field, person["location"])
    if "headline" in item:
        assert person["headline"] == item["headline"]


def test_companies_are_keyed_by_domain_across_people(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    items = _expected()
    if not items:
        pytest.skip("fixtures not available")
    for item in items:
        wait_job(client, _post(client, load_fixture(f"payloads/{item['file']}")))
    expected_keys = {key for item in items for key in item["distinct_company_keys"]}
    with engine.connect() as conn:
        keys = set(conn.execute(select(t.companies.c.company_key)).scalars())
    assert keys == expected_keys


def test_same_payload_twice_changes_nothing(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    body = load_fixture("payloads/clay_a.json")
    first = wait_job(client, _post(client, body))
    before = table_counts(engine)
    snapshot = _core_snapshot(engine)

    # A repeat within the window is the same job; a forced repeat runs the chain again.
    repeat = client.post(INGEST, json=body)
    assert repeat.json()["job_id"] == first["job_id"]
    assert repeat.json()["duplicate"] is True
    second = wait_job(client, _post(client, body, force="true"))
    assert second["status"] == "succeeded"

    after = table_counts(engine)
    assert {k: v for k, v in after.items() if k != "raw.person_payloads"} == {
        k: v for k, v in before.items() if k != "raw.person_payloads"
    }
    assert after["raw.person_payloads"] == before["raw.person_payloads"] + 1
    assert _core_snapshot(engine) == snapshot


def test_each_stage_run_twice_changes_nothing(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    from workers import stages

    job = wait_job(client, _post(client, load_fixture("payloads/proxycurl_b.json")))
    before, snapshot = table_counts(engine), _core_snapshot(engine)
    with engine.connect() as conn:
        raw_id = conn.execute(select(t.person_payloads.c.id)).scalar_one()
    # Deliver each stage's message again, as a redelivery would (each also hands on).
    body = load_fixture("payloads/proxycurl_b.json")
    stages.store_raw.send(job_id=job["job_id"], body=body)
    stages.extract_profile.send(job_id=job["job_id"], raw_id=raw_id)
    stages.sync_core.send(job_id=job["job_id"], linkedin_url=job["result"]["linkedin_url"])
    drain(worker)
    # A redelivered stage's record can land just after the worker goes idle: poll.
    again = wait_job(client, job["job_id"], until=("succeeded",))
    assert {s["stage"]: s["attempts"] for s in again["stages"]} == {
        "store_raw": 1,
        "extract_profile": 1,
        "sync_core": 1,
    }
    assert table_counts(engine) == before
    assert _core_snapshot(engine) == snapshot


def _core_snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Content of the core/extracted tables without timestamps, in a stable order."""
    skip = {"created_at", "updated_at", "extracted_at", "received_at", "raw_payload_id"}
    snapshot = {}
    with engine.connect() as conn:
        for table in t.metadata.sorted_tables:
            if table.schema in ("core", "extracted", "reference"):
                cols = [c for c in table.c if c.name not in skip]
                rows = conn.execute(select(*cols)).all()
                snapshot[table.fullname] = sorted((tuple(r) for r in rows), key=repr)
    return snapshot


def test_stale_payload_leaves_newer_rows(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    newer = load_fixture("payloads/clay_a.json")
    older = json.loads(json.dumps(newer))
    older["raw_payload"]["last_refresh"] = "2020-01-01 00:00:00"
    older["raw_payload"]["headline"] = "An old headline"
    older["raw_payload"]["experience"] = older["raw_payload"]["experience"][2:]
    wait_job(client, _post(client, newer))
    job = wait_job(client, _post(client, older))
    assert job["status"] == "succeeded"
    assert job["result"]["stale"] is True
    person = client.get("/api/people", params={"linkedin_url": newer["linkedin_url"]}).json()
    assert person["headline"] == newer["raw_payload"]["headline"]
    assert len(person["work_history"]) == 5


def test_shared_companies_concurrently_no_duplicates(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    """Many people sharing companies, processed by 4 threads at once: one row per company."""
    base = load_fixture("payloads/pdl_a.json")
    jobs = []
    for i in range(24):
        body = json.loads(json.dumps(base))
        body["linkedin_url"] = f"https://www.linkedin.com/in/shared-company-{i}"
        body["raw_payload"]["experience"].reverse()  # vary lock order between payloads
        jobs.append(_post(client, body))
    finals = [wait_job(client, j, timeout=60) for j in jobs]
    assert {f["status"] for f in finals} == {"succeeded"}
    with engine.connect() as conn:
        dup = conn.execute(
            text("SELECT company_key, count(*) FROM core.companies GROUP BY 1 HAVING count(*) > 1")
        ).all()
        people = conn.execute(text("SELECT count(*) FROM core.people")).scalar_one()
        retried = conn.execute(
            text("SELECT count(*) FROM ops.job_stages WHERE attempts > 1")
        ).scalar_one()
    assert dup == []
    assert people == 24
    assert retried == 0


def test_unknown_shape_is_kept_and_dead_lettered(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    body = {
        "linkedin_url": "https://www.linkedin.com/in/someone-new",
        "workflow_slug": "mystery-vendor-person",
        "raw_payload": {"vendor_blob": {"x": 1}, "score": 3},
    }
    job = wait_job(client, _post(client, body))
    assert job["status"] == "dead"
    assert job["stage"] == "extract_profile"
    assert "shape" in job["error"].lower()
    with engine.connect() as conn:
        raw = conn.execute(select(t.person_payloads.c.raw_payload)).scalar_one()
        letter = conn.execute(select(t.dead_letters)).one()._mapping
        registry = conn.execute(
            select(t.enrichment_workflow_registry.c.needs_review).where(
                t.enrichment_workflow_registry.c.workflow_slug == "mystery-vendor-person"
            )
        ).scalar_one()
    assert raw == body["raw_payload"]
    assert letter["stage"] == "extract_profile"
    assert letter["reason"] == "permanent_error"
    assert letter["attempts"] == 1
    assert "UnknownShapeError" in letter["error"]
    assert "Traceback" in letter["traceback"]
    assert registry is True
    assert job["dead_letter_ids"] == [letter["id"]]


def test_raw_payload_numbers_are_stored_exactly_as_sent(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    """Numbers a double cannot hold (issue 11 item 5) reach raw.person_payloads unchanged."""
    body = load_fixture("payloads/pdl_a.json")
    head = json.dumps({**body, "raw_payload": {**body["raw_payload"], "x_marker": 0}})
    exact = (
        '"x_long":1.00000000000000000000001,"x_tiny":1e-400,"x_big":123456789012345678901234567890'
    )
    sent = head.replace('"x_marker": 0', exact).encode()
    answer = client.post(
        "/run/people/clay-native/person-profile/ingest",
        content=sent,
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 202, answer.text
    assert wait_job(client, answer.json()["job_id"])["status"] == "succeeded"
    with engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT raw_payload->>'x_long', (raw_payload->'x_tiny')::numeric = 1e-400,"
                " raw_payload->>'x_big' FROM raw.person_payloads WHERE job_id = :job"
            ),
            {"job": answer.json()["job_id"]},
        ).one()
    assert stored == ("1.00000000000000000000001", True, "123456789012345678901234567890")
    # The console shows and downloads such a body (its numbers are `Decimal`s) exactly.
    job_id = answer.json()["job_id"]
    login = client.post("/dashboard/login", data={"key": ADMIN_KEY}, follow_redirects=False)
    assert login.status_code == 303
    page = client.get(f"/dashboard/jobs/{job_id}")
    assert page.status_code == 200 and "1.00000000000000000000001" in page.text
    download = client.get(f"/dashboard/jobs/{job_id}/raw")
    assert b'"x_long":1.00000000000000000000001' in download.content


def test_raw_payload_negative_zeros_are_kept_as_text_beside_the_jsonb(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    """jsonb has no negative zero: a body holding one keeps its text in `raw_text`."""
    body = load_fixture("payloads/pdl_a.json")
    head = json.dumps({**body, "raw_payload": {**body["raw_payload"], "x_marker": 0}})
    sent = head.replace('"x_marker": 0', '"x": -0.0, "y": -0, "z": [1, -0.0]').encode()
    plain = json.dumps({**body, "linkedin_url": "linkedin.com/in/plain-zero"}).encode()
    jobs = []
    for content in (sent, plain):
        answer = client.post(
            "/run/people/clay-native/person-profile/ingest",
            content=content,
            headers={"Content-Type": "application/json"},
        )
        assert answer.status_code == 202, answer.text
        assert wait_job(client, answer.json()["job_id"])["status"] == "succeeded"
        jobs.append(answer.json()["job_id"])
    with engine.connect() as conn:
        stored = [
            conn.execute(
                text("SELECT raw_text FROM raw.person_payloads WHERE job_id = :job"), {"job": job}
            ).scalar_one()
            for job in jobs
        ]
    assert stored[1] is None  # jsonb holds it exactly
    kept = stored[0]
    assert '"x":-0.0,"y":-0,"z":[1,-0.0]' in kept
    raw = json.loads(kept, parse_int=Decimal)
    assert math.copysign(1.0, raw["x"]) == -1.0 and raw["x"] == 0
    assert raw["y"].is_signed() and raw["y"].is_zero()
    assert math.copysign(1.0, raw["z"][1]) == -1.0
    assert {k: v for k, v in raw.items() if k not in "xyz"} == body["raw_payload"]
    # The console's download gives the text as received, not the jsonb's plain zeros.
    login = client.post("/dashboard/login", data={"key": ADMIN_KEY}, follow_redirects=False)
    assert login.status_code == 303
    assert client.get(f"/dashboard/jobs/{jobs[0]}/raw").text == kept
    assert '"x":-0.0,"y":-0' in html.unescape(client.get(f"/dashboard/jobs/{jobs[0]}").text)
    plain_download = client.get(f"/dashboard/jobs/{jobs[1]}/raw")
    assert plain_download.json() == body["raw_payload"]
