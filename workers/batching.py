"""In-process group commit: the messages of one stage that wait together run as one batch.

Messages stay one per job, so Dramatiq's per-message retries, `Tracking`, dead letters and
replay work as before; only the work is shared. Each actor thread hands its item to the
stage's `Batcher` (`submit`) and blocks. The first thread to find no batch running becomes
the leader: it takes every item queued at that moment (up to `max_size`; never waiting
for more, so an idle stack's single job runs at once) and runs the stage's batch function
`run(items) -> outcomes`, one outcome per item (a value or an Exception). Items arriving
meanwhile queue up; when the batch is done, the leadership passes to the thread of the
oldest queued item, which runs them as the next batch. Under load a batch is as large as
the threads waiting on that stage (worker threads per process bound it).

If `run` raises (the set's SQL failed), each item runs again alone (a size-1 call of the
same function), so only the culprit fails; unless the failure is an outage (PostgreSQL
unreachable), which every item then gets at once, to be retried. Every thread gets its
own outcome back: `submit` returns it, or raises its exception, so Dramatiq retries or
dead-letters that one message alone.

No item is lost when the leader thread dies (Dramatiq's `TimeLimit` raises
`TimeLimitExceeded` asynchronously in it, or anything else escapes): every item of its
batch not yet settled is settled with `BatchAborted` (its message is retried; the stages
are idempotent) and the leadership passes on. A waiting thread wakes every
`WAIT_SLICE_S` so an asynchronous exception of its own (its time limit) gets in; it then
leaves the queue (or passes on a leadership it was given) before its message fails.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection

from schemas.settings import get_settings
from workers import observe
from workers.broker import get_engine
from workers.middleware import StageRun, current_run, record_runs
from workers.retry_policy import is_outage

log = logging.getLogger("hq.batch")

T = TypeVar("T")
R = TypeVar("R")

#: How long a waiting thread sleeps at a time: the bound on how late an asynchronous
#: exception (its own time limit) reaches it.
WAIT_SLICE_S = 0.5


class BatchAborted(RuntimeError):
    """Raised for an item whose batch's leader thread died before the item's outcome was known."""


@dataclass(eq=False)
class _Item(Generic[T]):
    value: T
    wake: threading.Event = field(default_factory=threading.Event)
    settled: bool = False
    outcome: Any = None

    def settle(self, outcome: Any) -> None:
        self.outcome, self.settled = outcome, True
        self.wake.set()


class Batcher(Generic[T, R]):
    """Group commit for one stage in one process; see the module docstring.

    `run` gets the batch's values in order and answers one outcome per value (an
    Exception for an item that failed on its own); it raises only if the whole set failed.
    `max_size`: items one batch takes at most (the rest form the next batch); None: the
    settings' `batch_max` (`HQ_BATCH_MAX`), read when a batch starts. `outage` tells a
    failure no item would survive alone (PostgreSQL unreachable): then every item fails
    with it at once instead of each waiting for its own connection attempt.
    """

    def __init__(
        self,
        stage: str,
        run: Callable[[Sequence[T]], Sequence[R | Exception]],
        *,
        max_size: int | None = None,
        outage: Callable[[BaseException], bool] = is_outage,
    ) -> None:
        self.stage = stage
        self.max_size = max_size
        self._run = run
        self._outage = outage
        self._lock = threading.Lock()
        self._queue: deque[_Item[T]] = deque()
        #: The item whose thread runs (or is about to run) the current batch.
        self._leader: _Item[T] | None = None

    def submit(self, value: T) -> R:
        """Run `value` in the next batch; its outcome, or its exception raised.

        With a `max_size` of 1 there is no batching at all: the item runs at once in the
        calling thread, beside any other thread's (as every message did before batching).
        """
        item = _Item(value)
        if self._size() == 1:
            [outcome] = self._outcomes([value])
            item.settle(outcome)
        else:
            self._join(item)
        if isinstance(item.outcome, Exception):
            raise item.outcome
        result: R = item.outcome
        return result

    def _join(self, item: _Item[T]) -> None:
        """Queue `item` and wait until it is settled, leading a batch when the lead is ours."""
        try:
            with self._lock:
                self._queue.append(item)
                if self._leader is None:
                    self._leader = item
            while not item.settled:
                if self._leader is item:
                    self._lead(item)
                else:
                    item.wake.wait(WAIT_SLICE_S)
        finally:
            self._leave(item)

    def _lead(self, leader: _Item[T]) -> None:
        """Run the queued items (the leader's first) as one batch, then pass the lead on."""
        size = self._size()
        with self._lock:
            batch = [self._queue.popleft() for _ in range(min(len(self._queue), size))]
        try:
            for item, outcome in zip(batch, self._outcomes([i.value for i in batch]), strict=True):
                item.settle(outcome)
        except BaseException as err:
            for item in batch:
                if not item.settled:
                    item.settle(BatchAborted(f"batch {self.stage} aborted: {err!r}"))
            raise
        finally:
            with self._lock:
                self._pass_lead(leader)

    def _size(self) -> int:
        return self.max_size or get_settings().batch_max

    def _outcomes(self, values: list[T]) -> list[R | Exception]:
        """The batch's outcomes; each item alone again if the set failed."""
        fallback = False
        try:
            outcomes = list(self._run(values))
            if len(outcomes) != len(values):
                raise RuntimeError(f"{len(outcomes)} outcomes for {len(values)} items")
        except Exception as err:
            if len(values) == 1:
                outcomes = [err]
            elif self._outage(err):
                log.warning("batch %s of %d: unreachable (%r)", self.stage, len(values), err)
                outcomes = [_each(err) for _ in values]
            else:
                log.warning("batch %s of %d failed (%r): one by one", self.stage, len(values), err)
                outcomes, fallback = [self._alone(value) for value in values], True
        log.debug("batch %s size=%d fallback=%s", self.stage, len(values), fallback)
        observe.BATCH_SIZE.labels(self.stage).observe(len(values))
        if fallback:
            observe.BATCH_FALLBACKS.labels(self.stage).inc()
        return outcomes

    def _alone(self, value: T) -> R | Exception:
        try:
            [outcome] = self._run([value])
        except Exception as err:
            return err
        return outcome

    def _pass_lead(self, leader: _Item[T]) -> None:
        """Give the lead to the oldest waiting item (if `leader` holds it); under the lock."""
        if self._leader is not leader:
            return
        self._leader = self._queue[0] if self._queue else None
        if self._leader is not None:
            self._leader.wake.set()

    def _leave(self, item: _Item[T]) -> None:
        """A thread leaves `submit`: never leave its item queued or its lead held."""
        with self._lock:
            if not item.settled and item in self._queue:
                self._queue.remove(item)
            self._pass_lead(item)


def _each(err: Exception) -> Exception:
    """A copy of `err` for one item, so threads never raise (and extend the traceback of)
    one shared exception object; `err` itself if it cannot be copied."""
    try:
        return copy.copy(err)
    except Exception:
        return err


@dataclass(frozen=True)
class Job(Generic[T]):
    """One message's item of a stage batch: its attempt (how its outcome is recorded) and
    its input."""

    run: StageRun
    value: T

    @classmethod
    def current(cls, value: T) -> Job[T]:
        """`value` for the attempt the calling actor runs."""
        return cls(current_run(), value)


def in_savepoints(
    jobs: Sequence[Job[T]],
    work: Callable[[Connection, T], tuple[R, dict[str, Any] | None]],
) -> list[R | Exception]:
    """Run `work` per item in one transaction, each in a SAVEPOINT, and record every item
    that succeeded in that transaction before the one commit.

    For stages whose store functions take one item: a failing item (its payload or its
    SQL) rolls back alone and comes back as its exception. `work` answers the item's
    outcome and the job's result if it completed the job (None: handed on). A single item
    runs without a savepoint (its failure is the transaction's).
    """
    outcomes: list[R | Exception] = []
    done: list[tuple[StageRun, dict[str, Any] | None]] = []
    with get_engine().begin() as conn:
        for job in jobs:
            point: AbstractContextManager[Any] = (
                conn.begin_nested() if len(jobs) > 1 else nullcontext()
            )
            try:
                with point:
                    outcome, result = work(conn, job.value)
            except Exception as err:
                if len(jobs) == 1:
                    raise
                outcomes.append(err)
                continue
            outcomes.append(outcome)
            done.append((job.run, result))
        record_runs(conn, done)
    return outcomes


def per_item(
    stage: str, work: Callable[[Connection, T], tuple[R, dict[str, Any] | None]]
) -> Batcher[Job[T], R]:
    """A stage's batcher that runs `work` item by item in savepoints (`in_savepoints`)."""

    def run(jobs: Sequence[Job[T]]) -> list[R | Exception]:
        return in_savepoints(jobs, work)

    return Batcher(stage, run)
