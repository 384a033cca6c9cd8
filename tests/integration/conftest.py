"""Fixtures that run the real gateway and real dramatiq workers on real Redis + PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from schemas.settings import Settings
from tests.conftest import ADMIN_KEY, app_and_workers

CHAIN = ("store_raw", "extract_profile", "sync_core")

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}

pytestmark = pytest.mark.integration


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The gateway app on the test's database and Redis namespace."""
    with TestClient(app_and_workers(settings), headers=AUTH) as test_client:
        yield test_client


@pytest.fixture
def worker(client: TestClient) -> Iterator[dramatiq.Worker]:
    """A dramatiq worker with several threads, consuming every stage queue."""
    broker = dramatiq.get_broker()
    worker = dramatiq.Worker(broker, worker_threads=4, worker_timeout=50)
    worker.start()
    yield worker
    worker.stop(timeout=10_000)


def wait_job(
    client: TestClient,
    job_id: str,
    *,
    until: tuple[str, ...] = ("succeeded", "dead"),
    timeout: float = 20.0,
) -> dict[str, Any]:
    """Poll `GET /jobs/{id}` until its status is one of `until`."""
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = client.get(f"/jobs/{job_id}").json()
        if body.get("status") in until:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {body.get('status')}: {body}")
        time.sleep(0.05)


def drain(worker: dramatiq.Worker, queues: tuple[str, ...] = CHAIN) -> None:
    """Wait until every stage queue is empty and the worker is idle, twice over."""
    broker = worker.broker
    for _ in range(2):
        for queue in queues:
            broker.join(queue, timeout=20_000)
        worker.join()


def table_counts(engine: Engine) -> dict[str, int]:
    """Row count of every table in the service's schemas (ops excluded: it logs history)."""
    from pipeline.tables import metadata

    counts = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.schema != "ops":
                counts[table.fullname] = conn.execute(
                    text(f"SELECT count(*) FROM {table.fullname}")
                ).scalar_one()
    return counts


#: Debian's headless Chromium and its driver (`.ci/run` installs them; nothing is downloaded).
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1400",
)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium (Selenium) for every browser test of the session."""
    from pathlib import Path

    from tests.conftest import _unavailable

    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        _unavailable("chromium", FileNotFoundError(f"{CHROMIUM} or {CHROMEDRIVER}"))
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as err:
        _unavailable("selenium", err)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()
