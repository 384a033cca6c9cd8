"""Which failures a retry can fix, and when the next attempt runs.

Every exception a stage raises falls in one of three classes:

- **permanent** — retrying cannot change the outcome (a `PermanentError`, a payload that
  fails validation, a value PostgreSQL rejects as data, anything in the actor's ``throws``).
  The message is dead-lettered at once.
- **outage** — a dependency is unreachable (PostgreSQL or Redis down, restarting, or closing
  connections). The message waits it out: it is retried with backoff and these attempts do
  not count against the retry limit, so an outage shorter than the age limit loses nothing.
- **transient** — everything else (deadlocks, timeouts, bugs that a deploy may fix). Retried
  with backoff up to the retry limit, then dead-lettered.

`GuardedRetries` is the middleware that applies this policy in place of dramatiq's
`Retries`. It also never loses a message whose retry cannot be scheduled (a Redis blip):
stock `Retries` lets that error escape into dramatiq, which logs it and acks the message
away (dramatiq PR #545); here the message is failed instead, so Tracking dead-letters it.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any, Literal

import dramatiq
import dramatiq.errors
import pydantic
import redis.exceptions
from dramatiq.common import compute_backoff, current_millis
from dramatiq.middleware import Retries
from sqlalchemy import exc as sa_exc

from pipeline.errors import PermanentError

Failure = Literal["permanent", "outage", "transient"]

log = logging.getLogger("hq.workers")

#: Message option with the epoch-ms time of the next attempt, set when a retry is scheduled.
NEXT_ATTEMPT_OPTION = "hq_next_attempt_at"

#: Errors no retry can fix, whatever an actor declares in ``throws``.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    PermanentError,
    pydantic.ValidationError,
    sa_exc.DataError,
)

#: Client-side errors that mean "the server is not there right now".
UNREACHABLE_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,  # includes BusyLoadingError while Redis replays its AOF
    redis.exceptions.TimeoutError,
    dramatiq.errors.BrokerConnectionError,
    ConnectionError,
)

#: Longest wait between attempts during an outage, so work resumes soon after it ends.
OUTAGE_MAX_BACKOFF_MS = 30_000

#: SQLSTATEs PostgreSQL sends while shutting down or starting up (admin/crash shutdown,
#: cannot connect now); class 08 (connection exceptions) is matched by prefix.
SERVER_GOING_AWAY = frozenset({"57P01", "57P02", "57P03"})


def classify(
    exception: BaseException, *, throws: tuple[type[BaseException], ...] | None = None
) -> Failure:
    """The class of a stage's exception; `throws` is the actor's own permanent list."""
    if isinstance(exception, PERMANENT_ERRORS) or (throws and isinstance(exception, throws)):
        return "permanent"
    if is_outage(exception):
        return "outage"
    return "transient"


def is_outage(exception: BaseException) -> bool:
    """True when the exception says a database or broker is unreachable, not that a query failed.

    psycopg sets no SQLSTATE on errors raised by the client (refused or dropped connections);
    errors the server raises carry one, and only shutdown states count as an outage.
    """
    if isinstance(exception, UNREACHABLE_ERRORS):
        return True
    if isinstance(exception, sa_exc.OperationalError | sa_exc.InterfaceError):
        if exception.connection_invalidated:
            return True
        state = getattr(exception.orig, "sqlstate", None)
        return state is None or state.startswith("08") or state in SERVER_GOING_AWAY
    return False


def backoff_ms(
    retries: int, *, min_backoff: int, max_backoff: int, failure: Failure = "transient"
) -> int:
    """Delay before the next attempt: exponential from `min_backoff`, with jitter.

    Attempt n waits between 1× and 2× ``min_backoff · 2ⁿ``; once that passes `max_backoff`
    the wait is 50–100 % of `max_backoff`, so retries of many messages spread out. During an
    outage the cap is at most `OUTAGE_MAX_BACKOFF_MS`.
    """
    if failure == "outage":
        max_backoff = min(max_backoff, OUTAGE_MAX_BACKOFF_MS)
    _attempts, delay = compute_backoff(
        retries, factor=min_backoff, max_backoff=max(max_backoff, min_backoff)
    )
    return int(delay)


class GuardedRetries(Retries):
    """Retries with an explicit policy, that never loses a message it could not reschedule."""

    def after_process_message(
        self, broker: dramatiq.Broker, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        if exception is None:
            return
        actor = broker.get_actor(message.actor_name)
        throws = message.options.get("throws") or actor.options.get("throws")
        failure = classify(exception, throws=throws)
        reason = self._verdict(actor, message, failure)
        if reason is not None:
            _give_up(message, reason)
            return
        delay = self._delay(actor, message, exception, failure)
        retries = message.options.get("retries", 0)
        message.options.update(
            retries=retries + 1,
            hq_outages=message.options.get("hq_outages", 0) + (failure == "outage"),
            traceback="".join(traceback.format_exception(exception, limit=30)),
            requeue_timestamp=current_millis(),
        )
        try:
            broker.enqueue(message, delay=delay)
        except Exception as err:
            log.error("could not schedule a retry of %s: %s", message.message_id, err)
            message.options["retries"] = retries
            message.options["hq_dead_error"] = f"retry could not be scheduled: {describe(err)}"
            _give_up(message, "retry_schedule_failed")
            return
        message.options[NEXT_ATTEMPT_OPTION] = current_millis() + delay

    def _verdict(self, actor: Any, message: Any, failure: Failure) -> str | None:
        """Why the message must not be retried, or None. Outages never use up the limit."""
        if failure == "permanent":
            return "permanent_error"
        limit = message.options.get("max_retries", actor.options.get("max_retries"))
        limit = self.max_retries if limit is None else limit
        counted = message.options.get("retries", 0) - message.options.get("hq_outages", 0)
        if failure == "transient" and counted >= limit:
            return "retries_exhausted"
        return None

    def _delay(self, actor: Any, message: Any, exception: Any, failure: Failure) -> int:
        if isinstance(exception, dramatiq.Retry) and exception.delay is not None:
            return int(exception.delay)
        options = {**actor.options, **message.options}
        return backoff_ms(
            message.options.get("retries", 0),
            min_backoff=options.get("min_backoff", self.min_backoff),
            max_backoff=options.get("max_backoff", self.max_backoff),
            failure=failure,
        )


def _give_up(message: Any, reason: str) -> None:
    message.options["hq_dead_reason"] = reason
    message.fail()


def describe(exception: Any) -> str | None:
    """`Type: message` of an exception, as jobs and dead letters show it."""
    if exception is None:
        return None
    text = str(exception).strip()
    return f"{type(exception).__name__}: {text}" if text else type(exception).__name__
