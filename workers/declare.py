"""Actors that bind to a broker when one is set up, not when their module is imported.

`@dramatiq.actor` declares the actor on the global broker at import time, and builds a
default one (RabbitMQ, else Redis on localhost) when none is set yet. `@actor(names.X, ...)`
only records the function; `bind(broker)` (called by `workers.broker.setup_broker`)
declares a `dramatiq.Actor` for every recorded one on the broker being set up. So importing
an actor module builds nothing, and each test can set up a broker of its own.

The recorded `Declared` object keeps dramatiq's calling conventions: call it to run the
function in-process, `.send(...)`/`.send_with_options(...)` to enqueue through the global
broker, `.fn` to reach (or monkeypatch) the function the bound actor runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar

import dramatiq

from workers.names import ActorName

P = ParamSpec("P")
R = TypeVar("R")

#: Every actor recorded so far, by name (filled as the actor modules are imported).
_DECLARED: dict[str, Declared[Any, Any]] = {}


class Declared(Generic[P, R]):
    """An actor recorded by `actor`, bound to the global broker's actor of the same name."""

    def __init__(self, fn: Callable[P, R], name: ActorName, options: dict[str, Any]) -> None:
        self.fn = fn
        self.actor_name = name.actor_name
        self.queue_name = name.queue_name
        kind = {"job_kind": name.job_kind} if name.job_kind else {}
        self.options: dict[str, Any] = {**kind, **options}

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.fn(*args, **kwargs)

    def bound(self) -> dramatiq.Actor[P, R]:
        """This actor on the broker `setup_broker` made global."""
        actor: dramatiq.Actor[P, R] = dramatiq.get_broker().get_actor(self.actor_name)
        return actor

    def send(self, *args: P.args, **kwargs: P.kwargs) -> dramatiq.Message[R]:
        return self.bound().send(*args, **kwargs)

    def send_with_options(self, **options: Any) -> dramatiq.Message[R]:
        return self.bound().send_with_options(**options)

    def message_with_options(self, **options: Any) -> dramatiq.Message[R]:
        return self.bound().message_with_options(**options)


def actor(name: ActorName, **options: Any) -> Callable[[Callable[P, R]], Declared[P, R]]:
    """Record the decorated function as the actor `name`, with dramatiq actor `options`."""

    def record(fn: Callable[P, R]) -> Declared[P, R]:
        declared = Declared(fn, name, options)
        _DECLARED[name.actor_name] = declared
        return declared

    return record


def bind(broker: dramatiq.Broker) -> None:
    """Declare every recorded actor on `broker` (which checks their options)."""
    for declared in _DECLARED.values():
        declare_on = dramatiq.actor(
            broker=broker,
            actor_name=declared.actor_name,
            queue_name=declared.queue_name,
            **declared.options,
        )
        declare_on(_runs(declared))


def _runs(declared: Declared[P, R]) -> Callable[P, R]:
    """A function that calls `declared.fn` as it is when called (so tests may patch it)."""

    @functools.wraps(declared.fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return declared.fn(*args, **kwargs)

    return run
