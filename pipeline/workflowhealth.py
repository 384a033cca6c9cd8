"""Per-workflow health for the operator: traffic, latency, extraction share, silence.

**Stopped** (the flag): a workflow that had at least `STOPPED_MIN_PER_DAY` jobs a day on
average over the `STOPPED_PRIOR_DAYS` days before the last 24 hours, and none in the last
24 hours. One job a day for a week is traffic someone relies on; a table that sends once a
month is not flagged for a quiet day. Pure: the rows come from `pipeline.store.console`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

#: Days before the last 24 hours that set a workflow's usual traffic.
STOPPED_PRIOR_DAYS = 7
#: Average jobs a day over those days above which silence for 24 hours is flagged.
STOPPED_MIN_PER_DAY = 1.0


def is_stopped(*, last_day: int, before: int) -> bool:
    """Whether a workflow that used to get traffic got none in the last 24 hours."""
    return last_day == 0 and before >= STOPPED_MIN_PER_DAY * STOPPED_PRIOR_DAYS


def health(
    *,
    registered: Iterable[Mapping[str, Any]],
    activity: Iterable[Mapping[str, Any]],
    last_success: Mapping[str, datetime],
) -> list[dict[str, Any]]:
    """One row per workflow (registered, or seen on a job): counts, latency, shares, flag.

    `activity` rows are `pipeline.store.console.workflow_activity`'s; `extracted_share` is the
    share of the last day's succeeded jobs whose result does not say `"extracted": false`
    (a job without the key counts as extracted), None when none succeeded.
    """
    seen = {row["workflow"]: row for row in activity}
    info = {row["workflow_slug"]: row for row in registered}
    rows = []
    for name in sorted(set(info) | set(seen)):
        act = seen.get(name, {})
        last_day, before = int(act.get("last_day", 0)), int(act.get("before", 0))
        succeeded, raw_only = int(act.get("succeeded", 0)), int(act.get("raw_only", 0))
        rows.append(
            {
                "workflow": name,
                "registered": name in info,
                "provider": info.get(name, {}).get("provider"),
                "entity": info.get(name, {}).get("entity_type"),
                "last_day": last_day,
                "prior_daily": before / STOPPED_PRIOR_DAYS,
                "succeeded": succeeded,
                "raw_only": raw_only,
                "extracted_share": (succeeded - raw_only) / succeeded if succeeded else None,
                "p50": act.get("p50"),
                "p95": act.get("p95"),
                "last_success": last_success.get(name),
                "stopped": is_stopped(last_day=last_day, before=before),
            }
        )
    return sorted(rows, key=lambda r: (not r["stopped"], -r["last_day"], r["workflow"]))
