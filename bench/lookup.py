"""Lookup: queue-routed title/location lookups at a fixed rate vs a direct indexed SELECT.

A gateway and the Procfile's worker groups run on a scratch database whose reference tables
hold a few thousand titles and locations: `worker` (processes × threads, skipping the
lookup queue) and `lookups` (`--lookup-processes` × `--lookup-threads`, only that queue;
`--lookup-processes 0` leaves lookups to `worker`, the layout before it; the environment's
`HQ_*` settings, e.g. `HQ_BLOCKING_STAGE_QUEUES=1`, reach both). Requests go out
at `--lookup-rate` per second (open loop: each is timed from when it was due), half titles
and half locations, 80 % of them hits written with other case and spacing, 20 % misses
that the built-in classifier answers. The baseline runs the same keys through the same
indexed `SELECT … WHERE title_key = %s` directly, at the same rate, from this process.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import orjson
import psycopg
import redis

from bench import chain, env, load, profiling
from bench.report import Figure, show
from pipeline.reference import lookup_key
from workers.names import LOOKUP_QUEUE

BENCH = "lookup"
TITLE_PATH = "/run/people/db/person-job-title/lookup"
LOCATION_PATH = "/run/people/db/person-location/lookup"
#: The lookup actors' queue (`workers.lookups`).
LOOKUP_QUEUES = (LOOKUP_QUEUE,)
#: Target: p99 of a queue-routed lookup.
MAX_P99_MS = 20.0
#: Share of requests whose key is in the reference table.
HIT_SHARE = 0.8

_LEVELS = ("", "Senior ", "Lead ", "Head of ", "VP of ", "Director of ", "Junior ", "Chief ")
_AREAS = ("Sales", "Marketing", "Engineering", "Finance", "Operations", "Product", "People")
_ROLES = ("", " Manager", " Specialist", " Analyst", " Partner", " Operations", " Strategy")
_PLACES = (
    ("Austin", "Texas", "United States"),
    ("Denver", "Colorado", "United States"),
    ("Leeds", "England", "United Kingdom"),
    ("Lyon", "Auvergne-Rhône-Alpes", "France"),
    ("Utrecht", "Utrecht", "Netherlands"),
    ("Pune", "Maharashtra", "India"),
    ("Calgary", "Alberta", "Canada"),
    ("Bergen", "Vestland", "Norway"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This benchmark's flags."""
    group = parser.add_argument_group("lookup")
    group.add_argument("--lookup-rate", type=float, default=100.0, help="requests per second")
    group.add_argument("--lookup-seconds", type=float, default=15.0)
    group.add_argument(
        "--lookup-processes", type=int, default=1, help="Procfile `lookups` (0: none)"
    )
    group.add_argument("--lookup-threads", type=int, default=4, help="Procfile `lookups`")


def seed_rows() -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Reference rows: (key, title, cleaned, seniority, function) and (key, name, city, …)."""
    titles = []
    for level in _LEVELS:
        for area in _AREAS:
            for role in _ROLES:
                title = f"{level}{area}{role}".strip()
                titles.append((title, title, level.strip() or "Entry", area))
    for n in range(2000 - len(titles)):
        titles.append((f"{_AREAS[n % 7]} Consultant {n}", "Consultant", "Senior", _AREAS[n % 7]))
    places = []
    for n in range(2000):
        city, state, country = _PLACES[n % len(_PLACES)]
        name = f"{city} Area {n}" if n >= len(_PLACES) else f"{city}, {state}, {country}"
        places.append((name, city, state, country))
    title_rows: list[tuple[str, ...]] = [(str(lookup_key(t[0])), *t) for t in titles]
    place_rows: list[tuple[str, ...]] = [(str(lookup_key(p[0])), *p) for p in places]
    return title_rows, place_rows


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


def requests(titles: list[tuple[str, ...]], places: list[tuple[str, ...]]) -> list[Any]:
    """A reproducible request mix: (path, field, text) — hits in other spellings, misses."""
    rng = random.Random(11)
    misses = [f"{rng.choice(_AREAS)} Wrangler {n}" for n in range(200)]
    miss_places = [f"{p[0]} Metro {n}" for n, p in enumerate(_PLACES * 25)]
    out = []
    for n in range(4000):
        is_title, hit = n % 2 == 0, rng.random() < HIT_SHARE
        if is_title:
            text = rng.choice(titles)[1] if hit else rng.choice(misses)
            out.append((TITLE_PATH, "job_title", _respell(rng, text)))
        else:
            text = rng.choice(places)[1] if hit else rng.choice(miss_places)
            out.append((LOCATION_PATH, "location_name", _respell(rng, text)))
    return out


def _respell(rng: random.Random, text: str) -> str:
    """The same key written as Clay cells do: other case, padding, doubled spaces."""
    if rng.random() < 0.5:
        text = text.upper() if rng.random() < 0.5 else text.lower()
    return "  " + text.replace(" ", "  ") + " " if rng.random() < 0.3 else text


def routed(port: int, mix: list[Any], *, rate: float, seconds: float) -> load.LoadResult:
    """Lookups through the gateway at `rate` per second."""

    def request(seq: int) -> tuple[str, bytes]:
        path, key, text = mix[seq % len(mix)]
        return path, orjson.dumps({key: text})

    headers = {"Authorization": f"Bearer {env.ADMIN_KEY}"}
    return load.open_loop(port, headers=headers, request=request, rate=rate, seconds=seconds)


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


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


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
        groups["redis"] = profiling.matching("redis-server")
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
    """Routed lookups vs direct SQL, at the same rate on the same keys."""
    rate, seconds = args.lookup_rate, args.lookup_seconds
    print(
        f"[lookup] {rate:.0f} req/s for {seconds:.0f} s; worker {args.processes} x "
        f"{args.threads}, lookups {args.lookup_processes} x {args.lookup_threads}",
        flush=True,
    )
    titles, places = seed_rows()
    mix = requests(titles, places)
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
            answered(port, mix)  # workers booted, the gazetteer loaded
            routed(port, mix[::-1], rate=rate, seconds=4)  # warm-up: classifiers, pools
            workers.queues.drain(LOOKUP_QUEUES)  # what the warm-up left must not be timed
            meter = profiling.CpuMeter({"gateway": profiling.children(gateway_pid), **groups})
            meter.start()
            result = routed(port, mix, rate=rate, seconds=seconds)
            _print_cpu(meter.stop(), result.requests)
            workers.queues.drain(LOOKUP_QUEUES)
            most = capacity(port, mix)
        baseline = direct(workers.database_url, mix, rate=rate, seconds=seconds)
    return [*figures(result, baseline, rate=rate), most]


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


def figures(result: load.LoadResult, baseline: list[float], *, rate: float) -> list[Figure]:
    """p50 and p99 of routed lookups against the direct SELECT's."""
    per_kind = {
        name: result.percentile_ms(0.99, tag=path)
        for name, path in (("titles", TITLE_PATH), ("locations", LOCATION_PATH))
    }
    print(
        f"    {result.requests} lookups ({result.errors} not 200: {dict(result.statuses)}), "
        f"{result.throughput:.1f}/s; p99 "
        + ", ".join(f"{k} {v:.1f} ms" for k, v in per_kind.items())
    )
    p50, p99 = result.percentile_ms(0.5), result.percentile_ms(0.99)
    base50, base99 = _ms(baseline, 0.5), _ms(baseline, 0.99)
    note = f"{result.errors} not answered with 200" if result.errors else ""
    out = [
        Figure(BENCH, f"routed lookup p50 @{rate:.0f}/s", p50, "ms", base50, p50 / base50),
        Figure(
            BENCH,
            f"routed lookup p99 @{rate:.0f}/s",
            p99,
            "ms",
            base99,
            p99 / base99,
            f"<= {MAX_P99_MS:.0f} ms",
            p99 <= MAX_P99_MS and not result.errors,
            note,
        ),
        Figure(BENCH, "direct SQL lookup mean", statistics.mean(baseline) * 1000, "ms"),
    ]
    for figure in out:
        show(figure)
    return out
