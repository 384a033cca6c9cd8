"""`hq-ingest keys create|list|revoke` against a real test database, and the keys it makes."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from gateway import auth
from gateway.cli.main import app as cli
from pipeline import tables as t
from tests.security.conftest import bearer

pytestmark = pytest.mark.integration

INGEST = "/run/people/clay-native/person-profile/ingest"
PROFILE = {"raw_payload": {"full_name": "Some One"}}


@pytest.fixture
def runner(settings: object) -> CliRunner:
    """A CLI runner; `settings` has put the test database in DATABASE_URL."""
    return CliRunner()


def _create(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, ["keys", "create", *args])
    assert result.exit_code == 0, result.output
    header, key = result.stdout.strip().splitlines()
    key_id = int(header.split()[2])
    return key_id, key


def _row(engine: Engine, key_id: int) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(select(t.api_keys).where(t.api_keys.c.id == key_id)).one()
    return dict(row._mapping)


def test_create_prints_the_key_once_and_stores_only_its_hash(
    runner: CliRunner, engine: Engine
) -> None:
    key_id, key = _create(runner, "clay acme leads", "--client-domain", "https://www.Acme.com/x")
    assert auth.KEY_FORMAT.fullmatch(key)
    row = _row(engine, key_id)
    assert row["client_domain"] == "acme.com"
    assert row["is_admin"] is False
    assert row["key_hash"] == auth.hash_key(key)
    assert row["prefix"] == key[:8]
    with engine.connect() as conn:
        dump = conn.execute(text("SELECT to_jsonb(k)::text FROM ops.api_keys k")).scalars().all()
    assert not any(key in line for line in dump)


def test_create_an_admin_key(runner: CliRunner, engine: Engine) -> None:
    key_id, _key = _create(runner, "ops", "--admin")
    row = _row(engine, key_id)
    assert row["is_admin"] is True and row["client_domain"] is None


@pytest.mark.parametrize(
    "args",
    [
        ["x"],  # neither scope
        ["x", "--admin", "--client-domain", "acme.com"],  # both
        ["x", "--client-domain", "not a domain"],
        ["x", "--client-domain", ""],
        ["  ", "--admin"],
        ["n" * 201, "--admin"],
    ],
)
def test_create_refuses_bad_input(runner: CliRunner, engine: Engine, args: list[str]) -> None:
    result = runner.invoke(cli, ["keys", "create", *args])
    assert result.exit_code == 2, result.output
    with engine.connect() as conn:
        assert conn.execute(select(t.api_keys)).first() is None


def test_an_empty_list_says_how_to_make_a_key_on_stderr(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["keys", "list"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "no keys yet" in result.stderr and "hq-ingest keys create" in result.stderr
    assert runner.invoke(cli, ["keys", "list", "--json"]).output == ""


def test_list_shows_keys_without_the_keys(runner: CliRunner) -> None:
    admin_id, admin_key = _create(runner, "ops", "--admin")
    scoped_id, scoped_key = _create(runner, "acme", "--client-domain", "acme.com")
    result = runner.invoke(cli, ["keys", "list"])
    assert result.exit_code == 0, result.output
    assert admin_key not in result.output and scoped_key not in result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].split()[0] == str(scoped_id)  # newest first
    assert "acme.com" in lines[0] and "active" in lines[0] and "last used never" in lines[0]
    assert "admin" in lines[1]

    as_json = runner.invoke(cli, ["keys", "list", "--json"])
    assert as_json.exit_code == 0, (as_json.output, as_json.exception)
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [r["id"] for r in rows] == [scoped_id, admin_id]
    assert all("key_hash" not in r for r in rows)


def test_a_cli_key_works_until_it_is_revoked(
    runner: CliRunner, app: FastAPI, anonymous: TestClient
) -> None:
    key_id, key = _create(runner, "script", "--admin")
    assert anonymous.post(INGEST, json=PROFILE, headers=bearer(key)).status_code == 202
    used = runner.invoke(cli, ["keys", "list"]).stdout
    assert "last used never" not in used

    result = runner.invoke(cli, ["keys", "revoke", str(key_id)])
    assert result.exit_code == 0, result.output
    assert f"revoked key {key_id}" in result.stdout
    assert "revoked" in runner.invoke(cli, ["keys", "list"]).stdout
    app.state.services.auth.forget()  # a gateway otherwise refuses it within CACHE_SECONDS
    assert anonymous.post(INGEST, json=PROFILE, headers=bearer(key)).status_code == 401

    again = runner.invoke(cli, ["keys", "revoke", str(key_id)])
    assert again.exit_code == 1
    assert runner.invoke(cli, ["keys", "revoke", "999999"]).exit_code == 1


def test_a_scoped_cli_key_is_refused_outside_its_client(
    runner: CliRunner, anonymous: TestClient
) -> None:
    _key_id, key = _create(runner, "acme", "--client-domain", "acme.com")
    assert anonymous.post(INGEST, json=PROFILE, headers=bearer(key)).status_code == 403
