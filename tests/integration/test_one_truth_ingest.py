"""Issue 17 end to end: a real wrapped Proxycurl payload lands with month precision and one
country spelling, and re-ingesting a payload stored under the old rules converges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from pipeline import extract
from tests.integration.conftest import table_counts, wait_job
from tests.integration.test_profile_chain import _core_snapshot, _post

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "real_samples"
URL = "https://www.linkedin.com/in/satyanadella"

pytestmark = pytest.mark.integration


def _body() -> dict[str, Any]:
    """The EnrichLayer Person Lookup response, as Clay would forward it."""
    raw = json.loads((SAMPLE / "enrichlayer_person_lookup_satyanadella.json").read_text())
    return {"workflow_slug": "proxycurl-person-lookup", "raw_payload": raw}


def _person(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/people", params={"linkedin_url": URL})
    assert response.status_code == 200, response.text
    person: dict[str, Any] = response.json()
    return person


def test_padded_profile_is_stored_with_month_precision(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    job = wait_job(client, _post(client, _body()))
    assert job["status"] == "succeeded", job
    person = _person(client)
    assert person["tenure"]["start_date"] == "2018-01-01"
    assert person["tenure"]["start_date_precision"] == "month"
    ends = [row["end_date"] for row in person["work_history"]]
    assert ends == [None, None, "2024-12-01"]  # {day: 31, month: 12, year: 2024}
    assert [row["start_date"] for row in person["education"]][:1] == ["1994-01-01"]
    assert (person["location"]["country"], person["location"]["country_code"]) == (
        "United States",
        "US",
    )


def test_reingesting_an_old_payload_converges(
    client: TestClient, worker: dramatiq.Worker, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # First as the old code stored it: padded days kept as days.
    with monkeypatch.context() as patch:
        patch.setattr(extract, "_depadded", lambda profile: profile)
        assert wait_job(client, _post(client, _body()))["status"] == "succeeded"
    old = _person(client)
    assert old["tenure"]["start_date_precision"] == "day"
    assert old["work_history"][2]["end_date"] == "2024-12-31"
    counts = table_counts(engine)

    # Re-ingest the same payload under the new rules: rows are replaced, not added.
    assert wait_job(client, _post(client, _body(), force="true"))["status"] == "succeeded"
    new = _person(client)
    assert new["tenure"]["start_date_precision"] == "month"
    assert new["work_history"][2]["end_date"] == "2024-12-01"
    snapshot = _core_snapshot(engine)
    after = table_counts(engine)
    assert after["raw.person_payloads"] == counts["raw.person_payloads"] + 1
    assert {k: v for k, v in after.items() if k != "raw.person_payloads"} == {
        k: v for k, v in counts.items() if k != "raw.person_payloads"
    }

    # And once more: nothing changes any more (a fixed point).
    assert wait_job(client, _post(client, _body(), force="true"))["status"] == "succeeded"
    assert _core_snapshot(engine) == snapshot
    # Everything but when each field was last observed (provenance) is unchanged.
    unchanged = {k: v for k, v in _person(client).items() if k != "provenance"}
    assert unchanged == {k: v for k, v in new.items() if k != "provenance"}


def test_a_list_of_one_result_is_ingested_and_a_list_of_two_refused_by_name(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    profile = _body()["raw_payload"]["profile"]
    one = wait_job(client, _post(client, {"raw_payload": [profile]}))
    assert one["status"] == "succeeded", one
    assert _person(client)["tenure"]["start_date_precision"] == "month"

    two = wait_job(client, _post(client, {"raw_payload": [profile, profile]}))
    assert two["status"] == "dead"
    assert two["stage"] == "extract_profile"
    assert "a list of 2 results" in two["error"]
