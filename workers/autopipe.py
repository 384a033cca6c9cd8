"""Lua scripts run by many concurrent requests, sent to Redis in shared pipelines.

Every webhook costs the gateway two script calls (the rate limit in `security.Guard`, the
accept in `queue.Enqueuer`), and redis-py spends far more CPU on each command's connection
checkout, retry wrapper and reply handling than Redis spends running it. `AutoPipeline`
gathers the calls that requests make within one turn of the event loop and sends them as
one pipeline: one connection checkout, one write and one read for the lot (a call alone
in its turn goes as a plain command, which costs less than a pipeline of one). Each caller
still gets its own reply or exception; a lost connection fails every call of its batch,
as it would have failed each of them alone. Nothing waits for a batch to fill.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import Any
from weakref import WeakKeyDictionary

from redis.exceptions import NoScriptError, ResponseError

_Call = tuple[tuple[Any, ...], "asyncio.Future[Any]"]

_PIPELINES: WeakKeyDictionary[Any, AutoPipeline] = WeakKeyDictionary()


def for_client(client: Any) -> AutoPipeline:
    """The one `AutoPipeline` of an asyncio Redis client, so all its callers share batches."""
    pipeline = _PIPELINES.get(client)
    if pipeline is None:
        pipeline = _PIPELINES[client] = AutoPipeline(client)
    return pipeline


class AutoPipeline:
    """Batches commands issued in the same event-loop turn into one redis-py pipeline."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._open: list[_Call] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def register_script(self, script: str) -> BatchedScript:
        """A callable like redis-py's `register_script`, whose calls share pipelines."""
        return BatchedScript(self, script)

    def execute(self, *args: Any) -> asyncio.Future[Any]:
        """Send one command (as `execute_command` takes it) with this turn's batch."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if self._open is None or self._loop is not loop:
            self._open, self._loop = [], loop
            loop.call_soon(self._close, self._open)
        self._open.append((args, future))
        return future

    def _close(self, batch: list[_Call]) -> None:
        """Stop adding to `batch` and send it."""
        if self._open is batch:
            self._open = None
        task = asyncio.ensure_future(self._send(batch))
        self._tasks.add(task)  # keep a reference until it is done
        task.add_done_callback(self._tasks.discard)

    async def _send(self, batch: list[_Call]) -> None:
        try:
            replies = await self._replies([args for args, _future in batch])
        except Exception as err:  # the connection: every call of the batch fails with it
            replies = [err] * len(batch)
        except BaseException:
            for _args, future in batch:
                future.cancel()
            raise
        for (_args, future), reply in zip(batch, replies, strict=True):
            if future.done():  # its caller was cancelled
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    async def _replies(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """Each command's reply or error; a lone command skips the pipeline's extra cost."""
        if len(commands) == 1:
            try:
                return [await self.client.execute_command(*commands[0])]
            except ResponseError as err:
                return [err]
        pipe = self.client.pipeline(transaction=False)
        for args in commands:
            pipe.execute_command(*args)
        replies: list[Any] = await pipe.execute(raise_on_error=False)
        return replies


class BatchedScript:
    """A Lua script called as `await script(keys=[...], args=[...])` through an AutoPipeline.

    Calls go as EVALSHA; a Redis that does not know the script yet (a restart, a flush)
    answers NOSCRIPT, and the call is made again as EVAL, which also caches it.
    """

    def __init__(self, pipeline: AutoPipeline, script: str) -> None:
        self.pipeline = pipeline
        self.script = script
        self.sha = hashlib.sha1(script.encode()).hexdigest()

    async def __call__(self, *, keys: Sequence[Any] = (), args: Sequence[Any] = ()) -> Any:
        try:
            return await self.pipeline.execute("EVALSHA", self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await self.pipeline.execute("EVAL", self.script, len(keys), *keys, *args)
