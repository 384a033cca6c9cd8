"""Retry policy, guarded retries and on-demand maintenance, without PostgreSQL or real Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import dramatiq
import fakeredis
import psycopg
import pydantic
import pytest
import redis
from dramatiq.broker import MessageProxy
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries
from sqlalchemy import exc as sa_exc

from pipeline.errors import TransientError, UnknownShapeError
from workers.broker import get_engine
from workers.callbacks import Callbacks, load_spec, spec_key
from workers.retry_policy import NEXT_ATTEMPT_OPTION, GuardedRetries, backoff_ms, classify
from workers.transport import HqRedisBroker


def _db_error(cls: type[sa_exc.DBAPIError], orig: Exception) -> sa_exc.DBAPIError:
    return cls("SELECT 1", {}, orig)


class _Deadlock(psycopg.errors.DeadlockDetected):
    """psycopg's errors take their SQLSTATE from the class."""


def _validation_error() -> pydantic.ValidationError:
    class Model(pydantic.BaseModel):
        x: int

    try:
        Model.model_validate({"x": "nope"})
    except pydantic.ValidationError as err:
        return err
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    ("exception", "expected"),
    [
        (UnknownShapeError(), "permanent"),
        (_validation_error(), "permanent"),
        (_db_error(sa_exc.DataError, psycopg.DataError("bad date")), "permanent"),
        (_db_error(sa_exc.OperationalError, psycopg.OperationalError("refused")), "outage"),
        (_db_error(sa_exc.InterfaceError, psycopg.InterfaceError("closed")), "outage"),
        (redis.ConnectionError("reset"), "outage"),
        (redis.exceptions.BusyLoadingError("loading AOF"), "outage"),
        (ConnectionRefusedError(), "outage"),
        (_db_error(sa_exc.OperationalError, _Deadlock("deadlock")), "transient"),
        (TransientError(), "transient"),
        (RuntimeError("bug"), "transient"),
    ],
)
def test_failures_are_classified(exception: BaseException, expected: str) -> None:
    assert classify(exception) == expected


def test_actor_throws_are_permanent() -> None:
    assert classify(KeyError("x"), throws=(KeyError,)) == "permanent"


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    for retries in range(4):
        delays = {backoff_ms(retries, min_backoff=100, max_backoff=100_000) for _ in range(50)}
        assert min(delays) >= 100 * 2**retries
        assert max(delays) < 2 * 100 * 2**retries
        assert len(delays) > 1  # jitter
    capped = [backoff_ms(20, min_backoff=100, max_backoff=1000) for _ in range(50)]
    assert all(500 <= d <= 1000 for d in capped)


@pytest.fixture
def stub() -> Iterator[StubBroker]:
    broker = StubBroker(middleware=[])
    broker.emit_after("process_boot")
    yield broker
    broker.close()


def _flaky_actor(broker: StubBroker) -> dramatiq.Actor[Any, Any]:
    def flaky() -> None:
        raise RuntimeError("boom")

    return dramatiq.actor(flaky, broker=broker, queue_name="flaky", actor_name="flaky")


def _run_with_refused_retries(broker: StubBroker, middleware: Retries) -> None:
    """Run one failing message while Redis refuses every delayed (retry) enqueue."""
    broker.add_middleware(middleware)
    actor = _flaky_actor(broker)
    real_enqueue = broker.enqueue

    def enqueue(message: Any, *, delay: int | None = None) -> Any:
        if delay is not None:
            raise redis.ConnectionError("Redis went away")
        return real_enqueue(message, delay=delay)

    broker.enqueue = enqueue  # type: ignore[method-assign]
    actor.send()
    worker = dramatiq.Worker(broker, worker_timeout=50)
    worker.start()
    try:
        broker.join("flaky", fail_fast=False, timeout=5000)
        worker.join()
    finally:
        worker.stop()


def test_stock_retries_lose_a_message_whose_retry_was_refused(stub: StubBroker) -> None:
    """The bug GuardedRetries exists for (dramatiq PR #545): acked, not retried, gone."""
    _run_with_refused_retries(stub, Retries(max_retries=3, min_backoff=10))
    assert stub.dead_letters == []
    assert stub.queues["flaky"].qsize() == stub.queues["flaky.DQ"].qsize() == 0


def test_guarded_retries_fail_the_message_so_it_is_kept(stub: StubBroker) -> None:
    _run_with_refused_retries(stub, GuardedRetries(max_retries=3, min_backoff=10))
    [dead] = stub.dead_letters
    assert dead.options["hq_dead_reason"] == "retry_schedule_failed"
    assert "Redis went away" in dead.options["hq_dead_error"]
    assert dead.options.get("retries", 0) == 0


class _Recorder:
    """A broker stand-in that records what GuardedRetries schedules."""

    def __init__(self, broker: StubBroker) -> None:
        self.broker = broker
        self.sent: list[tuple[dict[str, Any], int | None]] = []

    def get_actor(self, name: str) -> Any:
        return self.broker.get_actor(name)

    def enqueue(self, message: Any, *, delay: int | None = None) -> Any:
        self.sent.append((dict(message.options), delay))
        return message


def _fail(retries: GuardedRetries, recorder: _Recorder, message: Any, error: Exception) -> None:
    retries.after_process_message(recorder, message, exception=error)  # type: ignore[arg-type]


def test_transient_failures_retry_with_backoff_until_the_limit(stub: StubBroker) -> None:
    retries, recorder = GuardedRetries(max_retries=1, min_backoff=100), _Recorder(stub)
    message = MessageProxy(_flaky_actor(stub).message())
    before = time.time() * 1000
    _fail(retries, recorder, message, RuntimeError("boom"))
    [(options, delay)] = recorder.sent
    assert options["retries"] == 1 and delay is not None and 100 <= delay < 200
    assert before + 100 <= message.options[NEXT_ATTEMPT_OPTION] < time.time() * 1000 + 200
    _fail(retries, recorder, message, RuntimeError("boom"))
    assert message.failed and message.options["hq_dead_reason"] == "retries_exhausted"
    assert len(recorder.sent) == 1


def test_outages_do_not_use_up_the_retry_limit(stub: StubBroker) -> None:
    retries, recorder = GuardedRetries(max_retries=1, min_backoff=10), _Recorder(stub)
    message = MessageProxy(_flaky_actor(stub).message())
    down = _db_error(sa_exc.OperationalError, psycopg.OperationalError("connection refused"))
    for _ in range(5):
        _fail(retries, recorder, message, down)
    _fail(retries, recorder, message, RuntimeError("boom"))
    assert not message.failed
    assert (message.options["retries"], message.options["hq_outages"]) == (6, 5)
    _fail(retries, recorder, message, RuntimeError("boom"))
    assert message.failed and len(recorder.sent) == 6


def test_permanent_failure_is_not_retried_and_retry_delay_is_honoured(stub: StubBroker) -> None:
    retries, recorder = GuardedRetries(max_retries=5, min_backoff=10), _Recorder(stub)
    actor = _flaky_actor(stub)
    permanent = MessageProxy(actor.message())
    _fail(retries, recorder, permanent, UnknownShapeError())
    assert permanent.failed and permanent.options["hq_dead_reason"] == "permanent_error"
    assert recorder.sent == []
    waiting = MessageProxy(actor.message())
    _fail(retries, recorder, waiting, dramatiq.Retry(delay=1234))
    assert recorder.sent[0][1] == 1234


def _fake_broker(server: fakeredis.FakeServer, **options: Any) -> HqRedisBroker:
    broker = HqRedisBroker(
        poll_ms=10,
        client=fakeredis.FakeRedis(server=server),
        namespace="mt",
        heartbeat_timeout=1000,
        maintenance_chance=0,
        middleware=[],
        **options,
    )
    broker.declare_queue("q")
    return broker


def test_maintain_requeues_a_dead_workers_messages_on_every_queue() -> None:
    server = fakeredis.FakeServer()
    dead, alive = _fake_broker(server), _fake_broker(server)
    for queue in ("q", "q.DQ"):
        dead.do_enqueue(queue, f"id-{queue}", b"{}")
        assert dead.do_fetch(queue, 1) == [b"{}"]  # now in the dead worker's acks
    client = fakeredis.FakeRedis(server=server)
    client.zadd("mt:__heartbeats__", {dead.broker_id: 0})

    alive.do_qsize("q")  # an ordinary command, maintenance_chance=0: nothing comes back
    assert client.llen("mt:q") == 0
    alive.maintain()
    assert client.llen("mt:q") == client.llen("mt:q.DQ") == 1
    assert client.zscore("mt:__heartbeats__", dead.broker_id) is None


def test_broker_commands_wait_out_a_short_outage() -> None:
    broker = _fake_broker(fakeredis.FakeServer(), patience_ms=5_000)
    real = broker.scripts["dispatch"]
    failures = iter([redis.ConnectionError("down"), redis.exceptions.BusyLoadingError("AOF")])

    def flaky(*args: Any, **kwargs: Any) -> Any:
        for error in failures:
            raise error
        return real(*args, **kwargs)

    broker.scripts["dispatch"] = flaky  # type: ignore[assignment]
    first_id = broker.broker_id
    broker.do_enqueue("q", "id-1", b"{}")
    assert broker.do_qsize("q") == 1
    # After an outage the worker is someone new: what the old id held returns to the queues.
    assert broker.broker_id != first_id
    second_id = broker.broker_id
    broker.do_qsize("q")
    assert broker.broker_id == second_id
    broker.new_identity(unless_since=0.0)  # another thread that saw the same outage
    assert broker.broker_id == second_id


def test_broker_commands_give_up_after_their_patience() -> None:
    broker = _fake_broker(fakeredis.FakeServer(), patience_ms=300)

    def down(*_args: Any, **_kwargs: Any) -> Any:
        raise redis.ConnectionError("down")

    broker.scripts["dispatch"] = down  # type: ignore[assignment]
    started = time.monotonic()
    with pytest.raises(redis.ConnectionError):
        broker.do_qsize("q")
    assert 0.2 < time.monotonic() - started < 2


def _callbacks_broker() -> tuple[HqRedisBroker, Callbacks]:
    callbacks = Callbacks(engine_factory=get_engine)  # no job here ends: never connects
    broker = HqRedisBroker(
        poll_ms=50, client=fakeredis.FakeRedis(), namespace="cb", middleware=[callbacks]
    )
    for name, in_body in (("lookup", True), ("last_stage", False)):
        declare = dramatiq.actor(actor_name=name, broker=broker, callback_in_body=in_body)
        declare(lambda **_: None)
    return broker, callbacks


def _in_flight(actor: str, body: dict[str, Any]) -> MessageProxy:
    kwargs = {"job_id": "j1", "body": body}
    message: dramatiq.Message[Any] = dramatiq.Message(
        queue_name="default", actor_name=actor, args=(), kwargs=kwargs, options={}
    )
    return MessageProxy(message)


def _url(spec: dict[str, Any] | None) -> str | None:
    return None if spec is None else str(spec["url"])


def test_a_callback_in_body_actor_reads_its_callback_from_its_body_alone() -> None:
    broker, callbacks = _callbacks_broker()
    broker.client.set(spec_key("cb", "j1"), b'{"url": "https://stored.example/x"}')
    plain = _in_flight("lookup", {"job_title": "CEO"})
    named = _in_flight("lookup", {"job_title": "CEO", "callback_url": "https://c.example/h"})
    later_stage = _in_flight("last_stage", {})
    for message in (plain, named, later_stage):
        callbacks.before_process_message(broker, message)

    assert _url(callbacks._spec(broker, plain, "j1")) is None  # Redis holds one: not read
    assert _url(callbacks._spec(broker, named, "j1")) == "https://c.example/h"
    assert named.kwargs["body"] == {"job_title": "CEO"}  # kept out of the message
    assert _url(load_spec(broker.client, "cb", "j1")) == "https://c.example/h"
    assert _url(callbacks._spec(broker, later_stage, "j1")) == "https://c.example/h"
