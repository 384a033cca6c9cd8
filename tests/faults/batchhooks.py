"""A worker process the fault suite can watch and catch inside a micro-batch.

`dramatiq tests.faults.batchhooks:setup` sets up the worker exactly as `workers:setup`
does, then wraps the person chain's sync step (`pipeline.personsteps`, the functions the
`sync_core` batches run over their whole list) according to the environment, so a test
can inject its fault at a known point of a batch instead of hoping to hit one:

- `HQF_BATCH_DIR` (a directory): every `sync_people` call appends a line to
  `sync-<pid>.jsonl` — the batch's size, its people and the error if the set failed — so
  a test can prove which batch held what (a batch's own log line names no item). The
  `hq.batch` logger is turned up to DEBUG, so the worker's log shows every batch too.
- `HQF_HOLD=1`: the first `sync_people` call of `HQF_HOLD_MIN` or more people (default 2)
  once `HQF_HOLD_AFTER` people have been synced in this process (default 0) stops after
  its writes,
  inside the batch's open transaction, writes `held-<pid>.json` (its people, the rows it
  wrote and its PostgreSQL backend) and waits until the test creates `release`. A test
  kills the process or stops PostgreSQL while it waits.
- `HQF_GATE_URL` (a person's URL): that person's `sync_core` item is queued behind a running
  batch together with a neighbour's, so the two run in the next batch (bounded waits; see
  `_Hooks.wrap_actor`).

Nothing here changes what a batch does: the wrapped functions are called as they are.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

#: How long a held batch waits for `release` before it goes on by itself.
HOLD_LIMIT_S = 120.0

#: How long the gate's waits last at most (then the batch goes on regardless).
GATE_LIMIT_S = 30.0

#: After the gate person's thread and a neighbour's entered the actor, how long the gated
#: batch still waits for them to queue their items (a few lines of Python each).
GATE_GRACE_S = 0.5


def setup() -> None:
    """`workers:setup`, then the hooks the environment asks for."""
    import workers

    workers.setup()
    directory = os.environ.get("HQF_BATCH_DIR")
    if directory:
        install(
            Path(directory),
            hold=os.environ.get("HQF_HOLD") == "1",
            hold_min=int(os.environ.get("HQF_HOLD_MIN") or 2),
            hold_after=int(os.environ.get("HQF_HOLD_AFTER") or 0),
            gate_url=os.environ.get("HQF_GATE_URL") or None,
        )


def install(
    directory: Path, *, hold: bool, hold_min: int, hold_after: int, gate_url: str | None
) -> None:
    """Wrap `personsteps.prepare_sync` / `sync_people` (and the `sync_core` actor, for the
    gate) in this process."""
    from pipeline import personsteps
    from workers import stages

    logging.getLogger("hq.batch").setLevel(logging.DEBUG)
    directory.mkdir(parents=True, exist_ok=True)
    hooks = _Hooks(
        directory, hold=hold, hold_min=hold_min, hold_after=hold_after, gate_url=gate_url
    )
    personsteps.sync_people = hooks.wrap_sync(personsteps.sync_people)  # type: ignore[assignment]
    if gate_url is not None:
        personsteps.prepare_sync = hooks.wrap_prepare(personsteps.prepare_sync)  # type: ignore[assignment]
        stages.sync_core.fn = hooks.wrap_actor(stages.sync_core.fn)


class _Hooks:
    def __init__(
        self,
        directory: Path,
        *,
        hold: bool,
        hold_min: int,
        hold_after: int,
        gate_url: str | None,
    ) -> None:
        self.directory = directory
        self.log = directory / f"sync-{os.getpid()}.jsonl"
        self.hold = hold
        self.hold_min = hold_min
        self.hold_after = hold_after
        self.synced = 0  # people synced in this process so far
        self.gate_url = gate_url
        self.lock = threading.Lock()
        #: People whose sync_core message reached the actor / went into a batch (counts).
        self.entered: collections.Counter[str] = collections.Counter()
        self.batched: collections.Counter[str] = collections.Counter()
        self.gate_done = gate_url is None
        self.batch_started = False

    # --- recording and holding -----------------------------------------------------------

    def wrap_sync(self, sync_people: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
        def recorded(conn: Connection, prepared: Sequence[Any]) -> list[Any]:
            urls = [p.linkedin_url for p in prepared]
            try:
                out = sync_people(conn, prepared)
            except Exception as err:
                self._record({"size": len(urls), "urls": urls, "error": repr(err)[:300]})
                raise
            self._record({"size": len(urls), "urls": urls, "error": None})
            if self._take_hold(len(urls)):
                self._hold(conn, urls)
            return out

        return recorded

    def _record(self, entry: dict[str, Any]) -> None:
        with self.lock, self.log.open("a") as out:
            out.write(json.dumps({"t": time.time(), **entry}) + "\n")

    def _take_hold(self, size: int) -> bool:
        """Whether this batch is the one to hold (once per process)."""
        with self.lock:
            taken = self.hold and size >= self.hold_min and self.synced >= self.hold_after
            self.synced += size
            self.hold = self.hold and not taken
            return taken

    def _hold(self, conn: Connection, urls: list[str]) -> None:
        """Wait inside the batch's transaction, its rows written and not committed."""
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        written = conn.execute(
            text("SELECT count(*) FROM core.people WHERE linkedin_url = ANY(:urls)"),
            {"urls": urls},
        ).scalar_one()
        held = {"pid": os.getpid(), "backend_pid": backend, "urls": urls, "written": written}
        path = self.directory / f"held-{os.getpid()}.json"
        path.with_suffix(".tmp").write_text(json.dumps(held))
        path.with_suffix(".tmp").rename(path)  # the test never reads half a file
        deadline = time.monotonic() + HOLD_LIMIT_S
        while not (self.directory / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    # --- the gate ------------------------------------------------------------------------
    #
    # The gate person's item must reach the batcher's queue while a batch of others runs
    # (else it may lead a batch of its own), and that batch must not end before the item
    # and a neighbour's are queued behind it (the next batch takes all of them). So the
    # gate person's thread waits for a batch to start before it submits, and the first
    # batch without it waits for the two of them. Only threads already inside `sync_core`
    # ever wait: the test keeps that number below the thread count, so the other stages
    # still flow and bring the neighbours.

    def wrap_actor(self, fn: Callable[..., None]) -> Callable[..., None]:
        def entered(job_id: str, linkedin_url: str) -> None:
            if linkedin_url == self.gate_url:
                _wait_until(lambda: self.batch_started, GATE_LIMIT_S)
            with self.lock:
                self.entered[linkedin_url] += 1
            fn(job_id=job_id, linkedin_url=linkedin_url)

        return entered

    def wrap_prepare(self, prepare: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
        def gated(conn: Connection, urls: Sequence[str]) -> list[Any]:
            with self.lock:
                self.batched.update(urls)
                self.batch_started = True
            if self.gate_url in urls:
                self.gate_done = True
            elif not self.gate_done:
                _wait_until(self._gate_queued, GATE_LIMIT_S)
                time.sleep(GATE_GRACE_S)
                self.gate_done = True
            return prepare(conn, urls)

        return gated

    def _gate_queued(self) -> bool:
        """The gate person and one more wait in the batcher's queue (they entered the actor
        and are in no batch yet)."""
        with self.lock:
            queued = self.entered - self.batched
            return bool(queued[self.gate_url or ""]) and queued.total() >= 2


def _wait_until(check: Callable[[], bool], limit: float) -> None:
    deadline = time.monotonic() + limit
    while not check() and time.monotonic() < deadline:
        time.sleep(0.02)
