"""`workers.batching.Batcher` with real threads: batches form, failures stay with their item."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from dramatiq.middleware.threading import raise_thread_exception
from dramatiq.middleware.time_limit import TimeLimitExceeded
from sqlalchemy.exc import OperationalError

from workers import observe
from workers.batching import BatchAborted, Batcher

pytestmark = pytest.mark.timeout(30)


class Poisoned(Exception):
    """An item's own failure."""


class Stage:
    """A batch function that records its calls, can hold its first batch until released,
    and fails the way a test asks."""

    def __init__(self, *, hold_first: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        if not hold_first:
            self.release.set()
        self.set_fails: Callable[[Sequence[str]], bool] = lambda values: False
        self.abort_when: Callable[[Sequence[str]], bool] = lambda values: False

    def __call__(self, values: Sequence[str]) -> list[str | Exception]:
        self.calls.append(list(values))
        self.entered.set()
        while not self.release.wait(0.01):  # Python code: an async exception gets in
            pass
        if self.abort_when(values):
            raise TimeLimitExceeded()
        if self.set_fails(values):
            raise RuntimeError("the set's SQL failed")
        return [Poisoned(v) if "poison" in v else v.upper() for v in values]


def submit_all(batcher: Batcher[str, str], values: Sequence[str]) -> dict[str, Any]:
    """Submit each value from its own thread; each value's returned outcome or exception."""
    results: dict[str, Any] = {}

    def one(value: str) -> None:
        try:
            results[value] = batcher.submit(value)
        except BaseException as err:
            results[value] = err

    threads = [threading.Thread(target=one, args=(v,)) for v in values]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not any(t.is_alive() for t in threads), "a submitting thread hangs"
    return results


def queued(batcher: Batcher[Any, Any], count: int) -> None:
    """Wait until `count` items wait for the next batch."""
    deadline = time.monotonic() + 5
    while len(batcher._queue) < count:
        assert time.monotonic() < deadline, f"{len(batcher._queue)} of {count} queued"
        time.sleep(0.005)


def held_first_then(
    stage: Stage, batcher: Batcher[str, str], values: Sequence[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run 'first' alone (held), queue `values` behind it, release: both outcome maps."""
    first: dict[str, Any] = {}
    leader = threading.Thread(target=lambda: first.update(submit_all(batcher, ["first"])))
    leader.start()
    assert stage.entered.wait(5)
    rest: dict[str, Any] = {}
    others = threading.Thread(target=lambda: rest.update(submit_all(batcher, values)))
    others.start()
    queued(batcher, len(values))
    stage.release.set()
    leader.join(10)
    others.join(10)
    return first, rest


def test_an_idle_item_runs_at_once_in_its_own_thread() -> None:
    stage = Stage()
    batcher = Batcher("s", stage)
    started = time.perf_counter()
    assert batcher.submit("a") == "A"
    assert time.perf_counter() - started < 0.05
    assert stage.calls == [["a"]]


def test_items_waiting_together_run_as_one_batch(caplog: pytest.LogCaptureFixture) -> None:
    stage = Stage(hold_first=True)
    batcher = Batcher("s", stage)
    values = [f"v{i}" for i in range(20)]
    before = observe.BATCH_SIZE.labels("s")._sum.get()
    with caplog.at_level(logging.DEBUG, logger="hq.batch"):
        first, rest = held_first_then(stage, batcher, values)
    assert first == {"first": "FIRST"}
    assert rest == {v: v.upper() for v in values}
    assert stage.calls == [["first"], values]  # in arrival order
    assert "batch s size=20 fallback=False" in caplog.messages
    assert observe.BATCH_SIZE.labels("s")._sum.get() - before == 21


def test_a_batch_takes_at_most_max_size_and_the_rest_follow() -> None:
    stage = Stage(hold_first=True)
    batcher = Batcher("s", stage, max_size=4)
    values = [f"v{i}" for i in range(10)]
    _, rest = held_first_then(stage, batcher, values)
    assert rest == {v: v.upper() for v in values}
    assert [len(c) for c in stage.calls] == [1, 4, 4, 2]


def test_a_poisoned_item_fails_alone() -> None:
    stage = Stage(hold_first=True)
    batcher = Batcher("s", stage)
    _, rest = held_first_then(stage, batcher, ["a", "poison", "b"])
    assert (rest["a"], rest["b"]) == ("A", "B")
    assert isinstance(rest["poison"], Poisoned)
    assert stage.calls[1] == ["a", "poison", "b"]  # no fallback: the set succeeded


def test_a_failed_set_runs_again_one_by_one(caplog: pytest.LogCaptureFixture) -> None:
    stage = Stage(hold_first=True)
    stage.set_fails = lambda values: len(values) > 1 or values == ["sql-culprit"]
    batcher = Batcher("s", stage)
    with caplog.at_level(logging.DEBUG, logger="hq.batch"):
        _, rest = held_first_then(stage, batcher, ["a", "sql-culprit", "b"])
    assert (rest["a"], rest["b"]) == ("A", "B")
    assert isinstance(rest["sql-culprit"], RuntimeError)
    assert stage.calls[1:] == [["a", "sql-culprit", "b"], ["a"], ["sql-culprit"], ["b"]]
    assert "batch s size=3 fallback=True" in caplog.messages


def test_a_single_item_whose_set_fails_is_not_run_twice() -> None:
    stage = Stage()
    stage.set_fails = lambda values: True
    with pytest.raises(RuntimeError):
        Batcher("s", stage).submit("a")
    assert stage.calls == [["a"]]


def test_a_leader_that_dies_wakes_its_followers_with_an_error() -> None:
    stage = Stage(hold_first=True)
    stage.abort_when = lambda values: "a" in values
    batcher = Batcher("s", stage)
    _, rest = held_first_then(stage, batcher, ["a", "b", "c"])
    # The thread of "a" led the second batch and died of its time limit; its followers
    # get an error of their own (their messages are retried), nobody hangs.
    assert isinstance(rest["a"], TimeLimitExceeded)
    assert isinstance(rest["b"], BatchAborted) and isinstance(rest["c"], BatchAborted)
    stage.abort_when = lambda values: False
    assert batcher.submit("d") == "D"  # the lead was passed on, not lost


def test_an_async_time_limit_in_the_leader_thread_aborts_its_batch_only() -> None:
    stage = Stage(hold_first=True)
    batcher = Batcher("s", stage)
    outcome: dict[str, Any] = {}

    def lead() -> None:
        try:
            outcome["first"] = batcher.submit("first")
        except BaseException as err:
            outcome["first"] = err

    leader = threading.Thread(target=lead)
    leader.start()
    assert stage.entered.wait(5)
    waiting = threading.Thread(target=lambda: outcome.update(submit_all(batcher, ["next"])))
    waiting.start()
    queued(batcher, 1)
    assert leader.ident is not None
    raise_thread_exception(leader.ident, TimeLimitExceeded)  # as dramatiq's TimeLimit does
    leader.join(10)
    stage.release.set()
    waiting.join(10)
    assert isinstance(outcome["first"], TimeLimitExceeded)
    assert outcome["next"] == "NEXT"  # queued behind the batch: led by its own thread
    assert stage.calls == [["first"], ["next"]]


def test_a_follower_that_times_out_while_waiting_leaves_the_queue() -> None:
    stage = Stage(hold_first=True)
    batcher = Batcher("s", stage)
    ready = threading.Event()
    results: dict[str, Any] = {}

    def follower() -> None:
        ready.set()
        try:
            results["late"] = batcher.submit("late")
        except BaseException as err:
            results["late"] = err

    leader = threading.Thread(target=lambda: results.update(submit_all(batcher, ["first"])))
    leader.start()
    assert stage.entered.wait(5)
    thread = threading.Thread(target=follower)
    thread.start()
    queued(batcher, 1)
    assert thread.ident is not None
    raise_thread_exception(thread.ident, TimeLimitExceeded)
    thread.join(5)  # it wakes within WAIT_SLICE_S
    assert isinstance(results["late"], TimeLimitExceeded)
    assert len(batcher._queue) == 0
    stage.release.set()
    leader.join(10)
    assert results["first"] == "FIRST"
    assert stage.calls == [["first"]]  # the abandoned item never ran


def test_an_outage_fails_every_item_at_once_without_running_them_alone() -> None:
    stage = Stage(hold_first=True)
    refused = OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))
    stage.set_fails = lambda values: True
    batcher = Batcher("s", stage)
    real_call = stage.__call__

    def unreachable(values: Sequence[str]) -> list[str | Exception]:
        if values != ["first"]:
            stage.calls.append(list(values))
            raise refused
        return real_call(values)

    batcher._run = unreachable
    _, rest = held_first_then(stage, batcher, ["a", "b", "c"])
    assert all(isinstance(rest[v], OperationalError) for v in "abc")
    assert len({id(rest[v]) for v in "abc"}) == 3  # each thread raised its own copy
    assert stage.calls == [["first"], ["a", "b", "c"]]


def test_a_max_size_of_one_runs_each_item_in_its_own_thread_at_once() -> None:
    inside, release = threading.Semaphore(0), threading.Event()

    def stage(values: Sequence[str]) -> list[str | Exception]:
        inside.release()
        assert release.wait(5)
        return [v.upper() for v in values]

    batcher: Batcher[str, str] = Batcher("s", stage, max_size=1)
    results: dict[str, Any] = {}
    threads = [
        threading.Thread(target=lambda v=v: results.update({v: batcher.submit(v)})) for v in "abc"
    ]
    for thread in threads:
        thread.start()
    for _ in "abc":  # all three are inside the stage at the same time: nobody queues
        assert inside.acquire(timeout=5)
    release.set()
    for thread in threads:
        thread.join(5)
    assert results == {"a": "A", "b": "B", "c": "C"}
