"""`hq-ingest reprocess`: run extract + sync again over stored raw payloads, with progress.

Talks to a running service over HTTP (`POST /run/reprocess`, then `GET /jobs/{id}` for
its counts), like `hq-ingest import`, so it works against an embedded `serve` too.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any

import httpx
import orjson
import typer

from gateway.cli.ops import Key, Url, _client

#: How often the progress bar asks for the job's counts.
POLL_S = 0.5

#: Job statuses after which a reprocess does not change.
FINAL = ("succeeded", "dead")


def reprocess(
    workflow_slug: Annotated[
        str | None, typer.Option("--workflow-slug", help="Only payloads of this workflow")
    ] = None,
    since: Annotated[
        datetime | None, typer.Option(help="Only payloads received at or after this time")
    ] = None,
    until: Annotated[
        datetime | None, typer.Option(help="Only payloads received before this time")
    ] = None,
    linkedin_url: Annotated[
        str | None, typer.Option("--linkedin-url", help="Only this person's payloads")
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every stored payload (required with no filter)")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say how many payloads it would touch")
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Follow the job with a progress bar")
    ] = True,
    url: Url = None,
    key: Key = None,
) -> None:
    """Re-extract and re-sync stored raw payloads (after an extractor fix), as jobs.

    Exit status: 0 done (or queued with --no-wait), 1 refused or some payloads failed
    (they are dead letters: replay them), 3 service unreachable.

    Example: hq-ingest reprocess --workflow-slug clay-person-profile --dry-run
    """
    body: dict[str, Any] = {
        "workflow_slug": workflow_slug,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "linkedin_url": linkedin_url,
        "all": every,
        "dry_run": dry_run,
    }
    with _client(url, key) as client:
        answer = _post(client, {k: v for k, v in body.items() if v is not None})
        if dry_run:
            typer.echo(f"would reprocess {answer['matched']} payloads")
            return
        job_id = answer["job_id"]
        typer.echo(f"reprocess job {job_id}: {answer['matched']} payloads")
        if not wait:
            return
        job = _follow(client, job_id, total=int(answer["matched"]))
    counts = job.get("counts") or {}
    typer.echo(orjson.dumps({"status": job["status"], **counts}).decode())
    if job["status"] != "succeeded" or counts.get("failed"):
        raise typer.Exit(1)


def _post(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    try:
        answer = client.post("/run/reprocess", json=body)
    except httpx.TransportError as err:
        typer.echo(f"cannot reach {client.base_url}: {err} (is `hq-ingest serve` up?)", err=True)
        raise typer.Exit(3) from None
    if answer.status_code not in (200, 202):
        typer.echo(f"HTTP {answer.status_code}: {answer.text}", err=True)
        raise typer.Exit(1)
    result: dict[str, Any] = answer.json()
    return result


def _follow(client: httpx.Client, job_id: str, *, total: int) -> dict[str, Any]:
    """Poll the job, showing its counts on a progress bar, until it is final."""
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True)) as bar:
        task = bar.add_task("reprocess", total=total or None)
        while True:
            job: dict[str, Any] = client.get(f"/jobs/{job_id}").json()
            counts = job.get("counts") or {}
            bar.update(
                task,
                completed=counts.get("done", 0) + counts.get("failed", 0),
                description=f"reprocess (failed {counts.get('failed', 0)})",
            )
            if job.get("status") in FINAL:
                return job
            time.sleep(POLL_S)
