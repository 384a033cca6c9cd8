"""Migrations build exactly `pipeline.tables`, and round-trip down and up."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect

from pipeline.tables import SCHEMAS, metadata
from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def _config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["configure_logger"] = False
    return cfg


def test_head_matches_table_definitions(database_url: str) -> None:
    # `alembic check` raises if autogenerate would emit any operation.
    command.check(_config(database_url))


def test_downgrade_and_upgrade_round_trip(database_url: str) -> None:
    cfg = _config(database_url)
    command.downgrade(cfg, "base")
    engine = create_engine(database_url)
    with engine.connect() as conn:
        left = set(inspect(conn).get_schema_names()) & set(SCHEMAS)
    assert left == set()
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        inspector = inspect(conn)
        tables = {f"{s}.{name}" for s in SCHEMAS for name in inspector.get_table_names(schema=s)}
    engine.dispose()
    assert tables == {t.fullname for t in metadata.sorted_tables}
    command.check(cfg)
