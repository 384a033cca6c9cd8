"""Script calls batched into shared pipelines: one round trip, each caller its own answer."""

from __future__ import annotations

import asyncio
from typing import Any

import fakeredis
import pytest
from redis.exceptions import ConnectionError, ResponseError

from workers import autopipe

#: Echoes its argument, or fails with a Redis error when asked to.
ECHO = """
if ARGV[1] == 'fail' then
  return redis.error_reply('ERR asked to fail')
end
redis.call('INCR', KEYS[1])
return ARGV[1]
"""


class Counting(fakeredis.FakeAsyncRedis):  # type: ignore[misc]
    """A fake client that counts its round trips: pipelines and lone commands."""

    pipelines = 0
    commands = 0

    def pipeline(self, *args: Any, **kwargs: Any) -> Any:
        type(self).pipelines += 1
        return super().pipeline(*args, **kwargs)

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        type(self).commands += 1
        return await super().execute_command(*args, **kwargs)


@pytest.fixture
def client() -> Counting:
    """A fake Redis that already knows ECHO (as after the first call)."""
    fake = Counting(server=fakeredis.FakeServer())
    asyncio.run(fake.script_load(ECHO))
    Counting.pipelines = Counting.commands = 0
    return fake


def test_calls_in_one_turn_share_one_pipeline_and_keep_their_answers(client: Counting) -> None:
    echo = autopipe.for_client(client).register_script(ECHO)

    async def run() -> list[Any]:
        calls = [echo(keys=["n"], args=[f"v{i}"]) for i in range(5)]
        calls.append(echo(keys=["n"], args=["fail"]))
        return await asyncio.gather(*calls, return_exceptions=True)

    answers = asyncio.run(run())
    assert answers[:5] == [f"v{i}".encode() for i in range(5)]
    assert isinstance(answers[5], ResponseError) and "asked to fail" in str(answers[5])
    assert (Counting.pipelines, Counting.commands) == (1, 0)
    assert asyncio.run(client.get("n")) == b"5"


def test_a_call_alone_in_its_turn_is_sent_alone(client: Counting) -> None:
    echo = autopipe.for_client(client).register_script(ECHO)

    async def run() -> list[Any]:
        return [await echo(keys=["n"], args=[i]) for i in range(3)]

    assert asyncio.run(run()) == [b"0", b"1", b"2"]
    assert (Counting.pipelines, Counting.commands) == (0, 3)
    with pytest.raises(ResponseError, match="asked to fail"):
        asyncio.run(echo(keys=["n"], args=["fail"]))


def test_a_script_redis_forgot_is_sent_again_in_full(client: Counting) -> None:
    echo = autopipe.for_client(client).register_script(ECHO)
    asyncio.run(client.script_flush())  # what a restarted Redis knows
    Counting.commands = 0

    assert asyncio.run(echo(keys=["n"], args=["again"])) == b"again"
    assert Counting.commands == 2  # EVALSHA refused, then EVAL
    assert asyncio.run(client.script_exists(echo.sha)) == [True]


def test_a_lost_connection_fails_every_call_of_the_batch(client: Counting) -> None:
    echo = autopipe.for_client(client).register_script(ECHO)
    client.connection_pool.connection_kwargs["server"].connected = False

    async def run(calls: int) -> list[Any]:
        batch = [echo(keys=["n"], args=[i]) for i in range(calls)]
        return await asyncio.gather(*batch, return_exceptions=True)

    for calls in (1, 3):
        assert all(isinstance(answer, ConnectionError) for answer in asyncio.run(run(calls)))


def test_one_client_has_one_pipeline() -> None:
    first, second = fakeredis.FakeAsyncRedis(), fakeredis.FakeAsyncRedis()
    assert autopipe.for_client(first) is autopipe.for_client(first)
    assert autopipe.for_client(first) is not autopipe.for_client(second)
