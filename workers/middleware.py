"""Middleware that makes every stage visible and every failure durable.

- `Tracking` records each attempt of each stage in `ops.job_stages` / `ops.jobs`, writes a
  message that will not be retried to `ops.dead_letters` before it is rejected, and runs a
  replayed message only once its replay is committed (see `workers.replay`).
- `GuardedRetries` (defined in `workers.retry_policy`) replaces dramatiq's `Retries`.

One commit per stage. Nothing is written to PostgreSQL when an attempt starts: `Tracking`
marks it running in Redis (`transport.running_key`, one SET; `GET /jobs/{id}` lays it over
the stored record, see `pipeline.jobstate`) and leaves a `StageRun` on the in-flight message for the
actor (`current_run()`). A stage with a transaction of its own records its outcome inside
it (`run.handed_on(conn)` / `run.completed(conn, result)`), so its rows and its status
commit together. Any other actor says `run.complete(result)` when it finishes its job (a
lookup's returned answer counts as that), or nothing when it hands the job on, and
`Tracking` records that in one statement after it returns. A failed attempt's record
(retry with `next_attempt_at`, or death with its dead letter) is written by `Tracking` in
a transaction of its own, since the stage's transaction rolled back.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import dramatiq
import orjson
from dramatiq.middleware import CurrentMessage, Middleware, SkipMessage
from sqlalchemy import Connection, Engine

from pipeline import jobstate, store
from pipeline.store.ops import Attempt
from workers.retry_policy import NEXT_ATTEMPT_OPTION, describe
from workers.transport import running_key

log = logging.getLogger("hq.workers")

#: How often Tracking tries a status or dead-letter write before it falls back.
WRITE_ATTEMPTS = 3

#: Pause between those tries, times the attempt number.
WRITE_PAUSE_S = 0.2

#: When PostgreSQL cannot record an outcome, the message runs again after this long.
RERUN_DELAY_MS = 5_000

#: A running marker outlives its attempt's time limit by this much (a killed worker's
#: marker then fades; its message comes back and marks itself again).
RUNNING_MARGIN_MS = 10_000

#: Message option naming the dead letter (and replay number) a replayed message comes from.
REPLAY_OPTION = "hq_replay"

#: Attribute of the in-flight message (dramatiq's per-delivery proxy, never encoded or
#: re-sent) that carries its `StageRun` from `Tracking` to the actor and back.
RUN_ATTRIBUTE = "hq_run"


class StageRun:
    """One attempt of one stage of one job, as its actor sees it: how its outcome is recorded.

    `Tracking` makes one per message and leaves it on the in-flight message; the actor takes
    it with `current_run()` and records through it, so the outcome is a value on the
    message that `Tracking` and `Callbacks` read after the actor returns, whatever their
    order.
    """

    def __init__(self, attempt: Attempt) -> None:
        self.attempt = attempt
        #: The outcome is already in the stage's transaction (nothing left to write).
        self.recorded = False
        #: The job succeeded with this attempt (`result` is its result).
        self.final = False
        self.result: dict[str, Any] | None = None

    def handed_on(self, conn: Connection) -> None:
        """Record, in the stage's transaction, that it succeeded and the job goes on.

        The actor sends the next stage after the commit.
        """
        record_runs(conn, [(self, None)])

    def completed(self, conn: Connection, result: dict[str, Any]) -> None:
        """Record, in the stage's transaction, that the job succeeded with `result`."""
        record_runs(conn, [(self, result)])

    def complete(self, result: dict[str, Any]) -> None:
        """The job succeeded with `result`; `Tracking` records it once the actor returns.

        For actors without a transaction of their own to record it in.
        """
        self.final, self.result = True, result


def record_runs(conn: Connection, runs: Sequence[tuple[StageRun, dict[str, Any] | None]]) -> None:
    """Record, in one statement of the stage's transaction, that each run succeeded.

    A run with a result completed its job (`completed`); one with None handed it on
    (`handed_on`). How a micro-batch (`workers.batching`) records all its items at once;
    a run recorded again (a batch retried one by one) takes the last record's outcome.
    """
    outcomes = []
    for run, result in runs:
        final = result is not None
        status = "succeeded" if final else "running"
        outcomes.append(store.ops.Outcome(run.attempt, "succeeded", status, result=result))
    store.ops.record_attempts(conn, outcomes)
    for run, result in runs:
        run.recorded, run.final, run.result = True, result is not None, result


def current_run() -> StageRun:
    """The attempt the calling actor is running, as `Tracking` started it."""
    message = CurrentMessage.get_current_message()
    run = getattr(message, RUN_ATTRIBUTE, None) if message is not None else None
    if not isinstance(run, StageRun):
        raise RuntimeError("no tracked message in flight (is the Tracking middleware set up?)")
    return run


def ends_job(message: Any, exception: Any) -> bool:
    """Whether an attempt left its job final (succeeded or dead), from its outcome alone."""
    if message.failed:
        return True
    run = getattr(message, RUN_ATTRIBUTE, None)
    return exception is None and isinstance(run, StageRun) and run.final


def message_job_id(message: Any) -> str | None:
    """Every hq-ingest message carries its job id as a keyword argument."""
    job_id = message.kwargs.get("job_id")
    return str(job_id) if job_id else None


class Tracking(Middleware):
    """Status of every stage attempt, and the durable dead-letter store.

    `engine_factory` gives the broker's database engine (the one the actors use);
    `time_limit_ms` is the stages' default time limit, which bounds a running marker.
    """

    def __init__(self, *, engine_factory: Callable[[], Engine], time_limit_ms: int) -> None:
        self.engine_factory = engine_factory
        self.time_limit_ms = time_limit_ms

    @property
    def actor_options(self) -> set[str]:
        #: `mark_running=False`: no running marker (an actor answered in milliseconds, a
        #: lookup, whose job shows queued until its answer is recorded: one Redis write less).
        return {"job_kind", "stage_seq", "mark_running"}

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        if message_job_id(message) is None:
            return
        self._check_replay(message)
        attempt = _attempt(broker, message)
        setattr(message, RUN_ATTRIBUTE, StageRun(attempt))
        if broker.get_actor(message.actor_name).options.get("mark_running", True):
            self._mark_running(broker, attempt)

    def _mark_running(self, broker: dramatiq.Broker, attempt: Attempt) -> None:
        """Keep the attempt in Redis while it runs; a failure only hides it from `GET /jobs`."""
        client = getattr(broker, "client", None)
        if client is None:
            return
        marker = jobstate.running_marker(
            kind=attempt.kind,
            stage=attempt.stage,
            seq=attempt.seq,
            attempt=attempt.attempt,
            started_at=attempt.started_at,
        )
        limit = broker.get_actor(attempt.stage).options.get("time_limit") or self.time_limit_ms
        key = running_key(broker.namespace, attempt.job_id)  # type: ignore[attr-defined]
        try:
            client.set(key, orjson.dumps(marker), px=limit + RUNNING_MARGIN_MS)
        except Exception as err:
            log.warning("could not mark %s running: %r", attempt.job_id, err)

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
        run = getattr(message, RUN_ATTRIBUTE, None)
        if not isinstance(run, StageRun):
            return
        attempt = run.attempt
        if message.failed:
            reason = _reason(broker, message, exception)
            self._dead(broker, attempt, message, exception, reason=reason)
        elif exception is None:
            if run.recorded:
                return  # committed with the stage's own rows
            if result is not None and not run.final:  # a lookup's answer
                run.complete(result if isinstance(result, dict) else {"result": result})
            if not self._succeeded(run):
                # The work is done but not recorded: run the (idempotent) stage again later.
                _rerun(broker, message)
        else:
            eta = message.options.pop(NEXT_ATTEMPT_OPTION, None)
            when = datetime.fromtimestamp(eta / 1000, UTC) if eta else None
            error = describe(exception)
            self._write(
                lambda conn: store.ops.record_attempt(
                    conn,
                    attempt,
                    status="retrying",
                    job_status="failed",
                    error=error,
                    next_attempt_at=when,
                )
            )

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        if message_job_id(message) is None or not message.failed:
            return
        run = getattr(message, RUN_ATTRIBUTE, None)
        attempt = run.attempt if isinstance(run, StageRun) else _attempt(broker, message)
        self._dead(broker, attempt, message, None, reason="age_limit")

    def _succeeded(self, run: StageRun) -> bool:
        """Record the success of an actor that left it to Tracking, in one statement.

        A job handed on commits lazily (`lazy` in `ops.RECORD_ATTEMPTS`); a completed job
        durably, with its result.
        """
        return self._write(
            lambda conn: store.ops.record_attempt(
                conn,
                run.attempt,
                status="succeeded",
                job_status="succeeded" if run.final else "running",
                result=run.result,
                lazy=not run.final,
            ),
            autocommit=True,
        )

    def _dead(
        self,
        broker: dramatiq.Broker,
        attempt: Attempt,
        message: Any,
        exception: Any,
        *,
        reason: str,
    ) -> None:
        letter = _letter(attempt.job_id, message, exception, reason=reason)

        def write(conn: Connection) -> None:
            slug = letter["workflow_slug"] or store.deadletters.job_workflow_slug(
                conn, job_id=attempt.job_id
            )
            store.ops.insert_dead_letter(conn, letter={**letter, "workflow_slug": slug})
            store.ops.record_attempt(
                conn, attempt, status="dead", job_status="dead", error=letter["error"]
            )

        if not self._write(write) and _rerun(broker, message):
            # PostgreSQL is unreachable: keep the message alive rather than reject it
            # unrecorded. (If Redis refuses too, it stays failed and goes to Redis's .XQ.)
            message.failed = False

    def _write(self, write: Callable[[Connection], None], *, autocommit: bool = False) -> bool:
        """Run `write` in a transaction, a few times if PostgreSQL fails; False if it never did.

        `autocommit`: `write` runs one statement, which commits on its own (no BEGIN/COMMIT
        round trips).
        """
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                engine = self.engine_factory()
                if autocommit:
                    with engine.connect() as conn:
                        write(conn.execution_options(isolation_level="AUTOCOMMIT"))
                else:
                    with engine.begin() as conn:
                        write(conn)
                return True
            except Exception as err:
                log.warning("status write failed (attempt %d): %r", attempt, err)
                time.sleep(WRITE_PAUSE_S * attempt)
        return False


def _attempt(broker: dramatiq.Broker, message: Any) -> Attempt:
    """The attempt a message starts now (its job, stage and attempt number)."""
    options = broker.get_actor(message.actor_name).options
    return Attempt(
        job_id=str(message_job_id(message)),
        kind=options.get("job_kind", "task"),
        stage=message.actor_name,
        seq=options.get("stage_seq", 0),
        attempt=message.options.get("retries", 0) + 1,
        started_at=datetime.now(UTC),
        workflow_slug=_workflow_slug(message),
    )


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
