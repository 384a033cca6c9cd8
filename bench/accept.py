"""Accept: webhook throughput and p99 of the real gateway vs a plain FastAPI endpoint.

The baseline (`bench.apps.bare_app`) is what an outside user would write for the same
webhook: a stock FastAPI app parsing the same body into a plain model of its top-level
fields. The gateway runs with rate limiting off (`env.service_env`), so both answer every
request; `--profile-dir` also prints, for each app, its server CPU per request split into
the parts of accepting a webhook (`PARTS`: auth, JSON parse, body model, Clay lint and
bounds walk, exact-number check, de-dup hash, enqueue, 202 answer, routing, dependencies,
framework, server), measured from py-spy's samples.

Both apps run as one uvicorn process on a loopback port, loaded from this process (wrk if
installed, else `bench.load`'s asyncio client) with 8–30 KB bodies, each one unique so
de-duplication never short-circuits. The gateway runs on a private redis-server (or, with
`--accept-redis shared`, the shared one in a scratch namespace: other people's slow
commands there stall it for milliseconds at a time) and a scratch database; nothing
consumes its queue, so a trimmer drops the queued messages every half second to keep Redis
small (de-dup keys stay until cleanup). Rounds alternate bare / gateway, so drift on a
shared machine hits both alike.

With N connections kept busy, Little's law ties latency to throughput: p50 is at least
N / throughput, so the closed-loop p99 mostly measures how saturated the server is (32
connections at 400 req/s wait 80 ms whatever the code does). What a webhook sender sees at
a sustainable pace is measured as well: both apps are sent requests at a fixed rate (a
fraction of the gateway's closed-loop throughput, `--accept-open-fraction`), and each is
timed from when it was due.
"""

from __future__ import annotations

import argparse
import statistics
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import redis

from bench import env, load, payloads, profiling
from bench.apps import INGEST_PATH
from bench.report import Figure, show

BENCH = "accept"
APPS = {"bare": "bench.apps:bare_app", "gateway": "gateway.app:create_app"}
#: Targets: gateway throughput ≥ 0.5× bare; p99 ≤ 50 ms at 32 connections.
MIN_RATIO, MAX_P99_MS = 0.5, 50.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This benchmark's flags."""
    group = parser.add_argument_group("accept")
    group.add_argument("--accept-connections", type=int, default=32)
    group.add_argument("--accept-seconds", type=float, default=8.0, help="per measured run")
    group.add_argument("--accept-rounds", type=int, default=2, help="bare/gateway pairs")
    group.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    group.add_argument(
        "--check-loadgen", action="store_true", help="also load the bare app with both generators"
    )
    group.add_argument("--accept-redis", choices=("private", "shared"), default="private")
    group.add_argument(
        "--accept-open-fraction",
        type=float,
        default=0.5,
        help="open-loop rate as a fraction of the gateway's throughput (0: skip)",
    )


def _bodies() -> list[bytes]:
    return [payloads.encoded(i) for i in range(len(payloads.templates()))]


def _python_body(bodies: list[bytes], tag: str) -> load.BodyFn:
    def body(seq: int) -> bytes:
        return b'{"clay_row_id":"%s-%d",' % (tag.encode(), seq) + bodies[seq % len(bodies)][1:]

    return body


def drive(
    port: int, *, generator: str, connections: int, seconds: float, tag: str
) -> load.LoadResult:
    """Load the ingest path on `port` for `seconds` with `connections` connections."""
    headers = {"Authorization": f"Bearer {env.ADMIN_KEY}"}
    bodies = _bodies()
    if generator == "wrk":
        return load.wrk(
            port,
            INGEST_PATH,
            headers=headers,
            bodies=bodies,
            connections=connections,
            seconds=seconds,
            tag=tag,
        )
    return load.closed_loop(
        port,
        INGEST_PATH,
        headers=headers,
        body=_python_body(bodies, tag),
        connections=connections,
        seconds=seconds,
    )


@contextmanager
def _redis(which: str) -> Iterator[str]:
    """The URL of the Redis the gateway runs on: a private server, or the shared one."""
    if which == "shared":
        yield env.REDIS_URL
        return
    with env.private_redis() as url:
        yield url


@contextmanager
def trimmer(redis_url: str, namespace: str) -> Iterator[None]:
    """Drop the gateway's queued messages every 0.5 s while the block runs."""
    client = redis.Redis.from_url(redis_url)
    stop = threading.Event()
    keys = [f"{namespace}:store_raw", f"{namespace}:store_raw.msgs"]

    def loop() -> None:
        while not stop.wait(0.5):
            client.unlink(*keys)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        client.unlink(*keys)
        client.close()


@contextmanager
def _warm_server(
    app: str,
    service_env: dict[str, str],
    args: argparse.Namespace,
    *,
    generator: str,
    name: str,
    tag: str,
) -> Iterator[tuple[int, int]]:
    """`app` served as `name` with its queue trimmed, after 2 s of warm-up load; (port, pid)."""
    with env.server(APPS[app], env=service_env, name=name) as (port, pid):
        with trimmer(service_env["REDIS_URL"], service_env["HQ_QUEUE_NAMESPACE"]):
            drive(
                port,
                generator=generator,
                connections=args.accept_connections,
                seconds=2,
                tag=f"{tag}-warm",
            )
            yield port, pid


def _measure(
    app: str, service_env: dict[str, str], args: argparse.Namespace, *, generator: str, tag: str
) -> load.LoadResult:
    name = f"accept-{app}"
    server = _warm_server(app, service_env, args, generator=generator, name=name, tag=tag)
    with server as (port, pid):
        before = _cpu(pid)
        result = drive(
            port,
            generator=generator,
            connections=args.accept_connections,
            seconds=args.accept_seconds,
            tag=tag,
        )
        result.cpu_seconds = _cpu(pid) - before
    print(
        f"    {app:7s} {generator}: {result.throughput:8.1f} req/s  p50 "
        f"{result.percentile_ms(0.5):6.1f} ms  p99 {result.percentile_ms(0.99):6.1f} ms  "
        f"server CPU {_cpu_ms(result):5.2f} ms/req  errors {result.errors}",
        flush=True,
    )
    return result


def _measure_open(
    app: str, service_env: dict[str, str], args: argparse.Namespace, *, rate: float
) -> load.LoadResult:
    """Latency of `app` under `rate` requests a second, each timed from when it was due."""
    body = _python_body(_bodies(), f"open-{app}")
    with env.server(APPS[app], env=service_env, name=f"accept-open-{app}") as (port, _pid):
        with trimmer(service_env["REDIS_URL"], service_env["HQ_QUEUE_NAMESPACE"]):
            drive(port, generator="python", connections=8, seconds=2, tag=f"open-{app}-warm")
            result = load.open_loop(
                port,
                headers={"Authorization": f"Bearer {env.ADMIN_KEY}"},
                request=lambda seq: (INGEST_PATH, body(seq)),
                rate=rate,
                seconds=args.accept_seconds,
            )
    print(
        f"    {app:7s} open loop {rate:6.1f} req/s: p50 {result.percentile_ms(0.5):6.1f} ms  "
        f"p99 {result.percentile_ms(0.99):6.1f} ms  errors {result.errors}",
        flush=True,
    )
    return result


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) the server process has used so far."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def _cpu_ms(result: load.LoadResult) -> float:
    return 1000 * (result.cpu_seconds or 0.0) / max(1, result.requests)


#: What a request costs, by part (`profiling.shares`): frames of the parts that claim what
#: they call first (the JSON read inside the exact-number check is the check's), then the
#: rest; whatever else runs inside the app is "framework" (middleware, routing, FastAPI's
#: request handling), and what runs outside it "server and event loop" (uvicorn, asyncio).
PARTS: tuple[profiling.Part, ...] = (
    ("auth", ("Guard._admit", "caller (gateway", "get_admin (", "get_client ("), True),
    ("auth", ("HTTPBearer.__call__", "APIKeyHeader.__call__"), True),
    ("Clay lint and bounds walk", ("bounds_problem", "clean_body", "_lint_clay_values"), True),
    ("exact-number check", ("exact_json", "may_be_inexact", "loads_exactly"), True),
    ("JSON parse", ("Request.json", "JsonBodyRequest.json", "loads_standard"), True),
    ("de-dup hash", ("content_key", "_dedup_key"), True),
    ("enqueue (message, Lua script)", ("Enqueuer.accept", "autopipe.py", "redis/"), True),
    ("202 answer", ("_accepted (", "job_url", "serialize_response", "PlainAccepted"), True),
    ("202 answer", ("starlette/responses.py",), True),
    ("body model (pydantic)", ("validate_python", "request_body_to_args"), False),
    ("dependencies", ("solve_dependencies",), False),
    ("routing", ("_match (", ".matches (", "url_path_for"), False),
)


def _profile(service_env: dict[str, str], args: argparse.Namespace, generator: str) -> None:
    """Load each app once more under py-spy; print where its time goes, by part, in µs."""
    out = Path(args.profile_dir)
    for app in ("bare", "gateway"):
        name = f"accept-profiled-{app}"
        server = _warm_server(app, service_env, args, generator=generator, name=name, tag=name)
        raw = out / f"accept-{app}"
        with server as (port, pid), profiling.record(pid, raw, seconds=args.accept_seconds):
            before = _cpu(pid)
            result = drive(
                port,
                generator=generator,
                connections=args.accept_connections,
                seconds=args.accept_seconds,
                tag=name,
            )
            result.cpu_seconds = _cpu(pid) - before
        _print_parts(app, raw.with_suffix(".txt"), _cpu_ms(result))


def _print_parts(app: str, raw: Path, cpu_ms: float) -> None:
    """The profile's shares as µs of server CPU per request (py-spy samples GIL time only)."""
    if not raw.exists():
        return
    counts = profiling.shares(raw.read_text(), PARTS, within="FastAPI.__call__", rest="framework")
    total = sum(counts.values()) or 1
    print(f"  {app}: {1000 * cpu_ms:.0f} µs of server CPU per request, by part:")
    for part, count in counts.most_common():
        print(f"    {1000 * cpu_ms * count / total:6.0f} µs  {100 * count / total:5.1f}%  {part}")


def run(args: argparse.Namespace) -> list[Figure]:
    """Measure bare vs gateway over several alternating rounds; returns the figures."""
    generator = args.loadgen
    if generator == "auto":
        generator = "wrk" if load.have_wrk() else "python"
    print(
        f"[accept] {args.accept_connections} connections, {generator}, bodies avg "
        f"{payloads.average_size(len(payloads.templates())) / 1000:.1f} KB",
        flush=True,
    )
    runs: dict[str, list[load.LoadResult]] = {"bare": [], "gateway": []}
    with (
        env.scratch_database() as database_url,
        _redis(args.accept_redis) as redis_url,
        env.redis_namespace(redis_url) as namespace,
    ):
        service_env = env.service_env(
            database_url=database_url, redis_url=redis_url, namespace=namespace
        )
        for number in range(args.accept_rounds):
            for app in ("bare", "gateway"):
                result = _measure(app, service_env, args, generator=generator, tag=f"{app}{number}")
                runs[app].append(result)
        rate = args.accept_open_fraction * statistics.median(r.throughput for r in runs["gateway"])
        if rate > 0:
            for app in ("bare", "gateway"):
                runs[f"open-{app}"] = [_measure_open(app, service_env, args, rate=rate)]
        if args.check_loadgen and load.have_wrk():
            for other in ("python", "wrk"):
                _measure("bare", service_env, args, generator=other, tag=f"check-{other}")
        if args.profile_dir:
            _profile(service_env, args, generator)
    return figures(runs, connections=args.accept_connections)


def figures(runs: dict[str, list[load.LoadResult]], *, connections: int) -> list[Figure]:
    """Throughput ratio and latency figures from the rounds (medians across rounds)."""

    def med(app: str, what: str) -> float:
        values = [
            r.throughput if what == "rps" else r.percentile_ms(0.99 if what == "p99" else 0.5)
            for r in runs[app]
        ]
        return statistics.median(values)

    errors = sum(r.errors for r in runs["gateway"])
    note = f"{errors} non-2xx" if errors else ""
    rps, base = med("gateway", "rps"), med("bare", "rps")
    cpu = statistics.median(_cpu_ms(r) for r in runs["gateway"])
    base_cpu = statistics.median(_cpu_ms(r) for r in runs["bare"])
    p99, base99 = med("gateway", "p99"), med("bare", "p99")
    out = [
        Figure(
            BENCH,
            "throughput",
            rps,
            "req/s",
            base,
            rps / base,
            f">= {MIN_RATIO}x bare",
            rps / base >= MIN_RATIO and not errors,
            note,
        ),
        Figure(
            BENCH,
            f"p99 @{connections} conns",
            p99,
            "ms",
            base99,
            p99 / base99,
            f"<= {MAX_P99_MS:.0f} ms",
            p99 <= MAX_P99_MS,
        ),
        Figure(
            BENCH,
            "server CPU per request",
            cpu,
            "ms",
            base_cpu,
            cpu / base_cpu,
            note="load-robust cross-check: ratio ~ 1 / throughput ratio when CPU-bound",
        ),
        Figure(
            BENCH,
            f"p50 @{connections} conns",
            med("gateway", "p50"),
            "ms",
            med("bare", "p50"),
            med("gateway", "p50") / med("bare", "p50"),
        ),
    ]
    if runs.get("open-gateway"):
        out.append(_open_figure(runs["open-gateway"][0], runs["open-bare"][0]))
    for figure in out:
        show(figure)
    return out


def _open_figure(gateway: load.LoadResult, bare: load.LoadResult) -> Figure:
    """p99 at a fixed, sustainable rate (see the module docstring)."""
    p99, base = gateway.percentile_ms(0.99), bare.percentile_ms(0.99)
    rate = gateway.requests / gateway.seconds if gateway.seconds else 0.0
    return Figure(
        BENCH,
        f"p99 @{rate:.0f} req/s open loop",
        p99,
        "ms",
        base,
        p99 / base if base else None,
        f"<= {MAX_P99_MS:.0f} ms",
        p99 <= MAX_P99_MS and not gateway.errors,
        f"{gateway.errors} non-2xx" if gateway.errors else "",
    )
