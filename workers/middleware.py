"""Middleware that makes every stage visible and every failure durable.

- `Tracking` records each attempt of each stage in `ops.job_stages` / `ops.jobs`, and writes
  a message that will not be retried to `ops.dead_letters` before it is rejected.
- `GuardedRetries` is dramatiq's `Retries`, except that a failure to schedule the retry (a
  Redis blip) dead-letters the message instead of acking it away (dramatiq PR #545).
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
from dramatiq.middleware import Middleware, Retries
from sqlalchemy import Engine

from pipeline import store

log = logging.getLogger("hq.workers")

#: How long Tracking keeps trying to write a dead letter before it re-queues the message.
DEAD_LETTER_WRITE_ATTEMPTS = 3


_local = threading.local()


def complete_job(result: dict[str, Any]) -> None:
    """Called by an actor as its last statement when its job is done; Tracking keeps `result`.

    Actors that hand the job on to a next stage do not call it, so the job stays running.
    (Returning the result instead would make dramatiq's Results middleware warn about it.)
    """
    _local.result = result


def message_job_id(message: Any) -> str | None:
    """Every hq-ingest message carries its job id as a keyword argument."""
    job_id = message.kwargs.get("job_id")
    return str(job_id) if job_id else None


class GuardedRetries(Retries):
    """`Retries` that never loses a message whose retry could not be scheduled."""

    def after_process_message(
        self, broker: dramatiq.Broker, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        try:
            super().after_process_message(broker, message, result=result, exception=exception)
        except Exception as err:
            log.error("could not schedule a retry for %s: %r", message.message_id, err)
            message.options["hq_dead_reason"] = "retry_schedule_failed"
            message.options["hq_dead_error"] = f"retry could not be scheduled: {err!r}"
            message.fail()


class Tracking(Middleware):
    """Status of every stage attempt, and the durable dead-letter store."""

    def __init__(self, *, engine_factory: Callable[[], Engine]) -> None:
        self.engine_factory = engine_factory
        self._etas: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def actor_options(self) -> set[str]:
        return {"job_kind", "stage_seq"}

    def after_enqueue(self, broker: dramatiq.Broker, message: Any, delay: int | None) -> None:
        if delay:
            with self._lock:
                self._etas[message.message_id] = message.options.get("eta", 0)

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        job_id = message_job_id(message)
        if job_id is None:
            return
        _local.result = None
        actor = broker.get_actor(message.actor_name)
        with self.engine_factory().begin() as conn:
            store.ops.start_stage(
                conn,
                job_id=job_id,
                kind=actor.options.get("job_kind", "task"),
                stage=message.actor_name,
                seq=actor.options.get("stage_seq", 0),
                attempt=message.options.get("retries", 0) + 1,
                workflow_slug=_workflow_slug(message),
            )

    def after_process_message(
        self, broker: dramatiq.Broker, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        job_id = message_job_id(message)
        if job_id is None:
            return
        with self._lock:
            eta = self._etas.pop(message.message_id, None)
        job_result, _local.result = getattr(_local, "result", None), None
        if exception is None and not message.failed:
            self._finish(job_id, message, "succeeded", result=job_result)
        elif message.failed:
            reason = _reason(broker, message, exception)
            self._dead(broker, job_id, message, exception, reason=reason)
        else:
            when = datetime.fromtimestamp(eta / 1000, UTC) if eta else None
            self._finish(job_id, message, "retrying", error=_describe(exception), eta=when)

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        job_id = message_job_id(message)
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
    ) -> None:
        final = status == "succeeded" and result is not None
        job_status = {"succeeded": "succeeded" if final else "running", "retrying": "failed"}
        with self.engine_factory().begin() as conn:
            store.ops.finish_stage(
                conn,
                job_id=job_id,
                stage=message.actor_name,
                status=status,
                job_status=job_status[status],
                error=error,
                next_attempt_at=eta,
                result=result if final and isinstance(result, dict) else None,
            )

    def _dead(
        self, broker: dramatiq.Broker, job_id: str, message: Any, exception: Any, *, reason: str
    ) -> None:
        error = message.options.get("hq_dead_error") or _describe(exception) or reason
        letter = {
            "job_id": job_id,
            "stage": message.actor_name,
            "actor_name": message.actor_name,
            "queue_name": message.queue_name,
            "message_id": message.message_id,
            "message": message.asdict(),
            "workflow_slug": _workflow_slug(message),
            "reason": reason,
            "error": error,
            "traceback": _traceback(message, exception),
            "attempts": message.options.get("retries", 0) + (0 if reason == "age_limit" else 1),
        }
        for attempt in range(DEAD_LETTER_WRITE_ATTEMPTS):
            try:
                with self.engine_factory().begin() as conn:
                    store.ops.insert_dead_letter(conn, letter=letter)
                    store.ops.finish_stage(
                        conn,
                        job_id=job_id,
                        stage=message.actor_name,
                        status="dead",
                        job_status="dead",
                        error=error,
                    )
                return
            except Exception:
                log.exception("dead letter write failed (attempt %d)", attempt + 1)
                time.sleep(0.2 * (attempt + 1))
        # PostgreSQL is unreachable: keep the message alive rather than reject it unrecorded.
        message.failed = False
        broker.enqueue(message.copy(), delay=5_000)


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


def _describe(exception: Any) -> str | None:
    if exception is None:
        return None
    text = str(exception).strip()
    return f"{type(exception).__name__}: {text}" if text else type(exception).__name__


def _traceback(message: Any, exception: Any) -> str | None:
    if exception is not None and exception.__traceback__ is not None:
        return "".join(traceback.format_exception(exception, limit=30))
    tb = message.options.get("traceback")
    return str(tb) if tb else None
