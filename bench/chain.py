"""Chain: realistic profiles drained raw → core vs a no-op three-stage Dramatiq chain.

One `dramatiq bench.chain_actors:setup` worker group (the Procfile's processes × threads)
consumes every queue. After a warm-up, the same workers drain, in turn: N no-op chains
(pure Dramatiq: broker, middleware, three hops, a 17 KB first message), N person profiles
(8–30 KB, each a different person, companies shared) and N no-op chains that Tracking
records like real jobs. Messages are pre-built, then sent in one pipeline; the clock runs
from the send until no message is left in any of the chain's queues (acked). The third
figure splits the gap between Dramatiq's cost, the status tracking and the stages' work.
Last, single jobs sent one at a time to the idle workers time the latency a lone webhook
sees (send to `succeeded`), beside a lone tracked no-op chain's.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dramatiq
import orjson
import psycopg
import redis

from bench import env, payloads, profiling
from bench.report import Figure, show
from workers.transport import DISPATCH_LUA

BENCH = "chain"
PERSON_QUEUES = ("store_raw", "extract_profile", "sync_core")
#: The no-op chain's queues, in order (its actors are in `bench.chain_actors`).
NOOP_QUEUES = ("bench_noop_1", "bench_noop_2", "bench_noop_3")
#: Target (issue 18): profiles/s with full job tracking ≥ 0.4× no-op chains/s on the same workers.
MIN_RATIO = 0.4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This benchmark's flags."""
    group = parser.add_argument_group("chain")
    group.add_argument("--chain-profiles", type=int, default=300, help="profiles per run")
    group.add_argument("--chain-noops", type=int, default=1500, help="no-op chains per run")
    group.add_argument(
        "--roundtrips", action="store_true", help="also count SQL round trips per profile"
    )
    group.add_argument(
        "--chain-idle", type=int, default=20, help="single jobs timed one at a time (idle)"
    )


@dataclass(frozen=True)
class Queues:
    """The namespace's Redis plus enqueue / drain helpers in dramatiq's own layout."""

    client: redis.Redis
    namespace: str

    def messages(self, queue: str, actor: str, kwargs: list[dict[str, Any]]) -> list[Any]:
        """Encoded messages, built ahead of the clock."""
        out = []
        for kw in kwargs:
            options = {"redis_message_id": str(uuid.uuid4())}
            message: dramatiq.Message[Any] = dramatiq.Message(queue, actor, (), kw, options)
            out.append((queue, options["redis_message_id"], message.encode()))
        return out

    def send(self, encoded: list[Any]) -> None:
        """Enqueue pre-built messages in pipelined batches (dispatch.lua's enqueue)."""
        script = self.client.register_script(DISPATCH_LUA)
        for start in range(0, len(encoded), 200):
            pipe = self.client.pipeline(transaction=False)
            for queue, redis_id, data in encoded[start : start + 200]:
                now = int(time.time() * 1000)
                args = ["enqueue", now, queue, "hq-bench", 60_000, 86_400_000, 0, 1000]
                script(keys=[self.namespace], args=[*args, redis_id, data], client=pipe)
            pipe.execute()

    def pending(self, queues: tuple[str, ...]) -> int:
        """Messages not yet acked in `queues` (queued, delayed or being processed)."""
        pipe = self.client.pipeline(transaction=False)
        for queue in queues:
            pipe.hlen(f"{self.namespace}:{queue}.msgs")
            pipe.hlen(f"{self.namespace}:{queue}.DQ.msgs")
        return sum(int(n) for n in pipe.execute())

    def drain(self, queues: tuple[str, ...], *, timeout: float = 900.0) -> float:
        """Wait until `queues` are empty; returns the monotonic time it happened."""
        deadline = time.monotonic() + timeout
        while self.pending(queues):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.pending(queues)} messages still pending in {queues}")
            time.sleep(0.01)
        return time.monotonic()


def person_messages(queues: Queues, first: int, count: int) -> list[Any]:
    """`store_raw` messages for persons first … first+count-1, as the gateway sends them."""
    kwargs = [
        {"job_id": str(uuid.uuid4()), "body": payloads.body_for(i)}
        for i in range(first, first + count)
    ]
    return queues.messages("store_raw", "store_raw", kwargs)


def noop_messages(queues: Queues, first: int, count: int, *, tracked: bool) -> list[Any]:
    """`noop_first` messages carrying the same bodies, with job ids when `tracked`."""
    kwargs = []
    for i in range(first, first + count):
        kw: dict[str, Any] = {"body": payloads.body_for(i)}
        if tracked:
            kw["job_id"] = str(uuid.uuid4())
        kwargs.append(kw)
    return queues.messages(NOOP_QUEUES[0], "noop_first", kwargs)


@dataclass
class Fleet:
    """A running worker group and what a benchmark needs to reach it."""

    pid: int
    queues: Queues
    database_url: str

    def timed(self, encoded: list[Any], queues: tuple[str, ...]) -> tuple[float, dict[str, float]]:
        """Send `encoded`, wait for `queues` to drain; (seconds, CPU cores busy per group)."""
        meter = profiling.CpuMeter(cpu_groups(self.pid, self.database_url))
        meter.start()
        start = time.monotonic()
        self.queues.send(encoded)
        seconds = self.queues.drain(queues) - start
        used = meter.stop()
        return seconds, {name: cpu / seconds for name, cpu in used.items()}


def cpu_groups(pid: int, database_url: str) -> dict[str, Any]:
    """Process groups whose CPU time a run reports."""
    database = database_url.rsplit("/", 1)[1]
    return {
        "workers": profiling.children(pid),
        "postgres(this db)": profiling.matching(f" {database} "),
        "redis": profiling.matching("redis-server"),
    }


@contextmanager
def fleet(args: argparse.Namespace) -> Iterator[Fleet]:
    """A scratch database + namespace and a worker group on them, warmed up."""
    with env.scratch_database() as database_url, env.redis_namespace() as namespace:
        service_env = env.service_env(
            database_url=database_url, redis_url=env.REDIS_URL, namespace=namespace
        )
        cmd = env.dramatiq_cmd(processes=args.processes, threads=args.threads)
        with env.child(cmd, name="chain-worker", env=service_env) as proc:
            queues = Queues(redis.Redis.from_url(env.REDIS_URL), namespace)
            warm = 2 * args.processes * args.threads
            queues.send(person_messages(queues, 10**6, warm))
            queues.send(noop_messages(queues, 0, warm, tracked=True))
            queues.drain(PERSON_QUEUES + NOOP_QUEUES, timeout=120)
            yield Fleet(proc.pid, queues, database_url)
            queues.client.close()


def job_outcomes(database_url: str, kind: str) -> dict[str, int]:
    """Count of jobs of `kind` by status, to check a run did the work it claims."""
    dsn = "postgresql://" + database_url.split("://", 1)[1]
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT status, count(*) FROM ops.jobs WHERE kind = %s GROUP BY status", (kind,)
        ).fetchall()
    return {str(status): int(count) for status, count in rows}


@dataclass(frozen=True)
class Run:
    """One drained batch: items per second, and CPU ms per item (workers + PostgreSQL + Redis)."""

    rate: float
    cpu_ms: float


def _timed(workers: Fleet, label: str, encoded: list[Any]) -> Run:
    """Drain one batch; print and return its rate and CPU cost per item."""
    queues = NOOP_QUEUES if label != "person chain" else PERSON_QUEUES
    seconds, cores = workers.timed(encoded, queues)
    count = len(encoded)
    run = Run(count / seconds, 1000 * sum(cores.values()) * seconds / count)
    busy = ", ".join(f"{name} {value:.2f}" for name, value in cores.items())
    print(
        f"    {label:15s} {count:6d} in {seconds:6.2f} s = {run.rate:8.1f}/s  "
        f"CPU {run.cpu_ms:6.1f} ms each  cores busy: {busy}",
        flush=True,
    )
    return run


def run(args: argparse.Namespace) -> list[Figure]:
    """No-op, profiles, tracked no-op, no-op again on one warmed worker group.

    The baseline is the mean of the two no-op runs around the others, so drift on a shared
    machine during the run shows up in neither figure alone.
    """
    n, noops = args.chain_profiles, args.chain_noops
    print(
        f"[chain] {args.processes} processes x {args.threads} threads; {n} profiles, "
        f"{noops} no-op chains, {n} tracked no-op chains",
        flush=True,
    )
    with fleet(args) as workers:
        q = workers.queues
        noop = [_timed(workers, "no-op chain", noop_messages(q, 0, noops, tracked=False))]
        person = _timed(workers, "person chain", person_messages(q, 0, n))
        tracked = _timed(workers, "tracked no-op", noop_messages(q, 0, n, tracked=True))
        noop.append(_timed(workers, "no-op chain", noop_messages(q, 0, noops, tracked=False)))
        outcomes = job_outcomes(workers.database_url, "person_profile")
        idle = idle_latency(workers, args.chain_idle)
        if args.profile_dir:
            _profile(workers, args, person.rate)
        if args.roundtrips:
            print(f"    SQL per profile: {roundtrips(workers.database_url)}", flush=True)
    baseline = Run(statistics.mean(r.rate for r in noop), statistics.mean(r.cpu_ms for r in noop))
    ok = outcomes.get("succeeded", 0) >= n and set(outcomes) == {"succeeded"}
    figures = chain_figures(person, tracked, baseline, ok=ok, outcomes=outcomes)
    figures.append(
        Figure(
            BENCH,
            "idle profile latency p50",
            idle["person"],
            "ms",
            idle["tracked no-op"],
            idle["person"] / idle["tracked no-op"],
            note="send -> job succeeded, one job at a time; baseline: a tracked no-op chain",
        )
    )
    for figure in figures:
        show(figure)
    return figures


#: Pause between the single jobs of `idle_latency`, so each finds the workers idle.
IDLE_PAUSE_S = 0.3


def idle_latency(workers: Fleet, count: int) -> dict[str, float]:
    """p50 ms from sending one job to its `succeeded` record, one job at a time on idle
    workers: a person profile, and a tracked no-op chain as the baseline (consumers' idle
    polls included, as a lone webhook meets them)."""
    q = workers.queues
    dsn = "postgresql://" + workers.database_url.split("://", 1)[1]
    out: dict[str, float] = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        for label in ("person", "tracked no-op"):
            took = []
            for i in range(count):
                if label == "person":
                    encoded = person_messages(q, 3 * 10**6 + i, 1)
                else:
                    encoded = noop_messages(q, i, 1, tracked=True)
                job_id = orjson.loads(encoded[0][2])["kwargs"]["job_id"]
                time.sleep(IDLE_PAUSE_S)
                sent = time.time()
                q.send(encoded)
                finished = _finished(conn, job_id)
                if finished is not None:
                    took.append(1000 * (finished - sent))
            out[label] = statistics.median(took) if took else float("nan")
            missed = f" ({count - len(took)} not done in time)" if len(took) < count else ""
            print(f"    idle {label:13s} p50 {out[label]:6.1f} ms over {count}{missed}", flush=True)
    return out


def _finished(conn: psycopg.Connection[Any], job_id: str, *, timeout: float = 10.0) -> float | None:
    """When `job_id` succeeded (epoch seconds, PostgreSQL's clock on this machine); None if
    it did not within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = conn.execute(
            "SELECT extract(epoch FROM finished_at) FROM ops.jobs"
            " WHERE job_id = %s AND status = 'succeeded'",
            (job_id,),
        ).fetchone()
        if row is not None:
            return float(row[0])
        time.sleep(0.002)
    return None


def chain_figures(
    person: Run, tracked: Run, noop: Run, *, ok: bool, outcomes: dict[str, int]
) -> list[Figure]:
    """Throughput ratios (the target) and CPU-per-item ratios (robust to a busy machine)."""
    ratio = person.rate / noop.rate
    note = "" if ok else f"person jobs by status: {outcomes}"
    return [
        Figure(
            BENCH,
            "person profiles/s",
            person.rate,
            "/s",
            noop.rate,
            ratio,
            f">= {MIN_RATIO}x no-op chain",
            ok and ratio >= MIN_RATIO,
            note,
        ),
        Figure(
            BENCH,
            "tracked no-op chains/s",
            tracked.rate,
            "/s",
            noop.rate,
            tracked.rate / noop.rate,
            note="job tracking alone, no stage work",
        ),
        Figure(
            BENCH,
            "CPU per profile",
            person.cpu_ms,
            "ms",
            noop.cpu_ms,
            person.cpu_ms / noop.cpu_ms,
            note="workers + PostgreSQL + Redis; baseline: per no-op chain",
        ),
        Figure(
            BENCH,
            "CPU per tracked no-op",
            tracked.cpu_ms,
            "ms",
            noop.cpu_ms,
            tracked.cpu_ms / noop.cpu_ms,
        ),
    ]


def roundtrips(database_url: str) -> dict[str, float]:
    """`bench.roundtrips` in a child process on `database_url` (embedded broker)."""
    child_env = env.service_env(database_url=database_url, redis_url="", namespace="rt")
    del child_env["REDIS_URL"]
    cmd = [sys.executable, "-m", "bench.roundtrips"]
    out = subprocess.run(cmd, env=child_env, cwd=env.ROOT, capture_output=True, check=True)
    counts: dict[str, float] = orjson.loads(out.stdout.splitlines()[-1])
    return counts


def _profile(workers: Fleet, args: argparse.Namespace, rate: float) -> None:
    """One more person run of about 10 s under py-spy (all worker processes)."""
    seconds = 10.0
    count = max(50, int(rate * seconds * 1.3))
    encoded = person_messages(workers.queues, 2 * 10**6, count)
    prefix = Path(args.profile_dir) / "chain"
    with profiling.record(workers.pid, prefix, seconds=seconds, subprocesses=True):
        workers.queues.send(encoded)
        time.sleep(seconds)
    workers.queues.drain(PERSON_QUEUES)
