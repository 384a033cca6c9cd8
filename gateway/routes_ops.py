"""Dead-letter routes: list, inspect and replay messages that will not be retried (admin only)."""

from __future__ import annotations

from typing import Annotated, Any

import dramatiq
import redis
from fastapi import APIRouter, Path, Query

from gateway import params
from gateway.deps import AdminDep, ConnectionDep, ServicesDep
from gateway.errors import ApiError
from pipeline.store import deadletters
from schemas.ops_api import (
    BIGINT_MAX,
    BulkReplayResult,
    DeadLetter,
    DeadLetterFilter,
    DeadLetterGroup,
    DeadLetterGroups,
    DeadLetterPage,
    ReplayOutcome,
    ReplayRequest,
)
from workers import replay

router = APIRouter(prefix="/dead-letters", tags=["dead letters"])

Limit = Annotated[int, Query(ge=1, le=500, description="Items per page")]
Cursor = Annotated[
    str | None,
    Query(description="`next_cursor` of the previous page", pattern=params.ID_PATTERN),
]
#: A dead letter's id; bounded to PostgreSQL's bigint so a huge number is a 422, not a 500.
LetterId = Annotated[int, Path(ge=1, le=BIGINT_MAX)]


@router.get("", response_model=DeadLetterPage)
def list_dead_letters(
    conn: ConnectionDep,
    _admin: AdminDep,
    where: Annotated[DeadLetterFilter, Query()],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> DeadLetterPage:
    """Dead letters matching the filters, newest first, one page at a time."""
    items = deadletters.list_letters(conn, where=where, limit=limit, before_id=_cursor(cursor))
    return DeadLetterPage.model_validate(
        {
            "items": items,
            "next_cursor": str(items[-1]["id"]) if len(items) == limit else None,
            "limit": limit,
            "total": deadletters.count_letters(conn, where=where),
        }
    )


@router.get("/groups", response_model=DeadLetterGroups)
def dead_letter_groups(
    conn: ConnectionDep,
    _admin: AdminDep,
    where: Annotated[DeadLetterFilter, Query()],
    limit: Annotated[int, Query(ge=1, le=1000, description="Most groups returned")] = 200,
) -> DeadLetterGroups:
    """Matching dead letters grouped by cause: workflow, stage, error class and the message
    with ids, numbers, UUIDs, e-mails, URLs and quoted values masked; largest group first.

    Each group's `filter` (these filters plus its `group` id), posted to
    `POST /dead-letters/replay`, replays exactly the letters counted in it.
    """
    return DeadLetterGroups(
        items=[
            DeadLetterGroup(**row, filter=group_filter(where, row["group"]))
            for row in deadletters.groups(conn, where=where, limit=limit)
        ],
        total=deadletters.count_letters(conn, where=where),
    )


def group_filter(where: DeadLetterFilter, group: str) -> dict[str, Any]:
    """The replay filter of one group: the listing's own filters narrowed to the group."""
    selection = where.model_copy(update={"group": group})
    return selection.model_dump(mode="json", exclude_none=True)


def _cursor(value: str | None) -> int | None:
    what = "is not a cursor from this API"
    return params.optional_whole(value, field="cursor", lo=1, hi=BIGINT_MAX, what=what)


@router.get("/{letter_id}", response_model=DeadLetter)
def get_dead_letter(letter_id: LetterId, conn: ConnectionDep, _admin: AdminDep) -> dict[str, Any]:
    """One dead letter with its message, error, traceback and replay history."""
    letter = deadletters.load_letter(conn, letter_id=letter_id)
    if letter is None:
        raise ApiError(404, f"no dead letter {letter_id}", field="letter_id")
    return letter


@router.post("/replay", response_model=BulkReplayResult)
def replay_dead_letters(
    request: ReplayRequest, services: ServicesDep, _admin: AdminDep
) -> BulkReplayResult:
    """Replay every letter matching the filters (oldest first), or count them with `dry_run`.

    Letters whose job has succeeded or is already running again are skipped, so running
    the same bulk replay twice replays nothing the second time.
    """
    return replay.replay_many(services.engine, services.enqueuer.broker, request=request)


@router.post("/{letter_id}/replay", response_model=ReplayOutcome)
def replay_dead_letter(
    letter_id: LetterId, services: ServicesDep, _admin: AdminDep
) -> ReplayOutcome:
    """Send the letter's message again to the stage that failed; the job keeps its id."""
    try:
        outcome = replay.replay_one(services.engine, services.enqueuer.broker, letter_id=letter_id)
    except (redis.RedisError, dramatiq.errors.BrokerError):
        raise ApiError(503, "the queue is unavailable; nothing was replayed, retry") from None
    if outcome is None:
        raise ApiError(404, f"no dead letter {letter_id}", field="letter_id")
    return outcome
