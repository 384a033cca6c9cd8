"""`/dashboard`: its login cookie's reach (TestClient) and a real headless Chromium run.

The browser test needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them)
and the `selenium` package; it installs nothing itself. Set `HQ_DASHBOARD_SCREENSHOT` to a
path to keep the screenshot it takes (docs/dashboard.png was made that way).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dramatiq
import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from pipeline.errors import PermanentError
from schemas.settings import Settings
from tests.conftest import ADMIN_KEY, _unavailable, app_and_workers, create_key, load_fixture
from tests.integration.conftest import AUTH
from workers import stages

INGEST = "/run/people/clay-native/person-profile/ingest"
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

pytestmark = pytest.mark.integration


def test_the_session_opens_the_dashboard_and_nothing_else(
    client: TestClient, engine: Engine
) -> None:
    del client.headers["Authorization"]
    assert "Sign in" in client.get("/dashboard").text
    bad = client.post("/dashboard/login", data={"key": "hq_not-a-key"})
    assert bad.status_code == 401 and "invalid or revoked" in bad.text
    scoped = _scoped_key(engine)
    assert client.post("/dashboard/login", data={"key": scoped}).status_code == 403
    cross = client.post(
        "/dashboard/login", data={"key": ADMIN_KEY}, headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 403 and "hq_session" not in client.cookies

    login = client.post("/dashboard/login", data={"key": ADMIN_KEY}, follow_redirects=False)

    assert login.status_code == 303
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/dashboard" in cookie
    assert ADMIN_KEY.lower() not in cookie
    assert "Dead letters" in client.get("/dashboard").text
    # The session is not an API key: no API route takes it, with or without a header.
    session = {"Cookie": f"hq_session={client.cookies['hq_session']}", "X-HQ-Dashboard": "1"}
    assert client.get("/dead-letters", headers=session).status_code == 401
    assert client.get(f"/jobs/{uuid.uuid4()}", headers=session).status_code == 401
    client.post("/dashboard/logout")
    assert "Sign in" in client.get("/dashboard").text


def _scoped_key(engine: Engine) -> str:
    _, key = create_key(engine, client_domain="acme.com", name="acme")
    return key


@pytest.fixture
def live(settings: Settings) -> Iterator[str]:
    """The app under uvicorn in a thread, with a dramatiq worker beside it."""
    app = app_and_workers(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    worker = dramatiq.Worker(dramatiq.get_broker(), worker_threads=2, worker_timeout=50)
    worker.start()
    yield f"http://127.0.0.1:{port}"
    worker.stop(timeout=10_000)
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium driven by Selenium (Debian's binaries; nothing is downloaded)."""
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


def _wait(api: httpx.Client, job_id: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        job: dict[str, Any] = api.get(f"/jobs/{job_id}").json()
        if job.get("status") == status:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def test_operator_sees_counts_and_replays_a_dead_letter(
    live: str, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # Given sync_core is poisoned for one message, so the first job dies there...
    real, poisoned = stages.sync_core.fn, []

    def poison(**kwargs: Any) -> Any:
        if not poisoned:
            poisoned.append(kwargs["job_id"])
            raise PermanentError("poisoned for a test: sync_core refused this person")
        return real(**kwargs)

    monkeypatch.setattr(stages.sync_core, "fn", poison)
    with httpx.Client(base_url=live, headers=AUTH, timeout=10) as api:
        victim = api.post(INGEST, json=load_fixture("payloads/clay_a.json")).json()["job_id"]
        _wait(api, victim, "dead")
        # ...and the next one succeeds.
        healthy = api.post(INGEST, json=load_fixture("payloads/pdl_a.json")).json()["job_id"]
        _wait(api, healthy, "succeeded")
        letter = api.get("/dead-letters").json()["items"][0]

        browser.get(f"{live}/dashboard")
        browser.find_element(By.ID, "key").send_keys(ADMIN_KEY)
        browser.find_element(By.ID, "sign-in").click()

        assert browser.find_element(By.ID, "count-dead").text == "1"
        assert browser.find_element(By.ID, "count-succeeded").text == "1"
        row = browser.find_element(By.CSS_SELECTOR, f"#dead-letters tr[data-id='{letter['id']}']")
        assert "sync_core" in row.text and "poisoned for a test" in row.text
        assert browser.find_element(By.CSS_SELECTOR, "#queues tr[data-queue='sync_core']")
        _screenshot(browser)
        cookie = browser.get_cookie("hq_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

        # When the operator clicks Replay (the stage is healthy again)...
        row.find_element(By.CSS_SELECTOR, "button.replay").click()
        outcome = row.find_element(By.CSS_SELECTOR, ".outcome")
        WebDriverWait(browser, 10).until(lambda _d: outcome.text)
        assert outcome.text == "job running again"

        # ...then the job's page shows it succeeded, at the stage that had failed.
        browser.get(f"{live}/dashboard?job={victim}")
        deadline = time.monotonic() + 20
        while browser.find_element(By.ID, "job-status").get_attribute("data-status") != "succeeded":
            assert time.monotonic() < deadline, browser.find_element(By.ID, "job").text
            time.sleep(0.2)
            browser.refresh()
        assert "sync_core" in browser.find_element(By.ID, "job-stages").text
        assert api.get(f"/jobs/{victim}").json()["replays"] == 1
        browser.get(f"{live}/dashboard")
        assert browser.find_element(By.ID, "count-succeeded").text == "2"
        assert browser.find_element(By.ID, "count-dead").text == "0"


def _screenshot(browser: Any) -> None:
    target = os.environ.get("HQ_DASHBOARD_SCREENSHOT")
    if target:
        shutil.rmtree(Path(target).with_suffix(".tmp"), ignore_errors=True)
        assert browser.save_screenshot(target)
