"""Middleware that makes every stage visible and every failure durable.

- `Tracking` records each attempt of each stage in `ops.job_stages` / `ops.jobs`, writes a
  message that will not be retried to `ops.dead_letters` before it is rejected, and runs a
  replayed message only once its replay is committed (see `workers.replay`).
- `GuardedRetries` (defined in `workers.retry_policy`) replaces dramatiq's `Retries`.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware, SkipMessage
from sqlalchemy import Connection, Engine

from pipeline import store
from workers.retry_policy import NEXT_ATTEMPT_OPTION, describe

log = logging.getLogger("hq.workers")

#: How often Tracking tries a status or dead-letter write before it falls back.
WRITE_ATTEMPTS = 3

#: Pause between those tries, times the attempt number.
WRITE_PAUSE_S = 0.2

#: When PostgreSQL cannot record an outcome, the message runs again after this long.
RERUN_DELAY_MS = 5_000

#: Message option naming the dead letter (and replay number) a replayed message comes from.
REPLAY_OPTION = "hq_replay"

_local = threading.local()


def complete_job(result: dict[str, Any]) -> None:
    """Called by an actor as its last statement when its job is done; Tracking keeps `result`.

    Actors that hand the job on to a next stage do not call it, so the job stays running.
    (Returning the result instead would make dramatiq's Results middleware warn about it.)
    """
    _local.result = result


def job_ended_here() -> bool:
    """Whether the message this thread just processed left its job final (succeeded or dead).

    Set by `Tracking.after_*` hooks, so only middleware whose `after_*` hooks run after
    Tracking's (added before it) can rely on it: `workers.callbacks.Callbacks` does.
    """
    return bool(getattr(_local, "ended", False))


def message_job_id(message: Any) -> str | None:
    """Every hq-ingest message carries its job id as a keyword argument."""
    job_id = message.kwargs.get("job_id")
    return str(job_id) if job_id else None


class Tracking(Middleware):
    """Status of every stage attempt, and the durable dead-letter store."""

    def __init__(self, *, engine_factory: Callable[[], Engine]) -> None:
        self.engine_factory = engine_factory
        self._single: tuple[Engine, Engine, Engine] | None = None
        self._single_lock = threading.Lock()

    def single_statements(self, *, durable: bool = True) -> Engine:
        """The engine for one-statement writes: autocommit, so no BEGIN/COMMIT round trips.

        `durable=False` gives connections with `synchronous_commit = off`: the commit does
        not wait for the WAL to reach disk (under load, every worker thread queued on those
        flushes). Used for the records a later one supersedes — a stage's start, and the
        success of a stage that hands on. WAL is flushed in order, so the next durable
        commit (the next stage's data, the job's final outcome) makes them durable too; a
        PostgreSQL crash can only lose the ones after the last durable commit, i.e. the
        state of stages still in flight, which then run again. Final outcomes, retries and
        dead letters stay durable.
        """
        engine = self.engine_factory()
        cached = self._single
        if cached is None or cached[0] is not engine:
            with self._single_lock:
                cached = self._single
                if cached is None or cached[0] is not engine:
                    if cached is not None:
                        cached[2].dispose()
                    cached = self._single = (
                        engine,
                        engine.execution_options(isolation_level="AUTOCOMMIT"),
                        store.make_engine(
                            engine.url.render_as_string(hide_password=False),
                            pool_size=engine.pool.size(),  # type: ignore[attr-defined]
                            application_name="hq-worker-status",
                            pre_ping=False,
                            synchronous_commit=False,
                        ).execution_options(isolation_level="AUTOCOMMIT"),
                    )
        return cached[1] if durable else cached[2]

    @property
    def actor_options(self) -> set[str]:
        return {"job_kind", "stage_seq"}

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        job_id = message_job_id(message)
        if job_id is None:
            return
        _local.result = None
        self._check_replay(message)
        actor = broker.get_actor(message.actor_name)
        try:
            with self.single_statements(durable=False).connect() as conn:
                store.ops.start_stage(
                    conn,
                    job_id=job_id,
                    kind=actor.options.get("job_kind", "task"),
                    stage=message.actor_name,
                    seq=actor.options.get("stage_seq", 0),
                    attempt=message.options.get("retries", 0) + 1,
                    workflow_slug=_workflow_slug(message),
                )
        except Exception as err:  # the stage itself will fail and retry if PostgreSQL is down
            log.warning("could not record the start of %s: %s", message.message_id, err)

    def _check_replay(self, message: Any) -> None:
        """Skip a replayed message whose replay transaction did not commit.

        The replay holds a lock on its dead letter from before the send until its commit, so
        this read waits for that outcome instead of racing it.
        """
        replay = message.options.get(REPLAY_OPTION)
        if not replay:
            return
        try:
            with self.engine_factory().begin() as conn:
                committed = store.deadletters.replay_committed(
                    conn, letter_id=int(replay["letter_id"]), number=int(replay["number"])
                )
        except Exception as err:  # unknown: run it; the stage is idempotent
            log.warning("could not check replay %r of %s: %r", replay, message.message_id, err)
            return
        if not committed:
            log.warning("replay %r was rolled back; skipping %s", replay, message.message_id)
            raise SkipMessage("replay was not committed")

    def after_process_message(
        self, broker: dramatiq.Broker, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        job_id = message_job_id(message)
        if job_id is None:
            return
        job_result, _local.result = getattr(_local, "result", None), None
        _local.ended = False
        if message.failed:
            reason = _reason(broker, message, exception)
            self._dead(broker, job_id, message, exception, reason=reason)
        elif exception is None:
            if not self._finish(job_id, message, "succeeded", result=job_result):
                # The work is done but not recorded: run the (idempotent) stage again later.
                _rerun(broker, message)
        else:
            eta = message.options.pop(NEXT_ATTEMPT_OPTION, None)
            when = datetime.fromtimestamp(eta / 1000, UTC) if eta else None
            self._finish(job_id, message, "retrying", error=describe(exception), eta=when)

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        job_id = message_job_id(message)
        _local.ended = False
        if job_id is not None and message.failed:
            self._dead(broker, job_id, message, None, reason="age_limit")

    def _finish(
        self,
        job_id: str,
        message: Any,
        status: str,
        *,
        result: Any = None,
        error: str | None = None,
        eta: datetime | None = None,
    ) -> bool:
        final = status == "succeeded" and result is not None
        job_status = {"succeeded": "succeeded" if final else "running", "retrying": "failed"}
        _local.ended = final
        return self._write(
            lambda conn: store.ops.finish_stage(
                conn,
                job_id=job_id,
                stage=message.actor_name,
                status=status,
                job_status=job_status[status],
                error=error,
                next_attempt_at=eta,
                result=result if final and isinstance(result, dict) else None,
            ),
            single=True,
            durable=final or status != "succeeded",
        )

    def _dead(
        self, broker: dramatiq.Broker, job_id: str, message: Any, exception: Any, *, reason: str
    ) -> None:
        letter = _letter(job_id, message, exception, reason=reason)

        def write(conn: Connection) -> None:
            slug = letter["workflow_slug"] or store.deadletters.job_workflow_slug(
                conn, job_id=job_id
            )
            store.ops.insert_dead_letter(conn, letter={**letter, "workflow_slug": slug})
            store.ops.finish_stage(
                conn,
                job_id=job_id,
                stage=message.actor_name,
                status="dead",
                job_status="dead",
                error=letter["error"],
            )

        _local.ended = True
        if not self._write(write) and _rerun(broker, message):
            # PostgreSQL is unreachable: keep the message alive rather than reject it
            # unrecorded. (If Redis refuses too, it stays failed and goes to Redis's .XQ.)
            message.failed = False

    def _write(
        self, write: Callable[[Connection], None], *, single: bool = False, durable: bool = True
    ) -> bool:
        """Run `write` in a transaction, a few times if PostgreSQL fails; False if it never did.

        `single`: `write` runs one statement, which commits on its own (autocommit);
        `durable`: see `single_statements`.
        """
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                if single:
                    with self.single_statements(durable=durable).connect() as conn:
                        write(conn)
                else:
                    with self.engine_factory().begin() as conn:
                        write(conn)
                return True
            except Exception as err:
                log.warning("status write failed (attempt %d): %r", attempt, err)
                time.sleep(WRITE_PAUSE_S * attempt)
        return False


def _rerun(broker: dramatiq.Broker, message: Any) -> bool:
    """Send the message again after `RERUN_DELAY_MS`; False (logged) if Redis refused it."""
    try:
        broker.enqueue(message.copy(), delay=RERUN_DELAY_MS)
        return True
    except Exception:
        log.critical("could not re-send %s; it was not recorded", message.message_id, exc_info=True)
        return False


def _letter(job_id: str, message: Any, exception: Any, *, reason: str) -> dict[str, Any]:
    """The `ops.dead_letters` row for a message that will not be retried."""
    return {
        "job_id": job_id,
        "stage": message.actor_name,
        "actor_name": message.actor_name,
        "queue_name": message.queue_name,
        "message_id": message.message_id,
        "message": message.asdict(),
        "workflow_slug": _workflow_slug(message),
        "reason": reason,
        "error": message.options.get("hq_dead_error") or describe(exception) or reason,
        "traceback": _traceback(message, exception),
        "attempts": message.options.get("retries", 0) + (0 if reason == "age_limit" else 1),
    }


def _workflow_slug(message: Any) -> str | None:
    body = message.kwargs.get("body")
    if isinstance(body, dict):
        slug = body.get("workflow_slug")
        return str(slug) if slug else None
    return None


def _reason(broker: dramatiq.Broker, message: Any, exception: Any) -> str:
    if message.options.get("hq_dead_reason"):
        return str(message.options["hq_dead_reason"])
    if exception is None:
        return "failed"
    throws = broker.get_actor(message.actor_name).options.get("throws")
    return "permanent_error" if throws and isinstance(exception, throws) else "retries_exhausted"


def _traceback(message: Any, exception: Any) -> str | None:
    if exception is not None and exception.__traceback__ is not None:
        return "".join(traceback.format_exception(exception, limit=30))
    tb = message.options.get("traceback")
    return str(tb) if tb else None
