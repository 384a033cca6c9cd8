"""`hq-ingest`: run the service, migrate, manage keys. `hq-ingest --help` lists everything."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.cli import ops, reprocess
from gateway.cli.dlq import cli_engine, database_url, dlq_app, jobs_app
from schemas.settings import get_settings

app = typer.Typer(
    help="hq-ingest: Clay webhook ingest into clean PostgreSQL master data.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(dlq_app, name="dlq")
app.add_typer(jobs_app, name="jobs")
app.add_typer(ops.backfill_app, name="backfill")


@app.command()
def migrate() -> None:
    """Apply database migrations (`alembic upgrade head`)."""
    from alembic import command

    from gateway.cli.serve import alembic_config

    command.upgrade(alembic_config(database_url()), "head")
    typer.echo("database is at head")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to bind")] = 8000,
    processes: Annotated[int, typer.Option(help="Processes of the `worker` group")] = 1,
    threads: Annotated[int, typer.Option(help="Threads per `worker` process")] = 4,
) -> None:
    """Run the Procfile's gateway and worker groups on this machine, after migrating.

    Without DATABASE_URL an embedded PostgreSQL keeps its data in HQ_DATA_DIR/postgres;
    without REDIS_URL an embedded redis-server keeps an append-only file in
    HQ_DATA_DIR/redis; without HQ_ADMIN_API_KEY one is generated and kept in
    HQ_DATA_DIR/admin_api_key. Ctrl-C stops it; queued jobs survive a restart.

    Example: hq-ingest serve --port 8000
    """
    from gateway.cli.serve import Tuning, run
    from workers import logs

    settings = get_settings()
    logs.configure(settings.log_format)
    tuning = Tuning(host=host, port=port, processes=processes, threads=threads)
    generated = settings.hq_admin_api_key is None
    code = run(settings, tuning, generated_key=generated, say=typer.echo)
    raise typer.Exit(code)


@app.command()
def worker(
    threads: Annotated[int, typer.Option(help="Threads per process")] = 8,
    processes: Annotated[int, typer.Option(help="Worker processes")] = 2,
) -> None:
    """Run dramatiq workers for every stage, on REDIS_URL and DATABASE_URL (or, when they
    are unset, on the services of a `serve` running on the same data directory).

    Each process loads the title/location data before it takes a message.

    Example: hq-ingest worker --processes 4 --threads 8
    """
    from gateway.cli import target

    settings = target.settings()
    if not settings.redis_url or not settings.database_url:
        typer.echo("worker needs REDIS_URL and DATABASE_URL, or a running serve", err=True)
        raise typer.Exit(2)
    env = {**os.environ, "REDIS_URL": settings.redis_url, "DATABASE_URL": settings.database_url}
    beside = Path(sys.executable).with_name("dramatiq")  # the venv's, activated or not
    program = str(beside) if beside.exists() else "dramatiq"
    argv = [program, "workers:setup", "--threads", str(threads), "--processes", str(processes)]
    os.execvpe(program, argv, env)


@contextmanager
def _key_table(*, write: bool) -> Iterator[Any]:
    """A connection for the key commands (a transaction when `write`), closed afterwards."""
    engine = cli_engine()
    try:
        with engine.begin() if write else engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _key_scope(admin: bool, client_domain: str | None) -> str | None:
    """The normalised client_domain of a new key (None for admin); exits on a bad choice."""
    from schemas import canonical

    if admin == (client_domain is not None):
        typer.echo("give exactly one of --admin or --client-domain", err=True)
        raise typer.Exit(2)
    if client_domain is None:
        return None
    domain = canonical.domain(client_domain)
    if domain is None:
        typer.echo(f"not a domain: {client_domain!r}", err=True)
        raise typer.Exit(2)
    return domain


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="Who or what uses the key (e.g. 'clay acme leads')")],
    client_domain: Annotated[
        str | None, typer.Option(help="Scope the key to one client_domain (its leads only)")
    ] = None,
    admin: Annotated[bool, typer.Option(help="Full access to every endpoint")] = False,
) -> None:
    """Create a key; it is printed once, on stdout, and stored only as a hash."""
    from gateway.auth import generate_key, hash_key
    from pipeline.store import keys

    label = " ".join(name.split())
    if not label or len(label) > 200:
        typer.echo("the name must be 1 to 200 characters", err=True)
        raise typer.Exit(2)
    domain = _key_scope(admin, client_domain)
    key = generate_key()
    with _key_table(write=True) as conn:
        key_id = keys.insert_key(
            conn,
            name=label,
            key_hash=hash_key(key),
            prefix=key[:8],
            is_admin=admin,
            client_domain=domain,
        )
    typer.echo(f"created key {key_id} ({'admin' if admin else domain}); it is shown only once:")
    typer.echo(key)


@keys_app.command("list")
def keys_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """List keys, newest first: id, prefix, name, scope, state, last use (never the keys)."""
    import orjson

    from pipeline.store import keys

    with _key_table(write=False) as conn:
        rows = keys.list_keys(conn)
    if not rows and not as_json:
        # Stderr, so a script reading the listing still gets an empty stdout.
        typer.echo(
            "no keys yet (HQ_ADMIN_API_KEY, or data/admin_api_key under `make run`, is not "
            'listed); create one with: hq-ingest keys create "NAME" --client-domain DOMAIN',
            err=True,
        )
    for row in rows:
        if as_json:
            typer.echo(orjson.dumps(row, default=str).decode())
            continue
        scope = "admin" if row["is_admin"] else row["client_domain"]
        state = f"revoked {row['revoked_at']:%Y-%m-%d}" if row["revoked_at"] else "active"
        used = f"{row['last_used_at']:%Y-%m-%d %H:%M}" if row["last_used_at"] else "never"
        label = f"{row['id']:>4}  {row['prefix']}…  {row['name']:<24} {scope:<24}"
        typer.echo(f"{label} {state}  last used {used}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="The id from `keys list`")]) -> None:
    """Revoke a key (every gateway refuses it within 30 s, its key cache lifetime)."""
    from pipeline.store import keys

    with _key_table(write=True) as conn:
        revoked = keys.revoke(conn, key_id=key_id)
    if not revoked:
        typer.echo(f"no active key {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked key {key_id}")


app.command("import")(ops.import_file)
app.command("reprocess")(reprocess.reprocess)

if __name__ == "__main__":
    app()
