"""Replay of dead letters: send a stored message again to the stage that failed, same job.

A replay is a new message (new message id, fresh timestamp, no retry count, traceback, eta
or Redis id) with the stored args and kwargs, so the job keeps its `job_id` and resumes at
the stage that died.

Sending and recording cannot be one atomic step (Redis and PostgreSQL), so a replay runs in
one transaction that holds a lock on its dead letter: lock → decide → send → mark replayed
→ commit. The message carries the letter id and replay number, and the worker that receives
it first reads that letter with a shared lock (`Tracking._check_replay`): the read waits for
the replay's commit or rollback, and a message whose replay rolled back is skipped. So a
failed send leaves nothing behind, a failed commit leaves a message that does nothing, and a
replay that commits runs exactly once more. The alternative — commit, then send — loses the
replay if the process dies in between.

A letter is skipped, not replayed, when its job already succeeded, is queued or running
again (a replay or retry in flight), or died again later (replay the newer letter). That is
what makes replaying twice harmless.
"""

from __future__ import annotations

import logging
from typing import Any

import dramatiq
from sqlalchemy import Engine

from pipeline.store import deadletters
from schemas.ops_api import BulkReplayResult, DeadLetterFilter, ReplayOutcome, ReplayRequest
from workers import names
from workers.middleware import REPLAY_OPTION

log = logging.getLogger("hq.replay")


def skip_reason(state: dict[str, Any]) -> str | None:
    """Why a letter must not be replayed now, or None when it may be."""
    if state["actor_name"] not in names.BY_NAME:
        return f"stage {state['actor_name']} no longer exists"
    status = state["job_status"]
    if status == "succeeded":
        return "job already succeeded"
    if status in ("queued", "running", "failed"):
        return f"job is {status}: a replay or retry is already in flight"
    if state["latest_letter_id"] != state["id"]:
        return f"superseded by dead letter {state['latest_letter_id']}"
    return None


def replay_message(letter: dict[str, Any], *, number: int) -> Any:
    """The message a replay sends: stored args/kwargs, fresh id, timestamp and options."""
    actor = names.BY_NAME[letter["actor_name"]]
    stored = letter["message"]
    return dramatiq.Message(
        queue_name=actor.queue_name,
        actor_name=actor.actor_name,
        args=tuple(stored.get("args") or ()),
        kwargs=dict(stored.get("kwargs") or {}),
        options={REPLAY_OPTION: {"letter_id": letter["id"], "number": number}},
    )


def replay_one(engine: Engine, broker: dramatiq.Broker, *, letter_id: int) -> ReplayOutcome | None:
    """Replay one letter (None if there is no such letter); see the module docstring."""
    with engine.begin() as conn:
        state = deadletters.replay_state(conn, letter_id=letter_id, lock=True)
        if state is None:
            return None
        reason = skip_reason(state)
        if reason is not None:
            return _outcome(state, "skipped", reason=reason)
        message = replay_message(state, number=state["replay_count"] + 1)
        broker.enqueue(message)
        kind = names.BY_NAME[state["actor_name"]].job_kind or "task"
        deadletters.mark_replayed(conn, letter=state, kind=kind, message_id=message.message_id)
    log.info("replayed dead letter %d as %s", letter_id, message.message_id)
    return _outcome(state, "replayed", message_id=message.message_id)


def preview_one(engine: Engine, broker: dramatiq.Broker, *, letter_id: int) -> ReplayOutcome:
    """What `replay_one` would do now, without doing it."""
    with engine.connect() as conn:
        state = deadletters.replay_state(conn, letter_id=letter_id, lock=False)
    assert state is not None  # ids come from a query just made; letters are never deleted
    reason = skip_reason(state)
    return _outcome(state, "skipped" if reason else "would_replay", reason=reason)


def replay_many(
    engine: Engine, broker: dramatiq.Broker, *, request: ReplayRequest
) -> BulkReplayResult:
    """Replay (or, with `dry_run`, preview) every matching letter up to the request's limit."""
    where = DeadLetterFilter.model_validate(request.selection())
    with engine.connect() as conn:
        matched = deadletters.count_letters(conn, where=where)
        ids = deadletters.matching_ids(conn, where=where, limit=request.limit)
    outcomes = [_replay_or_preview(engine, broker, i, dry_run=request.dry_run) for i in ids]
    done = [o for o in outcomes if o.status in ("replayed", "would_replay")]
    return BulkReplayResult(
        dry_run=request.dry_run,
        matched=matched,
        count=len(done),
        ids=[o.id for o in done],
        skipped=[o for o in outcomes if o.status == "skipped"],
        failed=[o for o in outcomes if o.status == "failed"],
        has_more=matched > len(ids),
    )


def _replay_or_preview(
    engine: Engine, broker: dramatiq.Broker, letter_id: int, *, dry_run: bool
) -> ReplayOutcome:
    if dry_run:
        return preview_one(engine, broker, letter_id=letter_id)
    try:
        outcome = replay_one(engine, broker, letter_id=letter_id)
    except Exception as err:  # one broken letter or a blip must not stop the batch
        log.exception("replay of dead letter %d failed", letter_id)
        return ReplayOutcome(id=letter_id, status="failed", reason=f"{type(err).__name__}: {err}")
    assert outcome is not None
    return outcome


def _outcome(
    state: dict[str, Any], status: str, *, reason: str | None = None, message_id: str | None = None
) -> ReplayOutcome:
    return ReplayOutcome.model_validate(
        {
            "id": state["id"],
            "job_id": str(state["job_id"]),
            "stage": state["stage"],
            "status": status,
            "reason": reason,
            "message_id": message_id,
        }
    )
