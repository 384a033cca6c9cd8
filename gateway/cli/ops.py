"""`hq-ingest import` and `hq-ingest backfill …`: bulk loads and reference backfills.

Both can talk to a running service over HTTP (`--url`, `--key`), which is the only way to
reach an embedded `serve` (its broker lives in that process). A backfill without `--url`
and with `REDIS_URL` set is sent straight to the queue instead.
"""

from __future__ import annotations

import csv
import time
import uuid
from pathlib import Path
from typing import Annotated, Any

import httpx
import orjson
import typer

from gateway.cli import importer, target
from schemas.settings import Settings, get_settings

backfill_app = typer.Typer(
    help="Run a reference backfill as a job (job titles, public tickers).", no_args_is_help=True
)

#: The address `hq-ingest serve` listens on by default.
DEFAULT_URL = "http://127.0.0.1:8000"

Url = Annotated[
    str | None,
    typer.Option(envvar="HQ_URL", help=f"Service base URL (default {DEFAULT_URL})"),
]
Key = Annotated[
    str | None,
    typer.Option(
        envvar="HQ_API_KEY", help="API key (default: the embedded run's data/admin_api_key)"
    ),
]
Wait = Annotated[bool, typer.Option("--wait", help="Wait for the job and print its result")]


#: Rejected lines printed at the end of an import (all are in the state file).
SHOWN_REJECTS = 20


def import_file(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="JSONL (one request body a line) or .csv (a header row; raw_payload as JSON)",
        ),
    ],
    url: Url = None,
    key: Key = None,
    route: Annotated[str, typer.Option(help="Ingest route the bodies go to")] = (
        importer.PERSON_ROUTE
    ),
    concurrency: Annotated[int, typer.Option(min=1, max=32, help="Requests in flight")] = 4,
    restart: Annotated[bool, typer.Option("--restart", help="Ignore the saved progress")] = False,
) -> None:
    """Bulk-load historical payloads through a running service, resumably.

    Person profiles go in batches (POST /run/people/import: each line validated like a
    webhook, each batch stored and run as one unit of work, the reprocess's path); lines
    for another --route are POSTed one by one like webhooks. Every line has an idempotency
    key made of the file name, line number and content. Progress and every
    rejected line are kept in FILE.import-state.json; a rerun resumes after the last line
    answered. Exit status: 0 all accepted, 1 some lines rejected, 3 stopped (key refused,
    service unreachable: rerun to resume).

    Example: hq-ingest import people.jsonl --url http://127.0.0.1:8000 --key "$KEY"
    """
    from rich.console import Console
    from rich.progress import Progress

    state = importer.State(file)
    if restart:
        state.clear()
    if state.done:
        typer.echo(f"resuming after line {state.done} (--restart to start over)", err=True)
    total = importer.count_lines(file)
    with _client(url, key) as client, Progress(console=Console(stderr=True)) as bar:
        task = bar.add_task(file.name, total=total, completed=state.tally.answered)
        sender: importer.Sender | importer.BatchSender = (
            importer.BatchSender(client)
            if route == importer.PERSON_ROUTE
            else importer.Sender(client, route)
        )
        try:
            tally = importer.run(
                file,
                sender,
                state=state,
                concurrency=concurrency,
                progress=lambda n: bar.advance(task, n),
            )
        except importer.ImportAborted as err:
            bar.stop()
            typer.echo(f"stopped after line {state.done}: {err}; rerun to resume", err=True)
            raise typer.Exit(3) from None
    _report(tally, state)


def _report(tally: importer.Tally, state: importer.State) -> None:
    typer.echo(
        f"accepted {tally.accepted} · duplicate {tally.duplicate} · rejected {len(tally.rejected)}"
    )
    for number, error in tally.rejected[:SHOWN_REJECTS]:
        typer.echo(f"  line {number}: {error}")
    if len(tally.rejected) > SHOWN_REJECTS:
        typer.echo(f"  … all {len(tally.rejected)} in {state.path}")
    if tally.rejected:
        raise typer.Exit(1)


def _key(key: str | None) -> str:
    """The key given, else the embedded run's admin key file, else exit 2."""
    if key:
        return key
    path = get_settings().data_dir / "admin_api_key"
    if path.exists():
        return path.read_text().strip()
    typer.echo("give --key (or HQ_API_KEY); no data/admin_api_key to fall back on", err=True)
    raise typer.Exit(2)


def _client(url: str | None, key: str | None) -> httpx.Client:
    return httpx.Client(
        base_url=(url or target.service_url() or DEFAULT_URL).rstrip("/"),
        headers={"Authorization": f"Bearer {_key(key)}"},
        timeout=30.0,
    )


@backfill_app.command("titles")
def backfill_titles(url: Url = None, key: Key = None, wait: Wait = False) -> None:
    """Fill seniority/function of reference job titles, then re-match people's titles.

    The values come from what the extracted profiles already know (set-based SQL).

    Example: hq-ingest backfill titles --wait
    """
    _start(url, key, wait, route="/run/reference/job-title/backfill", body={})


@backfill_app.command("tickers")
def backfill_tickers(
    file: Annotated[
        Path | None,
        typer.Argument(help="CSV with domain,ticker columns, or JSONL of {domain, ticker}"),
    ] = None,
    pair: Annotated[
        list[str] | None, typer.Option("--set", help="DOMAIN=TICKER (repeatable)")
    ] = None,
    url: Url = None,
    key: Key = None,
    wait: Wait = False,
) -> None:
    """Set `ticker` on core.company_public by company domain.

    Example: hq-ingest backfill tickers --set acme.com=ACME --set globex.io=GBX
    """
    items = _ticker_items(file, pair or [])
    if not items:
        typer.echo("no tickers given (FILE or --set DOMAIN=TICKER)", err=True)
        raise typer.Exit(2)
    _start(url, key, wait, route="/run/companies/db/public-ticker/backfill", body=items)


def _ticker_items(file: Path | None, pairs: list[str]) -> list[dict[str, str]]:
    items = []
    if file is not None and file.suffix.lower() == ".csv":
        with file.open(newline="", encoding="utf-8-sig") as handle:
            items += [
                {"domain": r["domain"], "ticker": r["ticker"]} for r in csv.DictReader(handle)
            ]
    elif file is not None:
        lines = file.read_bytes().splitlines()
        items += [orjson.loads(line) for line in lines if line.strip()]
    for pair in pairs:
        domain, sep, ticker = pair.partition("=")
        if not sep:
            typer.echo(f"--set takes DOMAIN=TICKER, not {pair!r}", err=True)
            raise typer.Exit(2)
        items.append({"domain": domain.strip(), "ticker": ticker.strip()})
    return items


def _start(url: str | None, key: str | None, wait: bool, *, route: str, body: Any) -> None:
    """Start a backfill job over HTTP or straight on the queue; optionally wait for it."""
    services = target.settings()
    if url is None and services.redis_url and services.database_url:
        job_id = _enqueue(route, body, services)
        typer.echo(f"queued job {job_id} (follow it with: hq-ingest jobs show {job_id})")
        if wait:
            done = _wait_db(job_id, services)
            shown = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS  # the result has int keys
            typer.echo(orjson.dumps(done, default=str, option=shown))
        return
    with _client(url, key) as client:
        try:
            answer = client.post(route, json=body)
        except httpx.TransportError as err:
            typer.echo(
                f"cannot reach {client.base_url}: {err} (is `hq-ingest serve` up?)", err=True
            )
            raise typer.Exit(3) from None
        if answer.status_code != 202:
            typer.echo(f"HTTP {answer.status_code}: {answer.text}", err=True)
            raise typer.Exit(1)
        job_id = answer.json()["job_id"]
        typer.echo(f"queued job {job_id} (status: {answer.json()['status_url']})")
        if wait:
            typer.echo(orjson.dumps(_wait_http(client, job_id), option=orjson.OPT_INDENT_2))


def _enqueue(route: str, body: Any, services: Settings) -> str:
    """Send the backfill actor directly (needs REDIS_URL); returns the new job id."""
    from schemas.reference_api import TickerItem
    from workers import broker, names, transport

    sender = broker.build_broker(services)
    job_id = str(uuid.uuid4())
    if route.endswith("job-title/backfill"):
        transport.enqueue(sender, names.BACKFILL_JOB_TITLES, job_id=job_id, body={})
    else:
        items = [TickerItem.model_validate(i).model_dump(mode="json") for i in body]
        transport.enqueue(
            sender, names.BACKFILL_PUBLIC_TICKERS, job_id=job_id, body={"items": items}
        )
    return job_id


def _wait_http(client: httpx.Client, job_id: str) -> Any:
    while True:
        job = client.get(f"/jobs/{job_id}").json()
        if job.get("status") in ("succeeded", "dead"):
            return job
        time.sleep(0.5)


def _wait_db(job_id: str, services: Settings) -> Any:
    from pipeline import store
    from pipeline.store import dashboard

    url = services.database_url
    assert url
    engine = store.make_engine(url, pool_size=1, application_name="hq-cli")
    try:
        while True:
            with engine.connect() as conn:
                job = dashboard.job_row(conn, job_id=job_id)
            if job and job["status"] in ("succeeded", "dead"):
                return job
            time.sleep(0.5)
    finally:
        engine.dispose()
