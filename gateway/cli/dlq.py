"""`hq-ingest dlq …` and `hq-ingest jobs show`: dead letters and job history from a shell.

The commands talk to PostgreSQL (`DATABASE_URL`) directly and, to replay, to Redis
(`REDIS_URL`), so they work when the gateway is down. `--json` prints what the HTTP API
would answer.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import orjson
import typer
from pydantic import ValidationError

from gateway.cli import target
from schemas.ops_api import DeadLetterFilter, ReplayRequest
from schemas.settings import get_settings

dlq_app = typer.Typer(help="List, inspect and replay dead letters.", no_args_is_help=True)
jobs_app = typer.Typer(help="Inspect jobs.", no_args_is_help=True)

Stage = Annotated[str | None, typer.Option(help="Stage (actor) that failed")]
Slug = Annotated[str | None, typer.Option(help="workflow_slug of the payload")]
Error = Annotated[str | None, typer.Option(help="Text the error contains (any case)")]
Reason = Annotated[str | None, typer.Option(help="permanent_error, retries_exhausted, …")]
JobId = Annotated[str | None, typer.Option(help="Only this job's letters")]
Since = Annotated[datetime | None, typer.Option(help="Died at or after (ISO time)")]
Until = Annotated[datetime | None, typer.Option(help="Died before (ISO time)")]
Replayed = Annotated[
    bool | None, typer.Option("--replayed/--not-replayed", help="Only (never) replayed letters")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON")]

#: The filter options `list` and `replay` share, in the order `--help` shows them.
FILTERS = {
    "stage": Stage,
    "workflow_slug": Slug,
    "error": Error,
    "reason": Reason,
    "job_id": JobId,
    "since": Since,
    "until": Until,
}

Command = TypeVar("Command", bound=Callable[..., None])


def _with_filters(command: Command) -> Command:
    """Give a command the `FILTERS` options, ahead of its own; they reach it as `**filters`.

    Typer reads a command's options from its signature, so this rewrites the signature.
    """
    own = inspect.signature(command, eval_str=True).parameters.values()
    filters = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=option)
        for name, option in FILTERS.items()
    ]
    arguments = [p for p in own if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    options = [p for p in own if p.kind is inspect.Parameter.KEYWORD_ONLY]
    command.__signature__ = inspect.Signature([*arguments, *filters, *options])  # type: ignore[attr-defined]
    return command


def database_url() -> str:
    """`DATABASE_URL`, else a running `serve`'s database; exits 2 when there is neither."""
    url = target.settings().database_url
    if not url:
        typer.echo(
            "DATABASE_URL is not set and no `hq-ingest serve` (make run) is running on"
            f" {get_settings().data_dir}",
            err=True,
        )
        raise typer.Exit(2)
    return url


def cli_engine() -> Any:
    """A one-connection engine on `DATABASE_URL` for a command."""
    from pipeline import store

    return store.make_engine(database_url(), pool_size=1, application_name="hq-cli")


def _echo_json(value: Any) -> None:
    typer.echo(
        orjson.dumps(
            value, default=str, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
        ).decode()
    )


def _filter(**fields: Any) -> DeadLetterFilter:
    try:
        return DeadLetterFilter.model_validate(fields)
    except ValidationError as err:
        typer.echo(f"invalid filter: {err.errors()[0]['msg']}", err=True)
        raise typer.Exit(2) from None


@dlq_app.command("list")
@_with_filters
def dlq_list(
    *,
    replayed: Replayed = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    cursor: Annotated[int | None, typer.Option(help="next_cursor of the previous page")] = None,
    as_json: Json = False,
    **filters: Any,
) -> None:
    """Dead letters, newest first."""
    from pipeline.store import deadletters

    where = _filter(**filters, replayed=replayed)
    with cli_engine().connect() as conn:
        items = deadletters.list_letters(conn, where=where, limit=limit, before_id=cursor)
        total = deadletters.count_letters(conn, where=where)
    more = str(items[-1]["id"]) if len(items) == limit else None
    if as_json:
        _echo_json({"items": items, "next_cursor": more, "limit": limit, "total": total})
        return
    for item in items:
        replay = f"replayed {item['replay_count']}x" if item["replayed_at"] else "not replayed"
        typer.echo(
            f"{item['id']:>6}  {item['dead_at']:%Y-%m-%d %H:%M:%S}  {item['stage']:<16} "
            f"{item['reason']:<22} {item['attempts']:>2} tries  {replay:<14} {item['error'][:80]}"
        )
    typer.echo(f"{len(items)} of {total}" + (f"; next page: --cursor {more}" if more else ""))


@dlq_app.command("show")
def dlq_show(letter_id: Annotated[int, typer.Argument(help="Dead letter id")]) -> None:
    """Everything kept about one dead letter (JSON)."""
    from pipeline.store import deadletters

    with cli_engine().connect() as conn:
        letter = deadletters.load_letter(conn, letter_id=letter_id)
    if letter is None:
        typer.echo(f"no dead letter {letter_id}", err=True)
        raise typer.Exit(1)
    _echo_json(letter)


@dlq_app.command("replay")
@_with_filters
def dlq_replay(
    ids: Annotated[list[int] | None, typer.Argument(help="Dead letter ids")] = None,
    *,
    replay_all: Annotated[bool, typer.Option("--all", help="Allow no filter at all")] = False,
    dry_run: Annotated[bool, typer.Option(help="Only count what would be replayed")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 1000,
    as_json: Json = False,
    **filters: Any,
) -> None:
    """Replay letters by id and/or filter; `--dry-run` first to see the count."""
    try:
        request = ReplayRequest.model_validate(
            {**filters, "ids": ids or None, "all": replay_all, "dry_run": dry_run, "limit": limit}
        )
    except ValidationError as err:
        typer.echo(err.errors()[0]["msg"].removeprefix("Value error, "), err=True)
        raise typer.Exit(2) from None
    result = _replay(request)
    if as_json:
        _echo_json(result.model_dump(mode="json"))
        return
    verb = "would replay" if dry_run else "replayed"
    typer.echo(f"matched {result.matched}; {verb} {result.count}: {result.ids}")
    for outcome in [*result.skipped, *result.failed]:
        typer.echo(f"  {outcome.status} {outcome.id}: {outcome.reason}")
    if result.has_more:
        typer.echo(f"more than {limit} matched; run again for the rest")
    if result.failed:
        raise typer.Exit(1)


def _replay(request: ReplayRequest) -> Any:
    from workers import broker, replay

    engine = cli_engine()
    sender = broker.build_broker(target.settings())
    return replay.replay_many(engine, sender, request=request)


@jobs_app.command("show")
def jobs_show(
    job_id: Annotated[str, typer.Argument(help="The job_id a 202 answered")], as_json: Json = False
) -> None:
    """A job's status, stages and whole history (attempts, deaths, replays)."""
    from pipeline.store import ops

    with cli_engine().connect() as conn:
        job = ops.load_job(conn, job_id=_uuid(job_id))
    if job is None:
        typer.echo(f"no job {job_id} in the database (it may still be queued)", err=True)
        raise typer.Exit(1)
    if as_json:
        _echo_json(job)
        return
    typer.echo(f"job {job['job_id']} ({job['kind']}): {job['status']} at {job['stage']}")
    for stage in job["stages"]:
        extra = f"  next attempt {stage['next_attempt_at']}" if stage["next_attempt_at"] else ""
        typer.echo(f"  {stage['stage']:<16} {stage['status']:<10} {stage['attempts']} tries{extra}")
    for event in job["events"]:
        detail = f"  {event['detail']}" if event["detail"] else ""
        typer.echo(
            f"  {event['at']:%H:%M:%S.%f}  {event['stage'] or '-':<16} {event['event']}{detail}"
        )
    if job["dead_letter_ids"]:
        typer.echo(f"  dead letters: {job['dead_letter_ids']}")


def _uuid(value: str) -> str:
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError:
        typer.echo(f"not a job id: {value}", err=True)
        raise typer.Exit(2) from None
