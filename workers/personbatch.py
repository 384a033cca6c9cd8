"""Person payloads as one unit of work: extract + sync over a batch, each job's status with it.

The reprocess batches (`workers.reprocess`) and `hq-ingest import` (`workers.importer`) run
stored person payloads through the chain's three steps (`pipeline.personsteps`) a batch at
a time instead of three messages per payload: one transaction extracts them all, one
prepares the fresh ones' companies (committed before the sync, as the chain does), one
syncs them to `core`. Every job's outcome (`succeeded` with its result, stale, or `dead`)
is written in the same transaction as the rows that decide it (`ops.record_attempts`,
one statement per step: the job, the stage it ended at, its history event), so a batch
commits its rows and its statuses together.

Failures stay per payload:
- a payload the steps cannot process comes back as its own error: it is dead-lettered
  alone, as an `extract_profile` message naming its job and raw id, so the operator's
  replay runs it through the normal chain; its neighbours go on in the same transaction;
- an SQL error of the set loses that step's transaction: a deadlock or serialization
  failure runs the unfinished items again as a set once, anything else (and a second
  failure) runs them one by one, so only the culprit is dead-lettered;
- an outage (PostgreSQL unreachable) raises: the batch message is retried as a whole
  (every step and status write is idempotent).
"""

from __future__ import annotations

import logging
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dramatiq
from pydantic import ValidationError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from pipeline import personsteps
from pipeline.store import ops
from schemas.webhooks import TRUSTED, PersonProfileIngest
from workers import names, stages
from workers.retry_policy import describe, is_outage

log = logging.getLogger("hq.workers")

#: SQLSTATEs after which the same statements may well succeed: deadlock, serialization.
TRANSIENT_STATES = frozenset({"40P01", "40001"})

#: Tries of one payload alone (after its set failed) before it is dead-lettered.
ALONE_ATTEMPTS = 3

#: Pause between those tries, times the try number.
ALONE_PAUSE_S = 0.05

#: The stage a dead payload is replayed at (an import line that could not be stored: at
#: `store_raw`), and the stages its job can end at.
STORE, EXTRACT, SYNC = names.STORE_RAW, names.EXTRACT_PROFILE, names.SYNC_CORE

#: Each of those stages' place in the chain (`stage_seq`), as its record names it.
SEQ = {
    declared.actor_name: int(declared.options["stage_seq"])
    for declared in (stages.store_raw, stages.extract_profile, stages.sync_core)
}


@dataclass(frozen=True)
class Item:
    """One stored payload of a batch and the job that reports on it."""

    job_id: str
    raw_id: int
    workflow_slug: str | None = None
    parent_job_id: str | None = None


class _SetFailed(Exception):
    """Raised when a step's SQL failed for the set; `pending` did not finish."""

    def __init__(self, pending: Sequence[Item], cause: SQLAlchemyError, tally: Counter[str]):
        super().__init__(describe(cause))
        self.pending, self.cause, self.tally = list(pending), cause, tally


def run_batch(engine: Engine, items: Sequence[Item]) -> Counter[str]:
    """Run every payload through extract + sync; returns how many `succeeded`, were
    `stale` and went `dead`. See the module docstring for what happens on failure."""
    try:
        return _run(engine, items)
    except _SetFailed as failed:
        tally, pending, cause = failed.tally, failed.pending, failed.cause
    log.warning("batch of %d failed (%s); %d left", len(items), describe(cause), len(pending))
    if _transient(cause) and len(pending) > 1:
        try:
            return tally + _run(engine, pending)
        except _SetFailed as again:
            tally, pending = tally + again.tally, again.pending
    for item in pending:
        tally += _run_alone(engine, item)
    return tally


def _run_alone(engine: Engine, item: Item) -> Counter[str]:
    """One payload as a batch of one, retried on a deadlock; dead-lettered if it still fails."""
    for attempt in range(1, ALONE_ATTEMPTS + 1):
        try:
            return _run(engine, [item])
        except _SetFailed as failed:
            cause = failed.cause
            if attempt == ALONE_ATTEMPTS or not _transient(cause):
                break
            time.sleep(ALONE_PAUSE_S * attempt)
    reason = "retries_exhausted" if _transient(cause) else "permanent_error"
    with engine.begin() as conn:
        ops.record_attempts(conn, [_dead(conn, item, cause, reason=reason)])
    return Counter(dead=1)


def store_batch(
    engine: Engine, items: Sequence[Mapping[str, Any]]
) -> tuple[list[Item], Counter[str]]:
    """Keep every import line's payload raw, in one transaction; returns the stored ones
    (with their raw ids) and the tally of those that died. `items` are ``{"job_id", "body"}``
    with the person-profile route's `store_raw` body. A body that fails validation, or that
    the set cannot store and it alone cannot either, is dead-lettered as its `store_raw`
    message."""
    tally: Counter[str] = Counter()
    valid: list[tuple[Item, personsteps.RawPayload]] = []
    invalid: list[tuple[Item, Mapping[str, Any], Exception]] = []
    for line in items:
        job = Item(str(line["job_id"]), 0, line["body"].get("workflow_slug"))
        try:
            request = PersonProfileIngest.model_validate(line["body"], context=TRUSTED)
        except ValidationError as err:
            invalid.append((job, line, err))
            continue
        payload = personsteps.RawPayload(
            job.job_id, request.linkedin_url, request.workflow_slug, request.raw_payload
        )
        valid.append((Item(job.job_id, 0, request.workflow_slug), payload))
    bodies = {str(line["job_id"]): line["body"] for line in items}
    try:
        stored = _store(engine, valid, invalid)
    except SQLAlchemyError as err:
        if is_outage(err):
            raise
        log.warning("storing a batch of %d failed (%s); one by one", len(items), describe(err))
        stored = _store(engine, [], invalid)
        for one in valid:
            stored += _store_alone(engine, one, bodies)
    tally.update(dead=len(items) - len(stored))
    return stored, tally


def _store(
    engine: Engine,
    valid: Sequence[tuple[Item, personsteps.RawPayload]],
    invalid: Sequence[tuple[Item, Mapping[str, Any], Exception]],
) -> list[Item]:
    with engine.begin() as conn:
        raw_ids = personsteps.store_raw(conn, [payload for _, payload in valid])
        rows = [
            _dead(conn, job, err, stage=STORE, kwargs={"job_id": job.job_id, "body": line["body"]})
            for job, line, err in invalid
        ]
        ops.record_attempts(conn, rows)
    return [
        Item(job.job_id, raw_id, job.workflow_slug)
        for (job, _), raw_id in zip(valid, raw_ids, strict=True)
    ]


def _store_alone(
    engine: Engine, one: tuple[Item, personsteps.RawPayload], bodies: Mapping[str, Any]
) -> list[Item]:
    try:
        return _store(engine, [one], [])
    except SQLAlchemyError as err:
        if is_outage(err):
            raise
        job = one[0]
        with engine.begin() as conn:
            kwargs = {"job_id": job.job_id, "body": bodies[job.job_id]}
            ops.record_attempts(conn, [_dead(conn, job, err, stage=STORE, kwargs=kwargs)])
        return []


def _transient(err: SQLAlchemyError) -> bool:
    return getattr(getattr(err, "orig", None), "sqlstate", None) in TRANSIENT_STATES


def _run(engine: Engine, items: Sequence[Item]) -> Counter[str]:
    """The three steps over `items`; raises `_SetFailed` with the unfinished ones."""
    tally: Counter[str] = Counter()
    fresh = _step(_extract, engine, items, items, tally)
    pending = [item for group in fresh.values() for item in group]
    ready = _step(_prepare, engine, fresh, pending, tally)
    pending = [item for p in ready for item in fresh[p.linkedin_url]]
    _step(_sync, engine, (ready, fresh), pending, tally)
    return tally


def _step(step: Any, engine: Engine, arg: Any, pending: Sequence[Item], tally: Counter[str]) -> Any:
    """`step(conn, arg, tally)` in a transaction of its own; an SQL error of the set
    becomes `_SetFailed(pending)`, an outage propagates (the message is retried)."""
    try:
        with engine.begin() as conn:
            return step(conn, arg, tally)
    except SQLAlchemyError as err:
        if is_outage(err):
            raise
        raise _SetFailed(pending, err, tally) from err


def _extract(conn: Connection, items: Sequence[Item], tally: Counter[str]) -> dict[str, list[Item]]:
    """Extract every payload; stale and failed ones end here. Returns the fresh ones by
    person (sorted, so concurrent batches lock people in one order)."""
    outcomes = personsteps.extract_profiles(conn, [item.raw_id for item in items])
    rows, fresh = [], dict[str, list[Item]]()
    for item, outcome in zip(items, outcomes, strict=True):
        if isinstance(outcome, Exception):
            rows.append(_dead(conn, item, outcome))
        elif outcome.fresh:
            fresh.setdefault(outcome.linkedin_url, []).append(item)
        else:
            result = {"linkedin_url": outcome.linkedin_url, "stale": True}
            rows.append(_row(item, "succeeded", EXTRACT, result=result))
    ops.record_attempts(conn, rows)
    tally.update("dead" if row.status == "dead" else "stale" for row in rows)
    return {url: fresh[url] for url in sorted(fresh)}


def _prepare(
    conn: Connection, fresh: dict[str, list[Item]], tally: Counter[str]
) -> list[personsteps.Prepared]:
    """Derive each fresh person's core record and upsert its companies (committed before
    the sync: company rows are shared); a person that cannot be derived ends dead."""
    outcomes = personsteps.prepare_sync(conn, list(fresh))
    rows, ready = [], []
    for url, outcome in zip(fresh, outcomes, strict=True):
        if isinstance(outcome, Exception):
            rows += [_dead(conn, item, outcome) for item in fresh[url]]
        else:
            ready.append(outcome)
    ops.record_attempts(conn, rows)
    tally.update(dead=len(rows))
    return ready


def _sync(
    conn: Connection,
    args: tuple[list[personsteps.Prepared], dict[str, list[Item]]],
    tally: Counter[str],
) -> None:
    """Bring `core` in line with every prepared person; each job of that person succeeds
    with the person's summary (as its `sync_core` would have)."""
    ready, fresh = args
    summaries = personsteps.sync_people(conn, ready)
    rows = [
        _row(item, "succeeded", SYNC, result=summary)
        for prepared, summary in zip(ready, summaries, strict=True)
        for item in fresh[prepared.linkedin_url]
    ]
    ops.record_attempts(conn, rows)
    tally.update(succeeded=len(rows))


def _row(
    item: Item,
    status: str,
    stage: names.ActorName,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> ops.Outcome:
    """A job's final record: the stage it ended at (as the chain's stage would record it)."""
    attempt = ops.Attempt(
        job_id=item.job_id,
        kind=stage.job_kind or "person_profile",
        stage=stage.actor_name,
        seq=SEQ[stage.actor_name],
        attempt=1,
        started_at=datetime.now(UTC),
        workflow_slug=item.workflow_slug,
    )
    return ops.Outcome(attempt, status, status, error=error, result=result)


def _dead(
    conn: Connection,
    item: Item,
    err: BaseException,
    *,
    reason: str = "permanent_error",
    stage: names.ActorName = EXTRACT,
    kwargs: dict[str, Any] | None = None,
) -> ops.Outcome:
    """Dead-letter one payload as the message that replays it through the normal chain
    (`extract_profile` with its job and raw id, unless told otherwise); returns its job's
    row. The message id is derived from the job's, so a batch run again keeps one letter."""
    error = describe(err) or type(err).__name__
    message: dramatiq.Message[Any] = dramatiq.Message(
        queue_name=stage.queue_name,
        actor_name=stage.actor_name,
        args=(),
        kwargs=kwargs or {"job_id": item.job_id, "raw_id": item.raw_id},
        options={},
        message_id=str(uuid.uuid5(uuid.UUID(item.job_id), f"batch-dead-letter:{stage.actor_name}")),
    )
    letter = {
        "job_id": item.job_id,
        "stage": stage.actor_name,
        "actor_name": stage.actor_name,
        "queue_name": stage.queue_name,
        "message_id": message.message_id,
        "message": message.asdict(),
        "workflow_slug": item.workflow_slug,
        "reason": reason,
        "error": error,
        "traceback": "".join(traceback.format_exception(err, limit=30)),
        "attempts": 1,
    }
    ops.insert_dead_letter(conn, letter=letter)
    log.warning("job %s (%s) dead: %s", item.job_id, stage.actor_name, error)
    return _row(item, "dead", stage, error=error)
