"""Scratch services for one benchmark run: a database, a Redis namespace, child processes.

Everything is created for the run and removed afterwards: a `CREATE DATABASE … ; alembic
upgrade head` database on the shared PostgreSQL (dropped at the end), a unique
`HQ_QUEUE_NAMESPACE` on the shared Redis (its keys deleted), or a private `redis-server` on
a spare port where other people's keys would disturb a measurement. The shared services are
never stopped or reconfigured. Child processes (uvicorn, dramatiq) are ended by their pid.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[1]

#: Server-level PostgreSQL URL used to create and drop the scratch database.
PG_ADMIN_DSN = os.environ.get("HQ_BENCH_PG_DSN") or os.environ.get(
    "HQ_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
#: The shared Redis the accept and chain benchmarks run on (in their own namespace).
REDIS_URL = os.environ.get("HQ_BENCH_REDIS_URL") or os.environ.get(
    "HQ_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"
)
#: The admin key of this run's gateway (random, never stored).
ADMIN_KEY = "bench-" + secrets.token_hex(12)

#: Where child-process logs go; printed when a child fails to start.
LOG_DIR = Path(tempfile.gettempdir()) / "hq-bench"


def _admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql.encode())


def _url(database: str) -> str:
    """A SQLAlchemy URL for `database` on the admin DSN's server."""
    server = PG_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    return f"postgresql+psycopg://{server}/{database}"


@contextmanager
def scratch_database() -> Iterator[str]:
    """A new database migrated to head; yields its URL and drops it afterwards."""
    from alembic import command
    from alembic.config import Config

    name = f"hq_bench_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        cfg = Config(str(ROOT / "alembic.ini"))
        cfg.set_main_option("script_location", str(ROOT / "alembic"))
        cfg.set_main_option("sqlalchemy.url", _url(name))
        cfg.attributes["configure_logger"] = False
        command.upgrade(cfg, "head")
        yield _url(name)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def delete_namespace(url: str, namespace: str) -> None:
    """Delete every key of `namespace` (queues, results, de-dup keys) from Redis at `url`."""
    client = redis.Redis.from_url(url)
    batch = []
    for key in client.scan_iter(f"{namespace}*", count=1000):
        batch.append(key)
        if len(batch) == 500:
            client.unlink(*batch)
            batch.clear()
    if batch:
        client.unlink(*batch)
    client.close()


@contextmanager
def redis_namespace(url: str = REDIS_URL) -> Iterator[str]:
    """A unique key prefix on the shared Redis, cleaned afterwards."""
    namespace = f"hqbench-{uuid.uuid4().hex[:10]}"
    try:
        yield namespace
    finally:
        delete_namespace(url, namespace)


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def private_redis() -> Iterator[str]:
    """Our own redis-server on a spare port (no persistence); yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not on PATH (apt-get install redis-server)")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="hq-bench-redis-")
    cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    cmd += ["--appendonly", "no", "--dir", workdir]
    url = f"redis://127.0.0.1:{port}/0"
    with child(cmd, name="redis"):
        _wait(lambda: bool(redis.Redis.from_url(url).ping()), what="private redis-server")
        yield url
    shutil.rmtree(workdir, ignore_errors=True)


def service_env(
    *, database_url: str, redis_url: str, namespace: str, **extra: str
) -> dict[str, str]:
    """The environment of a gateway or worker child for this run."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        HQ_QUEUE_NAMESPACE=namespace,
        HQ_ADMIN_API_KEY=ADMIN_KEY,
        # The benchmark is one client sending as fast as it can: no rate limit (0 = off),
        # neither a throttle nor its Redis round trip per request.
        HQ_RATE_LIMIT_PER_MINUTE="0",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


@contextmanager
def child(
    cmd: list[str], *, name: str, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `cmd` for the duration of the block; SIGTERM (then SIGKILL) it by pid afterwards."""
    LOG_DIR.mkdir(exist_ok=True)
    log_path = LOG_DIR / f"{name}-{os.getpid()}-{uuid.uuid4().hex[:6]}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=dict(env or os.environ), stdout=log, stderr=log)
        try:
            yield proc
        except BaseException:
            _print_tail(log_path, name)
            raise
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _print_tail(path: Path, name: str) -> None:
    lines = path.read_text(errors="replace").splitlines()[-30:]
    print(f"--- last lines of {name} log ({path}) ---", file=sys.stderr)
    print("\n".join(lines), file=sys.stderr)


def _wait(check: Callable[[], bool], *, what: str, timeout: float = 60.0) -> None:
    """Poll `check` until it returns True (exceptions count as not yet)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not come up within {timeout:.0f} s")
        time.sleep(0.1)


def uvicorn_cmd(app: str, port: int) -> list[str]:
    """One uvicorn process (no supervisor) serving the factory `app` on loopback `port`."""
    cmd = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1"]
    return [*cmd, "--port", str(port), "--no-access-log", "--log-level", "warning"]


@contextmanager
def server(
    app: str, *, env: Mapping[str, str], name: str, workers: int = 1
) -> Iterator[tuple[int, int]]:
    """Serve `app` with uvicorn until the block ends; yields (port, pid) once /healthz answers.

    `workers` > 1 runs uvicorn's supervisor with that many worker processes, as the
    Procfile's `web` line does (`pid` is the supervisor's).
    """
    port = free_port()
    cmd = uvicorn_cmd(app, port) + (["--workers", str(workers)] if workers > 1 else [])
    with child(cmd, name=name, env=env) as proc:
        url = f"http://127.0.0.1:{port}/healthz"
        _wait(lambda: _get_ok(url, proc), what=f"{name} on port {port}")
        yield port, proc.pid


def _get_ok(url: str, proc: subprocess.Popen[bytes]) -> bool:
    if proc.poll() is not None:
        raise RuntimeError(f"process exited with {proc.returncode}")
    with urllib.request.urlopen(url, timeout=2) as response:
        return bool(response.status == 200)


def dramatiq_cmd(
    *, processes: int, threads: int, module: str = "bench.chain_actors:setup"
) -> list[str]:
    """`dramatiq <module>` as the Procfile's worker runs it, with the given concurrency."""
    exe = str(Path(sys.executable).with_name("dramatiq"))
    return [exe, module, "--processes", str(processes), "--threads", str(threads)]
