"""Fixtures of the fault suite: private Redis and PostgreSQL, worker subprocesses, a gateway.

Nothing here touches the shared services on 5432/6379: the suite kills and restarts what
it starts itself. Run it alone with `pytest -m faults`; skip it with `-m "not faults"`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from pipeline import store
from schemas.settings import Settings
from tests.conftest import ADMIN_KEY, ROOT, _unavailable, exported_env
from tests.faults.harness import (
    BatchWatch,
    FaultRun,
    PostgresServer,
    RedisServer,
    WorkerProcess,
)

TEMPLATE = "hq_faults_template"


@pytest.fixture(scope="session")
def fault_dir() -> Iterator[Path]:
    """A short temporary path (Unix socket paths are limited to ~100 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="hqf-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def private_redis(fault_dir: Path) -> Iterator[RedisServer]:
    """Our own redis-server with AOF on; tests may kill and restart it."""
    directory = fault_dir / "redis"
    directory.mkdir()
    server = RedisServer(directory)
    try:
        server.start()
    except (OSError, AssertionError) as err:  # pragma: no cover - environment
        _unavailable("redis-server", err)
    yield server
    server.kill()


@pytest.fixture(scope="session")
def private_pg(fault_dir: Path) -> Iterator[PostgresServer]:
    """An embedded PostgreSQL with a migrated template database; tests may stop it."""
    try:
        server = PostgresServer(fault_dir / "pg")
    except Exception as err:  # pragma: no cover - environment
        _unavailable("embedded PostgreSQL", err)
    _admin(server, f'CREATE DATABASE "{TEMPLATE}"')
    _migrate(server.url(TEMPLATE))
    yield server
    server.stop()


def _admin(server: PostgresServer, sql: str) -> None:
    with psycopg.connect(server.server.get_uri("postgres"), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")


@pytest.fixture
def fault_db(private_pg: PostgresServer) -> Iterator[str]:
    """A fresh database on the private server for one test."""
    name = f"hqf_{uuid.uuid4().hex[:10]}"
    private_pg.start()  # a test that stopped it and failed must not break the next one
    _admin(private_pg, f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    yield private_pg.url(name)
    private_pg.start()
    _admin(private_pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fault_env(
    fault_db: str, private_redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """The environment shared by the gateway (this process) and the worker subprocesses."""
    with exported_env(
        monkeypatch,
        database_url=fault_db,
        redis_url=private_redis.url,
        namespace=f"hqf-{uuid.uuid4().hex[:8]}",
        backoff_ms=(100, 1000),
    ) as env:
        yield env


@pytest.fixture
def gateway(fault_env: dict[str, str]) -> Iterator[TestClient]:
    """The real gateway app; a failed request is an answer (500/503), not a test error."""
    from gateway.app import create_app

    app = create_app(Settings())
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with TestClient(app, headers=headers, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def workers(
    fault_env: dict[str, str], fault_dir: Path
) -> Iterator[Callable[..., list[WorkerProcess]]]:
    """Start `count` `dramatiq workers` subprocesses on the test's env (plus `env`; `threads`
    each; `setup`: the entry point, e.g. the batch hooks), booting in parallel (call
    `wait_ready()` on each before relying on them); all are stopped afterwards."""
    started: list[WorkerProcess] = []
    logs = fault_dir / "logs"
    logs.mkdir(exist_ok=True)

    def start(
        count: int = 1, *, threads: int = 4, setup: str = "workers:setup", **env: str
    ) -> list[WorkerProcess]:
        batch = []
        for _ in range(count):
            name = f"{fault_env['HQ_QUEUE_NAMESPACE']}-w{len(started)}.log"
            worker = WorkerProcess({**fault_env, **env}, logs / name, threads=threads, setup=setup)
            started.append(worker)
            batch.append(worker.start())
        return batch

    yield start
    for worker in started:  # all at once: each takes a second or two to shut down
        worker.terminate()
    for worker in started:
        worker.wait_stopped()


@pytest.fixture
def engine(fault_db: str) -> Iterator[Engine]:
    eng = store.make_engine(fault_db, pool_size=2)
    yield eng
    eng.dispose()


@pytest.fixture
def broker_client(private_redis: RedisServer) -> redis.Redis:
    """A plain client for looking at what the broker holds."""
    return redis.Redis.from_url(private_redis.url)


@pytest.fixture
def report(capsys: pytest.CaptureFixture[str]) -> Callable[..., None]:
    """Print one row of the fault table straight to the terminal."""

    def row(**values: Any) -> None:
        with capsys.disabled():
            print("\nFAULT " + json.dumps(values, sort_keys=False))

    return row


@pytest.fixture
def run(
    gateway: TestClient,
    workers: Callable[..., list[WorkerProcess]],
    engine: Engine,
    broker_client: redis.Redis,
    fault_env: dict[str, str],
    report: Callable[..., None],
) -> FaultRun:
    """The test's whole system, for a scenario to start, break and conclude."""
    namespace = fault_env["HQ_QUEUE_NAMESPACE"]
    return FaultRun(gateway, engine, broker_client, namespace, workers, report)


@pytest.fixture
def watch(tmp_path: Path) -> BatchWatch:
    """Where hooked workers record their batches and say which one they hold open."""
    return BatchWatch(tmp_path / "batches")
