"""Lookup: queue-routed title/location lookups at a fixed rate, beside `/healthz`.

A gateway and the Procfile's worker groups run on a scratch database whose reference tables
hold a few thousand titles and locations: `worker` (processes × threads, skipping the
lookup queue) and `lookups` (`--lookup-processes` × `--lookup-threads`, only that queue;
`--lookup-processes 0` leaves lookups to `worker`, the layout before it; the environment's
`HQ_*` settings reach both). Requests go out at `--lookup-rate` per second (open loop: each
is timed from when it was due), half titles and half locations, 80 % of them hits written
with other case and spacing, 20 % misses that the built-in classifier answers.

The baseline is `GET /healthz` at the same rate through the same load generator, in
alternating blocks of the same run (`bench.lookup_load`): the target is a lookup p99
≤ 20 ms, or within 10 ms of that p99. It runs three ways: the loader in this process
against one uvicorn process; the same loader in a process of its own (as an outside client
runs); and that against a gateway started as the Procfile's `web` line
(`--lookup-web-workers` uvicorn workers). A last figure runs the same keys through the
indexed `SELECT … WHERE title_key = %s` directly, on one connection, at the same rate.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import orjson
import psycopg
import redis

from bench import chain, env, load, lookup_load, profiling
from bench.lookup_load import LOCATION_PATH, TITLE_PATH, Pair
from bench.report import Figure, show
from pipeline.reference import lookup_key
from workers.names import LOOKUP_QUEUE

BENCH = "lookup"
#: The lookup actors' queue (`workers.lookups`).
LOOKUP_QUEUES = (LOOKUP_QUEUE,)
#: Target: p99 of a queue-routed lookup, or …
MAX_P99_MS = 20.0
#: … at most this much over `/healthz`'s p99 in the same run.
MAX_P99_OVER_HEALTH_MS = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This benchmark's flags."""
    group = parser.add_argument_group("lookup")
    group.add_argument("--lookup-rate", type=float, default=100.0, help="requests per second")
    group.add_argument(
        "--lookup-seconds", type=float, default=10.0, help="of lookups (and as many of /healthz)"
    )
    group.add_argument("--lookup-rounds", type=int, default=5, help="alternating blocks")
    group.add_argument(
        "--lookup-processes", type=int, default=1, help="Procfile `lookups` (0: none)"
    )
    group.add_argument("--lookup-threads", type=int, default=4, help="Procfile `lookups`")
    group.add_argument(
        "--lookup-web-workers", type=int, default=2, help="Procfile `web` (WEB_CONCURRENCY)"
    )
    group.add_argument(
        "--lookup-outside",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the loader in a process of its own",
    )


def seed(database_url: str, titles: list[tuple[str, ...]], places: list[tuple[str, ...]]) -> None:
    """Insert the reference rows (plain SQL: the bench owns this scratch database)."""
    with psycopg.connect(_dsn(database_url)) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO reference.job_title_lookup (title_key, latest_title, cleaned_job_title,"
            " seniority_level, job_function) VALUES (%s, %s, %s, %s, %s)",
            titles,
        )
        cur.executemany(
            "INSERT INTO reference.location_lookup (location_key, location_name, city, state,"
            " country) VALUES (%s, %s, %s, %s, %s)",
            places,
        )


def _dsn(database_url: str) -> str:
    return "postgresql://" + database_url.split("://", 1)[1]


def direct(database_url: str, mix: list[Any], *, rate: float, seconds: float) -> list[float]:
    """The same keys through the indexed SELECTs on one connection, at `rate` per second."""
    sql = {
        TITLE_PATH: "SELECT * FROM reference.job_title_lookup WHERE title_key = %s",
        LOCATION_PATH: "SELECT * FROM reference.location_lookup WHERE location_key = %s",
    }
    latencies = []
    with psycopg.connect(_dsn(database_url), autocommit=True) as conn:
        start = time.perf_counter()
        for seq in range(int(rate * seconds)):
            due = start + seq / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            path, _, text = mix[seq % len(mix)]
            conn.execute(sql[path], (lookup_key(text),), prepare=True).fetchone()
            latencies.append(time.perf_counter() - due)
    return latencies


def available(port: int) -> bool:
    """True when the gateway serves both lookup endpoints (they were being written)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=10) as resp:
        paths = orjson.loads(resp.read())["paths"]
    return TITLE_PATH in paths and LOCATION_PATH in paths


@contextmanager
def procfile_workers(args: argparse.Namespace) -> Iterator[tuple[chain.Fleet, dict[str, Any]]]:
    """The Procfile's `worker` and `lookups` groups on a scratch database and namespace.

    Yields the fleet (its pid is `worker`'s) and the CPU groups a run reports.
    """
    with ExitStack() as stack:
        database_url = stack.enter_context(env.scratch_database())
        namespace = stack.enter_context(env.redis_namespace())
        service_env = env.service_env(
            database_url=database_url, redis_url=env.REDIS_URL, namespace=namespace
        )
        main_cmd = env.dramatiq_cmd(
            processes=args.processes, threads=args.threads, module="workers:setup"
        )
        main_env = dict(service_env)
        groups: dict[str, Any] = {}
        if args.lookup_processes > 0:
            main_env["HQ_WORKER_SKIP_QUEUES"] = LOOKUP_QUEUE
            cmd = env.dramatiq_cmd(
                processes=args.lookup_processes, threads=args.lookup_threads, module="workers:setup"
            )
            lookups = stack.enter_context(
                env.child([*cmd, "--queues", LOOKUP_QUEUE], name="lookup-worker", env=service_env)
            )
            groups["lookups"] = profiling.children(lookups.pid)
        main = stack.enter_context(env.child(main_cmd, name="lookup-main-worker", env=main_env))
        groups["worker"] = profiling.children(main.pid)
        groups["postgres(this db)"] = profiling.matching(f" {database_url.rsplit('/', 1)[1]} ")
        groups["redis"] = profiling.matching(f"redis-server {env.REDIS_URL.split('/')[2]}")
        queues = chain.Queues(redis.Redis.from_url(env.REDIS_URL), namespace)
        stack.callback(queues.client.close)
        yield chain.Fleet(main.pid, queues, database_url), groups


def answered(port: int, mix: list[Any], *, timeout: float = 180.0) -> None:
    """Wait until one title and one location lookup are answered within the wait (200)."""
    headers = {"Authorization": f"Bearer {env.ADMIN_KEY}", "Content-Type": "application/json"}
    deadline = time.monotonic() + timeout
    for path, key, text in (next(m for m in mix if m[0] == p) for p in (TITLE_PATH, LOCATION_PATH)):
        while True:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}", orjson.dumps({key: text}), headers
            )
            with urllib.request.urlopen(request, timeout=30) as resp:
                if resp.status == 200:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError(f"no lookup on {path} answered 200 within {timeout:.0f} s")


def run(args: argparse.Namespace) -> list[Figure]:
    """Routed lookups beside `/healthz` (three ways), capacity, and direct SQL."""
    rate, seconds = args.lookup_rate, args.lookup_seconds
    print(
        f"[lookup] {rate:.0f} req/s, {seconds:.0f} s each of lookups and /healthz in "
        f"{args.lookup_rounds} rounds; worker {args.processes} x {args.threads}, lookups "
        f"{args.lookup_processes} x {args.lookup_threads}",
        flush=True,
    )
    titles, places = lookup_load.seed_rows()
    mix = lookup_load.requests(titles, places)
    figures: list[Figure] = []
    with procfile_workers(args) as (workers, groups):
        seed(workers.database_url, titles, places)
        service_env = env.service_env(
            database_url=workers.database_url,
            redis_url=env.REDIS_URL,
            namespace=workers.queues.namespace,
        )
        with env.server("gateway.app:create_app", env=service_env, name="lookup-gateway") as (
            port,
            gateway_pid,
        ):
            if not available(port):
                print("  SKIPPED: the gateway has no lookup endpoints yet")
                return []
            warm_up(port, mix, workers)
            meter = profiling.CpuMeter({"gateway": profiling.children(gateway_pid), **groups})
            used: dict[str, float] = {}
            pair = lookup_load.alternate(
                port,
                env.ADMIN_KEY,
                mix,
                rate=rate,
                seconds=seconds,
                rounds=args.lookup_rounds,
                during_lookups=lambda: _metered(meter, used),
            )
            _print_cpu(used, pair.lookups.requests)
            figures += compare("loader in the bench", pair, rate=rate)
            workers.queues.drain(LOOKUP_QUEUES)
            if args.lookup_outside:
                figures += compare("loader apart", outside(port, args), rate=rate)
                workers.queues.drain(LOOKUP_QUEUES)
            most = capacity(port, mix)
        if args.lookup_outside:
            web = args.lookup_web_workers
            with env.server(
                "gateway.app:create_app", env=service_env, name="lookup-web", workers=web
            ) as (port, _):
                warm_up(port, mix, workers)
                label = f"loader apart, web x{web}"
                figures += compare(label, outside(port, args), rate=rate)
        baseline = direct(workers.database_url, mix, rate=rate, seconds=seconds)
    mean = Figure(BENCH, "direct SQL lookup mean", statistics.mean(baseline) * 1000, "ms")
    show(mean)
    return [*figures, mean, most]


def warm_up(port: int, mix: list[Any], workers: chain.Fleet) -> None:
    """Workers booted, classifiers and pools warm; nothing the warm-up sent left queued."""
    answered(port, mix)
    lookup_load.routed(port, env.ADMIN_KEY, mix[::-1], rate=100.0, seconds=3)
    lookup_load.healthz(port, rate=100.0, seconds=1)
    workers.queues.drain(LOOKUP_QUEUES)


@contextmanager
def _metered(meter: profiling.CpuMeter, used: dict[str, float]) -> Iterator[None]:
    """Add the CPU the block used, per group, to `used`."""
    meter.start()
    yield
    for name, cpu in meter.stop().items():
        used[name] = used.get(name, 0.0) + cpu


def outside(port: int, args: argparse.Namespace) -> Pair:
    """`bench.lookup_load` in a process of its own against `port` (as an outside client)."""
    cmd = [sys.executable, "-m", "bench.lookup_load", "--port", str(port)]
    cmd += ["--key", env.ADMIN_KEY, "--rate", str(args.lookup_rate)]
    cmd += ["--seconds", str(args.lookup_seconds), "--rounds", str(args.lookup_rounds)]
    done = subprocess.run(cmd, cwd=env.ROOT, capture_output=True, check=True)
    return Pair.from_json(orjson.loads(done.stdout))


def _print_cpu(used: dict[str, float], requests: int) -> None:
    """CPU ms per lookup by process group (all groups, idle polling included)."""
    per = ", ".join(f"{name} {1000 * cpu / max(requests, 1):.2f}" for name, cpu in used.items())
    total = 1000 * sum(used.values()) / max(requests, 1)
    print(f"    CPU ms per lookup: {per}; total {total:.2f}", flush=True)


def capacity(port: int, mix: list[Any]) -> Figure:
    """Most title lookups per second the stack answers (16 connections, closed loop)."""
    titles = [orjson.dumps({key: text}) for path, key, text in mix if path == TITLE_PATH]
    headers = {"Authorization": f"Bearer {env.ADMIN_KEY}"}
    result = load.closed_loop(
        port,
        TITLE_PATH,
        headers=headers,
        body=lambda seq: titles[seq % len(titles)],
        connections=16,
        seconds=5,
    )
    figure = Figure(
        BENCH,
        "routed lookup capacity (16 conns)",
        result.throughput,
        "req/s",
        note=f"p50 {result.percentile_ms(0.5):.0f} ms; {result.errors} not 200",
    )
    show(figure)
    return figure


def compare(label: str, pair: Pair, *, rate: float) -> list[Figure]:
    """Lookup p50 and p99 against `/healthz`'s from the same load generator and run."""
    look, health = pair.lookups, pair.health
    print(f"    {label}: {pair.line()}", flush=True)
    p99, over = look.percentile_ms(0.99), pair.p99_over()
    met = (p99 <= MAX_P99_MS or over <= MAX_P99_OVER_HEALTH_MS) and not pair.unanswered()
    p50, base50, base99 = (
        look.percentile_ms(0.5),
        health.percentile_ms(0.5),
        health.percentile_ms(0.99),
    )
    out = [
        Figure(BENCH, f"lookup p50 @{rate:.0f}/s, {label}", p50, "ms", base50, p50 / base50),
        Figure(
            BENCH,
            f"lookup p99 @{rate:.0f}/s, {label}",
            p99,
            "ms",
            base99,
            p99 / base99,
            f"<= {MAX_P99_MS:.0f} ms or healthz + {MAX_P99_OVER_HEALTH_MS:.0f}",
            met,
            f"{over:+.1f} ms over healthz; {pair.unanswered()} not 200",
        ),
    ]
    for figure in out:
        show(figure)
    return out
