"""Memory: worker RSS over many profiles, and Redis bytes per queued message.

Worker RSS: a fresh worker group (the Procfile's processes × threads) drains N profiles
(10 000 for the target; fewer by default), fed in batches so the shared Redis never holds
more than a few hundred bodies. The RSS of each worker process (psutil) is sampled
throughout; the baseline is the same process right after its warm-up, so the ratio shows
growth and the absolute figure is checked against 250 MB.

Redis per message: a private redis-server on a spare port (other people's keys would
disturb `used_memory`), a gateway on it, N webhooks POSTed with no worker running; the
`used_memory` delta divided by N is compared with the average body size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import psutil
import redis

from bench import accept, chain, env, load, payloads
from bench.apps import INGEST_PATH
from bench.report import Figure, show

BENCH = "memory"
#: Targets: worker RSS after 10k profiles; Redis bytes per message / body bytes.
MAX_RSS_MB, MAX_REDIS_RATIO = 250.0, 1.5
#: Most profiles queued at once while feeding the worker.
FEED_BATCH = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This benchmark's flags."""
    group = parser.add_argument_group("memory")
    group.add_argument("--memory-profiles", type=int, default=500, help="10000 for the target")
    group.add_argument("--redis-messages", type=int, default=1000)


@dataclass
class RssSampler:
    """Samples the RSS (MB) of a worker group's processes once a second, in a thread."""

    pid: int
    samples: list[tuple[float, dict[int, float]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def worker_rss(self) -> dict[int, float]:
        """RSS in MB of each worker process (the children of the dramatiq main process)."""
        out = {}
        for proc in psutil.Process(self.pid).children():
            try:
                out[proc.pid] = proc.memory_info().rss / 2**20
            except psutil.Error:
                continue
        return out

    def start(self) -> None:
        def loop() -> None:
            while not self._stop.wait(1.0):
                self.samples.append((time.monotonic(), self.worker_rss()))

        threading.Thread(target=loop, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()


def feed(queues: chain.Queues, total: int, progress: list[int]) -> None:
    """Send `total` profiles, keeping at most about 2 × FEED_BATCH queued."""
    sent = 0
    while sent < total:
        if queues.pending(chain.PERSON_QUEUES) < FEED_BATCH:
            count = min(FEED_BATCH, total - sent)
            queues.send(chain.person_messages(queues, sent, count))
            sent += count
            progress.append(sent)
        else:
            time.sleep(0.05)
    queues.drain(chain.PERSON_QUEUES)


def worker_rss(args: argparse.Namespace) -> list[Figure]:
    """Drain `--memory-profiles` profiles on a fresh worker group, sampling its RSS."""
    total = args.memory_profiles
    with chain.fleet(args) as workers:
        sampler = RssSampler(workers.pid)
        boot = sampler.worker_rss()
        started = time.monotonic()
        sampler.start()
        feed(workers.queues, total, progress=[])
        sampler.stop()
        seconds = time.monotonic() - started
        end = sampler.worker_rss()
        outcomes = chain.job_outcomes(workers.database_url, "person_profile")
    trajectory = [max(rss.values()) for _, rss in sampler.samples if rss]
    step = max(1, len(trajectory) // 8)
    print(
        f"    {total} profiles in {seconds:.0f} s; max worker RSS over time (MB): "
        + ", ".join(f"{v:.0f}" for v in trajectory[::step])
    )
    print(f"    per process after warm-up {_mb(boot)}, at the end {_mb(end)}; jobs {outcomes}")
    imported, warmed, took = breakdown()
    print(
        f"    one process: {imported:.0f} MB after importing the workers, {warmed:.0f} MB after "
        f"loading the classifiers' offline data ({took:.1f} s)"
    )
    peak, base = max(end.values()), max(boot.values())
    return [
        Figure(
            BENCH,
            f"worker RSS after {total} profiles",
            peak,
            "MB",
            base,
            peak / base,
            f"<= {MAX_RSS_MB:.0f} MB (10k profiles)",
            peak <= MAX_RSS_MB,
            "baseline: same process after warm-up",
        ),
    ]


#: Run in a child process: RSS after importing the worker code, then after the classifiers'
#: offline data is loaded (what `workers.observe.Warmup` does at boot), and how long that took.
BREAKDOWN = """
import json, time, psutil
rss = lambda: psutil.Process().memory_info().rss / 2**20
import workers
from workers import observe
workers.setup()
imported = rss()
started = time.perf_counter()
observe.warm_up()
print(json.dumps([imported, rss(), time.perf_counter() - started]))
"""


def breakdown() -> tuple[float, float, float]:
    """(MB after `import workers`, MB after the classifier warm-up, warm-up seconds)."""
    child_env = env.service_env(
        database_url="postgresql://unused/unused", redis_url="", namespace="unused"
    )
    del child_env["REDIS_URL"]  # the embedded broker: nothing is sent
    out = subprocess.run(
        [sys.executable, "-c", BREAKDOWN],
        env=child_env,
        cwd=env.ROOT,
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    imported, warmed, seconds = json.loads(out.splitlines()[-1])
    return float(imported), float(warmed), float(seconds)


def _mb(rss: dict[int, float]) -> str:
    return "[" + ", ".join(f"{v:.0f}" for v in rss.values()) + "] MB"


def redis_per_message(args: argparse.Namespace) -> list[Figure]:
    """Bytes of Redis memory per message enqueued through the gateway, vs body bytes."""
    count = args.redis_messages
    bodies = [payloads.encoded(i) for i in range(count + 1)]
    with env.private_redis() as url, env.scratch_database() as database_url:
        client = redis.Redis.from_url(url)
        service_env = env.service_env(
            database_url=database_url, redis_url=url, namespace="hqbench-memory"
        )
        with env.server(accept.APPS["gateway"], env=service_env, name="memory-gateway") as (
            port,
            _pid,
        ):
            headers = {"Authorization": f"Bearer {env.ADMIN_KEY}"}
            send = load.closed_loop  # one warm-up request, then the measured ones
            send(
                port,
                INGEST_PATH,
                headers=headers,
                body=lambda _: bodies[-1],
                connections=1,
                seconds=30,
                total=1,
            )
            before = int(client.info("memory")["used_memory"])
            result = send(
                port,
                INGEST_PATH,
                headers=headers,
                body=lambda i: bodies[i],
                connections=4,
                seconds=300,
                total=count,
            )
            after = int(client.info("memory")["used_memory"])
            stored = _stored_sizes(client, "hqbench-memory:store_raw.msgs")
        client.close()
    per_message = (after - before) / count
    body = statistics.mean(len(b) for b in bodies[:count])
    print(
        f"    {result.requests} accepted ({result.errors} errors); stored message "
        f"{statistics.mean(stored):,.0f} B avg vs body {body:,.0f} B; "
        f"{len(stored)} messages in the queue"
    )
    return [
        Figure(
            BENCH,
            "Redis bytes per queued message",
            per_message,
            "B",
            body,
            per_message / body,
            f"<= {MAX_REDIS_RATIO}x body",
            per_message / body <= MAX_REDIS_RATIO and not result.errors,
            "baseline: mean body size",
        ),
    ]


def _stored_sizes(client: redis.Redis, key: str) -> list[int]:
    sizes = []
    for field_name in client.hkeys(key):
        sizes.append(int(client.hstrlen(key, field_name)))
    return sizes or [0]


def run(args: argparse.Namespace) -> list[Figure]:
    """Both memory figures."""
    print(
        f"[memory] worker RSS over {args.memory_profiles} profiles "
        f"({args.processes} x {args.threads}); Redis over {args.redis_messages} messages",
        flush=True,
    )
    figures = worker_rss(args) + redis_per_message(args)
    for figure in figures:
        show(figure)
    return figures
