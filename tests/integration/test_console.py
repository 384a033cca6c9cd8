"""The operator's console in headless Chromium, clicking through data each test makes.

Each test runs the app under uvicorn with a dramatiq worker beside it and drives one shared
Chromium (`chromium` in conftest). Set `HQ_CONSOLE_SCREENSHOTS` to a folder to keep a
screenshot of each view (docs/console-*.png were made that way).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dramatiq
import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, insert

from pipeline import tables as t
from pipeline.errors import PermanentError
from schemas.settings import Settings
from tests.conftest import ADMIN_KEY, app_and_workers, load_fixture
from tests.integration.conftest import AUTH
from workers import stages

INGEST = "/run/people/clay-native/person-profile/ingest"
LEADS = "/run/client/leads/ingest"
FIRMOGRAPHICS = "/run/companies/clay-native/firmographics/ingest"

pytestmark = pytest.mark.integration


@pytest.fixture
def live(settings: Settings) -> Iterator[str]:
    """The app under uvicorn in a thread, with a dramatiq worker beside it."""
    config = uvicorn.Config(
        app_and_workers(settings), host="127.0.0.1", port=0, log_level="warning", ws="none"
    )
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
def browser(chromium: Any, live: str) -> Any:
    """The shared Chromium, signed in to this test's app."""
    from selenium.webdriver.common.by import By

    chromium.delete_all_cookies()
    chromium.get(f"{live}/dashboard")
    chromium.find_element(By.ID, "key").send_keys(ADMIN_KEY)
    chromium.find_element(By.ID, "sign-in").click()
    chromium.find_element(By.ID, "count-dead")
    return chromium


def _wait(api: httpx.Client, job_id: str, *statuses: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60  # generous: the machine may be busy
    while True:
        job: dict[str, Any] = api.get(f"/jobs/{job_id}").json()
        if job.get("status") in statuses:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def _person(api: httpx.Client, slug: str, **raw: Any) -> str:
    body: dict[str, Any] = load_fixture("payloads/clay_a.json")
    body["linkedin_url"] = f"https://www.linkedin.com/in/{slug}"
    body["raw_payload"] = {**body["raw_payload"], **raw}
    answer = api.post(INGEST, json=body)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["job_id"])


def _go(browser: Any, element: Any) -> None:
    """Click a link or submit button and wait until the next page has replaced this one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 30).until(lambda _driver: _gone(page))


def _gone(element: Any) -> bool:
    """Whether `element`'s page has been replaced (`staleness_of`, plus the race in which
    ChromeDriver, asked about a node of a page being torn down, answers "unknown error: Node
    with given id does not belong to the document" instead of "stale element")."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as err:
        if "does not belong to the document" in str(err.msg):
            return True
        raise
    return False


def _screenshot(browser: Any, name: str) -> None:
    folder = os.environ.get("HQ_CONSOLE_SCREENSHOTS")
    if folder:
        assert browser.save_screenshot(str(Path(folder) / f"console-{name}.png"))


def _rows(browser: Any, table: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(browser.find_elements(By.CSS_SELECTOR, f"#{table} tr[data-{_key(table)}]"))


def _key(table: str) -> str:
    return {"groups": "group", "letters": "id", "jobs": "job", "record-jobs": "job"}.get(
        table, "workflow"
    )


def test_dead_letters_grouped_by_cause_and_a_group_replayed(
    live: str, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # Given sync_core refuses people by a cause their URL names, ids in every message...
    real, cured = stages.sync_core.fn, []

    def poison(**kwargs: Any) -> Any:
        url = str(kwargs.get("linkedin_url"))
        if not cured and "/in/refused-" in url:
            raise PermanentError(f"person '{url}' refused, id {uuid.uuid4()}")
        if "/in/locked-" in url:
            raise PermanentError("company table locked after 3 tries")
        return real(**kwargs)

    monkeypatch.setattr(stages.sync_core, "fn", poison)
    with httpx.Client(base_url=live, headers=AUTH, timeout=10) as api:
        refused = [_person(api, f"refused-{i}") for i in range(3)]
        locked = _person(api, "locked-1")
        for job in [*refused, locked]:
            _wait(api, job, "dead")

        # When the operator opens the dead letters...
        _go(browser, browser.find_element(By.ID, "nav-letters"))
        groups = _rows(browser, "groups")
        assert [g.find_element(By.CSS_SELECTOR, "a.count").text for g in groups] == ["3", "1"]
        assert "person <value> refused, id <uuid>" in groups[0].text
        _screenshot(browser, "dead-letters")

        # ...a group's count opens its letters (a URL to share)...
        _go(browser, groups[0].find_element(By.CSS_SELECTOR, "a.count"))
        assert "group=" in browser.current_url
        assert {r.get_attribute("data-id") for r in _rows(browser, "letters")} == {
            str(i["id"])
            for i in api.get("/dead-letters", params={"error": "refused"}).json()["items"]
        }
        # ...a filter by person (spelt otherwise) narrows to theirs...
        browser.get(f"{live}/dashboard/dead-letters?linkedin_url=LinkedIn.com/in/Locked-1/")
        assert len(_rows(browser, "letters")) == 1 and "locked" in _rows(browser, "groups")[0].text

        # ...and Replay group, confirmed, replays exactly that group.
        browser.get(f"{live}/dashboard/dead-letters")
        cured.append(True)
        row = _rows(browser, "groups")[0]
        row.find_element(By.CSS_SELECTOR, "button.replay-group").click()
        alert = WebDriverWait(browser, 30).until(lambda d: d.switch_to.alert)
        assert alert.text == "Replay 3 dead letters of this group?"
        alert.accept()
        outcome = row.find_element(By.CSS_SELECTOR, ".outcome")
        WebDriverWait(browser, 30).until(lambda _d: outcome.text)
        assert outcome.text == "3 replayed"
        assert {_wait(api, j, "succeeded")["status"] for j in refused} == {"succeeded"}
        assert api.get(f"/jobs/{locked}").json()["status"] == "dead"
        browser.refresh()
        assert [
            g.find_element(By.CSS_SELECTOR, "a.count").text for g in _rows(browser, "groups")
        ] == ["1"]


def test_job_page_shows_the_body_and_why_its_shape_was_refused(live: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    with httpx.Client(base_url=live, headers=AUTH, timeout=10) as api:
        odd = {"name": "{{Full Name}}", "org": "Acme", "experience": [{"title": "#{{Title}}"}]}
        answer = api.post(
            INGEST, json={"linkedin_url": "linkedin.com/in/odd-1", "raw_payload": odd}
        )
        shapeless = str(answer.json()["job_id"])
        _wait(api, shapeless, "dead")
        big = _person(api, "big-1", summary="long " * 6000)
        _wait(api, big, "succeeded")

        # The operator finds the dead job by filtering jobs on their status...
        _go(browser, browser.find_element(By.ID, "nav-jobs"))
        Select(browser.find_element(By.ID, "f-status")).select_by_visible_text("dead")
        _go(browser, browser.find_element(By.ID, "apply"))
        assert "status=dead" in browser.current_url
        [row] = _rows(browser, "jobs")
        _go(browser, row.find_element(By.CSS_SELECTOR, "a"))

        # ...and reads the body and the diagnosis.
        assert "UnknownShapeError" in browser.find_element(By.ID, "job-error").text
        body = browser.find_element(By.ID, "body").text
        assert '"name": "{{Full Name}}"' in body
        markers = browser.find_element(By.CSS_SELECTOR, "#markers tr[data-shape='clay']")
        assert markers.text.split() == ["clay", "1", "org"]
        assert browser.find_element(By.ID, "keys-seen").text == "experience, name, org"
        unresolved = browser.find_element(By.ID, "unresolved").text
        assert (
            "$.name {{Full Name}}" in unresolved
            and "$.experience[0].title #{{Title}}" in unresolved
        )
        _screenshot(browser, "job")

        # A large body is cut, with the whole of it one click away.
        browser.get(f"{live}/dashboard/jobs/{big}")
        assert browser.find_element(By.ID, "body-details").get_attribute("open") is None
        assert "truncated" in browser.find_element(By.ID, "body").get_attribute("textContent")
        assert not browser.find_elements(By.ID, "diagnosis")
        link = browser.find_element(By.ID, "raw-download").get_attribute("href")
        cookie = {c["name"]: c["value"] for c in browser.get_cookies()}
        raw = httpx.get(link, cookies=cookie).json()
        assert raw["summary"] == "long " * 6000 and raw == api.get(f"/jobs/{big}").json().get(
            "raw_payload", raw
        )


def test_jobs_filter_by_person_client_company_and_time(live: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    with httpx.Client(base_url=live, headers=AUTH, timeout=10) as api:
        person = _person(api, "filter-ann")
        lead = load_fixture("leads/lead_a.json")
        answer = api.post(LEADS, json=lead)
        assert answer.status_code == 202, answer.text
        lead_job = str(answer.json()["job_id"])
        _wait(api, person, "succeeded")
        _wait(api, lead_job, "succeeded")

        def shown(query: str) -> set[str]:
            browser.get(f"{live}/dashboard/jobs?{query}")
            return {r.get_attribute("data-job") for r in _rows(browser, "jobs")}

        _go(browser, browser.find_element(By.ID, "nav-jobs"))
        browser.find_element(By.ID, "f-linkedin_url").send_keys(
            "HTTPS://LinkedIn.com/in/Filter-Ann/"
        )
        _go(browser, browser.find_element(By.ID, "apply"))
        assert {r.get_attribute("data-job") for r in _rows(browser, "jobs")} == {person}
        shared = browser.current_url
        assert "linkedin_url=https%3A%2F%2Fwww.linkedin.com%2Fin%2Ffilter-ann" in shared
        assert shown(shared.split("?", 1)[1]) == {person}
        _screenshot(browser, "jobs")

        assert shown("client_domain=WWW.Thistlecove.AI") == {lead_job}
        assert shown("company_domain=skarvik-maritime.no") == {lead_job}
        # The person works at thistlecove.ai: a job about the company's people.
        assert shown("company_domain=https://thistlecove.ai/about") == {person}
        assert shown("workflow=clay-person-profile&status=succeeded") == {person}
        assert shown("stage=sync_core") == {person}
        later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        assert shown(f"since={later}") == set()
        assert shown(f"until={later}") == {person, lead_job}
        browser.get(f"{live}/dashboard/jobs?linkedin_url=not-a-profile")
        assert "LinkedIn profile URL" in browser.find_element(By.ID, "filter-problem").text


def test_workflows_show_traffic_latency_extraction_and_a_stopped_one(
    live: str, browser: Any, engine: Engine
) -> None:
    from selenium.webdriver.common.by import By

    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(t.enrichment_workflow_registry),
            [{"workflow_slug": "clay-old-table", "provider": "clay", "entity_type": "company"}],
        )
        # It had two jobs a day for the last week, none today: stopped.
        old = [now - timedelta(days=2, hours=h * 3) for h in range(14)]
        rows = [_job_row("clay-old-table", "succeeded", at, {"extracted": True}) for at in old]
        # A body a workflow definition could not extract: kept raw, succeeded.
        rows.append(_job_row("clay-person-profile", "succeeded", now, {"extracted": False}))
        conn.execute(insert(t.jobs), rows)
    with httpx.Client(base_url=live, headers=AUTH, timeout=10) as api:
        for i in range(3):
            _wait(api, _person(api, f"wf-{i}"), "succeeded")

    _go(browser, browser.find_element(By.ID, "nav-workflows"))
    row = browser.find_element(
        By.CSS_SELECTOR, "#workflows tr[data-workflow='clay-person-profile']"
    )
    assert row.find_element(By.CSS_SELECTOR, ".jobs").text == "4"
    assert row.find_element(By.CSS_SELECTOR, ".extracted").text == "75% (1 raw only)"
    assert "stopped" not in row.text and "ms" in row.text
    stale = browser.find_element(By.CSS_SELECTOR, "#workflows tr[data-workflow='clay-old-table']")
    assert "stopped" in stale.get_attribute("class") and "2.0" in stale.text
    first = _rows(browser, "workflows")[0]
    assert first.get_attribute("data-workflow") == "clay-old-table"  # flagged ones first
    _screenshot(browser, "workflows")
    row = browser.find_element(
        By.CSS_SELECTOR, "#workflows tr[data-workflow='clay-person-profile']"
    )
    _go(browser, row.find_element(By.CSS_SELECTOR, "a"))
    assert len(_rows(browser, "jobs")) == 4


def _job_row(slug: str, status: str, at: datetime, result: dict[str, Any]) -> dict[str, Any]:
    return {
        "job_id": str(uuid.uuid4()),
        "kind": "workflow",
        "status": status,
        "workflow_slug": slug,
        "result": result,
        "created_at": at - timedelta(seconds=2),
        "updated_at": at,
        "finished_at": at,
    }


def test_a_golden_record_tells_its_story(live: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with httpx.Client(base_url=live, headers=AUTH, timeout=10) as api:
        job = _person(api, "story-ann")
        _wait(api, job, "succeeded")
        firmographics = load_fixture("workflows/clay-company-firmographics_1.json")
        answer = api.post(FIRMOGRAPHICS, json={**firmographics, "company_domain": "thistlecove.ai"})
        assert answer.status_code == 202, answer.text
        company_job = str(answer.json()["job_id"])
        _wait(api, company_job, "succeeded")

    # The operator looks a person up by any spelling of their URL...
    _go(browser, browser.find_element(By.ID, "nav-jobs"))
    box = browser.find_element(By.ID, "person-query")
    box.send_keys("linkedin.com/in/Story-Ann\n")
    assert browser.find_element(By.ID, "record-title").text == "PERSON MARISOL QUENNELL"
    name = browser.find_element(By.CSS_SELECTOR, "#fields tr[data-field='full_name']")
    assert "clay-person-profile" in name.find_element(By.CSS_SELECTOR, ".source").text
    assert "ago" in name.text
    assert {r.get_attribute("data-job") for r in _rows(browser, "record-jobs")} == {job}
    _screenshot(browser, "person")

    # ...then the company they work at, and the job that told us about it.
    browser.find_element(By.ID, "company-query").send_keys("https://www.Thistlecove.ai/\n")
    WebDriverWait(browser, 30).until(lambda d: "/dashboard/company/" in d.current_url)
    assert browser.current_url.endswith("/dashboard/company/thistlecove.ai")
    industry = browser.find_element(By.CSS_SELECTOR, "#fields tr[data-field='industry']")
    assert "Software" in industry.text
    assert industry.find_element(By.CSS_SELECTOR, ".source").text == "clay-company-firmographics"
    assert "revenue" in browser.find_element(By.ID, "empty-fields").text
    jobs = {r.get_attribute("data-job"): r for r in _rows(browser, "record-jobs")}
    assert set(jobs) == {job, company_job}
    _screenshot(browser, "company")
    _go(browser, jobs[company_job].find_element(By.CSS_SELECTOR, "a"))
    assert "clay-company-firmographics" in browser.find_element(By.ID, "job").text
    assert '"industry": "Software"' in browser.find_element(By.ID, "body").text
    browser.back()
    jobs = {r.get_attribute("data-job"): r for r in _rows(browser, "record-jobs")}
    _go(browser, jobs[job].find_element(By.CSS_SELECTOR, "a"))
    assert browser.find_element(By.ID, "job-status").get_attribute("data-status") == "succeeded"
    browser.get(f"{live}/dashboard/company/nobody.example")
    assert browser.find_element(By.ID, "missing")
