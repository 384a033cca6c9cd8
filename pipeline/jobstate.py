"""A job's status as `GET /jobs/{id}` shows it: the stored record plus the attempt in flight.

PostgreSQL holds what each attempt of each stage ended as (written in the stage's own
commit, see `pipeline.store.ops.RECORD_ATTEMPTS`); nothing is written when an attempt
starts. While a worker runs an attempt, Redis holds a marker naming it (stage, seq, attempt,
start time; `workers.middleware.Tracking`). This module lays the marker over the record:
the attempt is running unless the stored stage already records an attempt that started at
or after the marker's (the record of that attempt, or of a later one).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def running_marker(
    *, kind: str, stage: str, seq: int, attempt: int, started_at: datetime
) -> dict[str, Any]:
    """What a worker keeps in Redis while it runs an attempt (JSON-ready)."""
    return {
        "kind": kind,
        "stage": stage,
        "seq": seq,
        "attempt": attempt,
        "started_at": started_at.isoformat(),
    }


def with_running(
    job_id: str, job: dict[str, Any] | None, marker: dict[str, Any] | None
) -> dict[str, Any] | None:
    """`job` (as `ops.load_job` returns it, or None) with the attempt `marker` names, if it
    is still running; None when there is neither."""
    if marker is None:
        return job
    started_at = datetime.fromisoformat(marker["started_at"])
    stages = list(job["stages"]) if job else []
    stored = next((s for s in stages if s["stage"] == marker["stage"]), None)
    if stored is not None and stored["started_at"] and stored["started_at"] >= started_at:
        return job  # that attempt (or a later one) has ended and is recorded
    running = {
        "stage": marker["stage"],
        "seq": marker["seq"],
        "status": "running",
        "attempts": marker["attempt"],
        "started_at": started_at,
        "finished_at": None,
        "next_attempt_at": None,
        "error": None,
    }
    others = [s for s in stages if s["stage"] != marker["stage"]]
    base = job or {
        "job_id": job_id,
        "kind": marker["kind"],
        "events": [],
        "dead_letter_ids": [],
        "result": None,
    }
    return {
        **base,
        "status": "running",
        "stage": marker["stage"],
        "error": None,
        "finished_at": None,
        "stages": sorted([*others, running], key=lambda s: s["seq"]),
    }
