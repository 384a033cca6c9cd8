"""`workers.names` is what the gateway sends by: it must match the actors the workers declare."""

from __future__ import annotations

from collections.abc import Iterator

import dramatiq
import fakeredis
import pytest

from pipeline import callbacks
from schemas.settings import Settings
from workers import names
from workers.broker import setup_broker


@pytest.fixture
def declared() -> Iterator[dramatiq.Broker]:
    """A worker's broker on an in-process server, every actor declared."""
    settings = Settings(redis_url=None, HQ_QUEUE_NAMESPACE="names")
    broker = setup_broker(settings, client=fakeredis.FakeRedis(server=fakeredis.FakeServer()))
    yield broker
    broker.close()


def test_every_declared_actor_is_named_with_its_queue_and_kind(declared: dramatiq.Broker) -> None:
    actual = {
        name: (actor.queue_name, actor.options.get("job_kind"))
        for name in declared.get_declared_actors()
        for actor in [declared.get_actor(name)]
    }
    expected = {a.actor_name: (a.queue_name, a.job_kind) for a in names.ALL}
    assert actual == expected
    assert set(names.QUEUES) == declared.get_declared_queues()


def test_the_delivery_actor_is_the_callback_stage() -> None:
    assert names.DELIVER_CALLBACK.actor_name == callbacks.STAGE


def test_a_declared_actor_runs_and_sends_through_the_global_broker(
    declared: dramatiq.Broker,
) -> None:
    from workers import stages

    assert stages.sync_core.bound() is declared.get_actor("sync_core")
    message = stages.extract_profile.send(job_id="j", raw_id=1)
    assert (message.queue_name, message.kwargs) == ("extract_profile", {"job_id": "j", "raw_id": 1})


def test_an_answer_is_published_only_after_its_job_is_recorded(declared: dramatiq.Broker) -> None:
    """`after_*` hooks run in reverse: Tracking records the outcome, Callbacks reads it, then
    Results publishes a lookup's answer (the gateway answers at once, and the caller's next
    `GET /jobs/{id}` must find the job: with Results first it was a 404 now and then)."""
    from dramatiq.results import Results

    from workers.callbacks import Callbacks
    from workers.middleware import Tracking

    after_order = [type(m) for m in reversed(declared.middleware)]
    assert after_order.index(Tracking) < after_order.index(Callbacks) < after_order.index(Results)
