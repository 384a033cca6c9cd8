"""`hq-ingest`: run the service, migrate, manage keys. `hq-ingest --help` lists everything."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from schemas.settings import get_settings

app = typer.Typer(
    help="hq-ingest: Clay webhook ingest into clean PostgreSQL master data.",
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _alembic_config(url: str) -> Any:
    from alembic.config import Config

    root = Path(__file__).resolve().parents[1]
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "alembic"))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def _database_url() -> str:
    url = get_settings().database_url
    if not url:
        typer.echo("DATABASE_URL is not set (only `serve` starts an embedded database)", err=True)
        raise typer.Exit(2)
    return url


@app.command()
def migrate() -> None:
    """Apply database migrations (`alembic upgrade head`)."""
    from alembic import command

    command.upgrade(_alembic_config(_database_url()), "head")
    typer.echo("database is at head")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to bind")] = 8000,
    threads: Annotated[int, typer.Option(help="Worker threads in this process")] = 4,
) -> None:
    """Run gateway and workers in one process; embedded PostgreSQL/Redis when unset."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings()
    server = None
    if not settings.database_url:
        from gateway import embedded

        server, url = embedded.start_postgres(settings.data_dir)
        os.environ["DATABASE_URL"] = url
        typer.echo(f"embedded PostgreSQL: data in {settings.data_dir / 'postgres'}")
    if not settings.hq_admin_api_key:
        from gateway import embedded

        os.environ["HQ_ADMIN_API_KEY"] = embedded.admin_key(settings.data_dir)
    if not settings.redis_url:
        typer.echo("embedded Redis-compatible broker (in-process; set REDIS_URL for production)")
    get_settings.cache_clear()
    _run_all(host, port, threads)
    if server is not None:
        server.cleanup()


def _run_all(host: str, port: int, threads: int) -> None:
    import dramatiq
    import uvicorn
    from alembic import command

    from gateway.app import create_app

    settings = get_settings()
    assert settings.database_url
    command.upgrade(_alembic_config(settings.database_url), "head")
    api = create_app(settings)
    worker = dramatiq.Worker(dramatiq.get_broker(), worker_threads=threads)
    worker.start()
    key = settings.hq_admin_api_key.get_secret_value() if settings.hq_admin_api_key else ""
    typer.echo(f"hq-ingest on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    typer.echo(f"admin key: {key}")
    try:
        uvicorn.run(api, host=host, port=port, log_level="info")
    finally:
        # Let the workers finish what was accepted before the process goes.
        for queue in dramatiq.get_broker().get_declared_queues():
            dramatiq.get_broker().join(queue, timeout=30_000)
        worker.stop()


@app.command()
def worker(
    threads: Annotated[int, typer.Option(help="Threads per process")] = 8,
    processes: Annotated[int, typer.Option(help="Worker processes")] = 2,
) -> None:
    """Run dramatiq workers for every stage (needs REDIS_URL and DATABASE_URL)."""
    argv = ["dramatiq", "workers", "--threads", str(threads), "--processes", str(processes)]
    os.execvp(argv[0], argv)


def _engine() -> Any:
    from pipeline import store

    return store.make_engine(_database_url(), pool_size=1, application_name="hq-cli")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="Who or what uses the key")],
    client_domain: Annotated[
        str | None, typer.Option(help="Scope the key to one client_domain")
    ] = None,
    admin: Annotated[bool, typer.Option(help="Full access")] = False,
) -> None:
    """Create a key; it is printed once and stored only as a hash."""
    from gateway.auth import generate_key, hash_key
    from pipeline import normalize
    from pipeline.store import keys

    if admin == bool(client_domain):
        typer.echo("give exactly one of --admin or --client-domain", err=True)
        raise typer.Exit(2)
    domain = normalize.domain(client_domain) if client_domain else None
    if client_domain and domain is None:
        typer.echo(f"not a domain: {client_domain}", err=True)
        raise typer.Exit(2)
    key = generate_key()
    with _engine().begin() as conn:
        key_id = keys.insert_key(
            conn,
            name=name,
            key_hash=hash_key(key),
            prefix=key[:8],
            is_admin=admin,
            client_domain=domain,
        )
    typer.echo(f"key id {key_id} ({'admin' if admin else domain}): {key}")


@keys_app.command("list")
def keys_list() -> None:
    """List keys (never the keys themselves)."""
    from pipeline.store import keys

    with _engine().connect() as conn:
        for row in keys.list_keys(conn):
            scope = "admin" if row["is_admin"] else row["client_domain"]
            state = f"revoked {row['revoked_at']:%Y-%m-%d}" if row["revoked_at"] else "active"
            used = row["last_used_at"] or "never"
            label = f"{row['id']:>4}  {row['prefix']}…  {row['name']:<24} {scope:<24}"
            typer.echo(f"{label} {state}  last used {used}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="The id from `keys list`")]) -> None:
    """Revoke a key (gateways stop accepting it within 30 s)."""
    from pipeline.store import keys

    with _engine().begin() as conn:
        if not keys.revoke(conn, key_id=key_id):
            typer.echo(f"no active key {key_id}", err=True)
            raise typer.Exit(1)
    typer.echo(f"revoked key {key_id}")


if __name__ == "__main__":
    app()
