"""The running attempt (a Redis marker) laid over a job's stored record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.jobstate import running_marker, with_running

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def _marker(stage: str, seq: int, *, attempt: int = 1, at: datetime = T0) -> dict[str, Any]:
    return running_marker(
        kind="person_profile", stage=stage, seq=seq, attempt=attempt, started_at=at
    )


def _stage(stage: str, seq: int, status: str, *, at: datetime, attempts: int = 1) -> dict[str, Any]:
    return {
        "stage": stage,
        "seq": seq,
        "status": status,
        "attempts": attempts,
        "started_at": at,
        "finished_at": at + timedelta(milliseconds=20),
        "next_attempt_at": None,
        "error": None,
    }


def _job(status: str, stage: str, stages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "job_id": "j",
        "kind": "person_profile",
        "status": status,
        "stage": stage,
        "stages": stages,
        "events": [],
        "dead_letter_ids": [],
        "result": None,
        "error": None,
        "finished_at": None,
    }


def test_no_marker_leaves_the_record_alone() -> None:
    job = _job("succeeded", "sync_core", [])
    assert with_running("j", job, None) is job
    assert with_running("j", None, None) is None


def test_first_stage_running_before_anything_is_stored() -> None:
    job = with_running("j", None, _marker("store_raw", 1))
    assert job is not None
    assert (job["job_id"], job["kind"], job["status"], job["stage"]) == (
        "j",
        "person_profile",
        "running",
        "store_raw",
    )
    assert job["stages"] == [
        {
            "stage": "store_raw",
            "seq": 1,
            "status": "running",
            "attempts": 1,
            "started_at": T0,
            "finished_at": None,
            "next_attempt_at": None,
            "error": None,
        }
    ]


def test_next_stage_running_after_a_recorded_hand_on() -> None:
    stored = _job("running", "store_raw", [_stage("store_raw", 1, "succeeded", at=T0)])
    later = T0 + timedelta(seconds=1)
    job = with_running("j", stored, _marker("extract_profile", 2, at=later))
    assert job is not None
    assert (job["status"], job["stage"]) == ("running", "extract_profile")
    assert [(s["stage"], s["status"]) for s in job["stages"]] == [
        ("store_raw", "succeeded"),
        ("extract_profile", "running"),
    ]


def test_a_recorded_attempt_hides_its_marker() -> None:
    """The marker outlives its attempt; once that attempt is recorded the record wins."""
    failed = _stage("sync_core", 3, "retrying", at=T0)
    stored = _job("failed", "sync_core", [failed])
    assert with_running("j", stored, _marker("sync_core", 3, at=T0)) is stored
    older = _marker("sync_core", 3, at=T0 - timedelta(seconds=5))
    assert with_running("j", stored, older) is stored


def test_a_retry_in_flight_is_running_again() -> None:
    failed = _stage("sync_core", 3, "retrying", at=T0)
    stored = _job("failed", "sync_core", [_stage("store_raw", 1, "succeeded", at=T0), failed])
    job = with_running("j", stored, _marker("sync_core", 3, attempt=2, at=T0 + timedelta(1)))
    assert job is not None
    assert job["status"] == "running"
    entry = job["stages"][-1]
    assert (entry["stage"], entry["status"], entry["attempts"]) == ("sync_core", "running", 2)
    assert entry["error"] is None and entry["finished_at"] is None
