"""Shared test fixtures: real PostgreSQL (one template, a fresh database per test) and Redis.

A missing service skips the tests that need it on a developer's machine and fails them in
CI (`CI=true`), as dramatiq's own suite does.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine

from pipeline import store
from schemas.settings import Settings

ROOT = Path(__file__).resolve().parents[1]

# Speed is measured in bench/, never asserted by a test: on a shared 2-core machine a
# property test must not fail because one example was slow (hypothesis' 200 ms deadline).
hypothesis_settings.register_profile("hq", deadline=None)
hypothesis_settings.load_profile("hq")

#: Server-level URL used to create and drop per-test databases.
PG_ADMIN_DSN = os.environ.get("HQ_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("HQ_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

#: The admin key the tests authenticate with (not a secret: test-only).
ADMIN_KEY = "test-admin-key"


def fixtures_dir() -> Path:
    """`../shared/fixtures` beside the repo, or `HQ_FIXTURES_DIR`."""
    env = os.environ.get("HQ_FIXTURES_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "fixtures"


#: Why a test that needs the shared fixtures did not run.
MISSING_FIXTURES = "shared fixtures not found: set HQ_FIXTURES_DIR or check out ../shared/fixtures"


def shared_fixtures(needed: str) -> Path | None:
    """The shared fixtures folder when it holds the file `needed`, else None."""
    path = fixtures_dir()
    return path if (path / needed).is_file() else None


def fixture_params(name: str, *, id_key: str) -> list[Any]:
    """One pytest param per item of the shared fixture file `name` (ids from `id_key`), or
    one skipped param when the file is missing."""
    path = shared_fixtures(name)
    if path is None:
        skip = pytest.mark.skip(reason=MISSING_FIXTURES)
        return [pytest.param(None, marks=skip, id="no-fixtures")]
    items = json.loads((path / name).read_text(encoding="utf-8"))["items"]
    return [pytest.param(item, id=item[id_key]) for item in items]


def load_fixture(name: str) -> Any:
    path = fixtures_dir() / name
    if not path.exists():
        pytest.skip(f"fixture {path} is not available")
    return json.loads(path.read_text())


def _unavailable(what: str, err: Exception) -> None:
    message = f"{what} is not reachable: {err}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _dsn(database: str) -> str:
    return PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + database


def _admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def template_db() -> Iterator[str]:
    """A database migrated to head once per session, cloned by every test."""
    try:
        psycopg.connect(PG_ADMIN_DSN, connect_timeout=3).close()
    except Exception as err:  # pragma: no cover - environment
        _unavailable("PostgreSQL", err)
    from alembic import command
    from alembic.config import Config

    name = f"hq_template_{os.getpid()}"
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("sqlalchemy.url", "postgresql+psycopg://" + _dsn(name).split("://", 1)[1])
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")
    yield name
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(template_db: str) -> Iterator[str]:
    """A fresh database for one test, cloned from the template."""
    name = f"hq_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    yield "postgresql+psycopg://" + _dsn(name).split("://", 1)[1]
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> str:
    """The real Redis; each test isolates itself with its own key namespace."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as err:  # pragma: no cover - environment
        _unavailable("Redis", err)
    return REDIS_URL


@pytest.fixture
def namespace() -> Iterator[str]:
    """A Redis key prefix for one test; its keys are deleted afterwards."""
    ns = f"hqtest-{uuid.uuid4().hex[:10]}"
    yield ns
    try:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{ns}*", count=1000):
            client.delete(key)
    except Exception:
        pass


@pytest.fixture
def settings(
    database_url: str, redis_url: str, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Settings for one test on real services, also exported so `get_settings()` agrees."""
    with exported_env(
        monkeypatch,
        database_url=database_url,
        redis_url=redis_url,
        namespace=namespace,
        backoff_ms=(50, 200),
    ):
        yield Settings()


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """An engine on the test's database, for setting up and checking rows."""
    assert settings.database_url
    eng = store.make_engine(settings.database_url, pool_size=2)
    yield eng
    eng.dispose()


def create_key(
    engine: Engine, *, client_domain: str | None = None, name: str = "test"
) -> tuple[int, str]:
    """Create a key as `hq-ingest keys create` does (admin when no `client_domain`);
    returns its id and the key itself."""
    from gateway.auth import generate_key, hash_key
    from pipeline.store import keys

    key = generate_key()
    with engine.begin() as conn:
        key_id = keys.insert_key(
            conn,
            name=name,
            key_hash=hash_key(key),
            prefix=key[:8],
            is_admin=client_domain is None,
            client_domain=client_domain,
        )
    return key_id, key


@contextmanager
def exported_env(
    monkeypatch: pytest.MonkeyPatch,
    *,
    database_url: str,
    redis_url: str,
    namespace: str,
    backoff_ms: tuple[int, int],
) -> Iterator[dict[str, str]]:
    """The environment the app (and any worker it starts) runs a test with, exported with
    the settings and engine caches cleared on the way in and out."""
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "HQ_ADMIN_API_KEY": ADMIN_KEY,
        "HQ_QUEUE_NAMESPACE": namespace,
        "HQ_MIN_BACKOFF_MS": str(backoff_ms[0]),
        "HQ_MAX_BACKOFF_MS": str(backoff_ms[1]),
        "HQ_MAX_RETRIES": "2",
        "HQ_DB_POOL_SIZE": "4",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    _clear_caches()
    yield env
    _clear_caches()


def _clear_caches() -> None:
    from schemas.settings import get_settings
    from workers.broker import get_engine

    get_settings.cache_clear()
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()


def app_and_workers(settings: Settings) -> Any:
    """The gateway app, with this process's workers set up on the same settings.

    `hq-ingest serve` and the Procfile run them as separate processes; a test runs both in
    one: the workers' broker becomes dramatiq's global one (`dramatiq.get_broker()`), with
    every actor declared, and the app sends through a broker of its own, as in production.
    """
    from gateway.app import create_app
    from workers.broker import setup_broker

    setup_broker(settings)
    return create_app(settings)
