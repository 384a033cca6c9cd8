"""Job-change and promotion signals: the client-scoped paths and the older `-2` paths.

Client-scoped bodies: `client_domain`* + `raw_job_change_payload`* / `raw_promotion_payload`*
(the event object) and Clay's window fields (kept raw). Older bodies: the same fields flat.
Read by `pipeline.workflows.signal_events.job_move`: one signal per (client, person, new
company, title, start date), and the person's new job (ending the one it replaced).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pipeline.workflows import Definition, Facts, Route
from pipeline.workflows import signal_events as s


class _ClientSignal(s.SignalBody):
    client_domain: str = Field(
        min_length=1, max_length=1000, description="The client the signal is for, any spelling"
    )


class JobChangeIngest(_ClientSignal):
    """`POST /run/people/clay-native/signal-job-change/ingest`."""

    raw_fields = frozenset({"raw_job_change_payload"})
    raw_job_change_payload: dict[str, Any] = Field(description="Clay's job-change event")


class PromotionIngest(_ClientSignal):
    """`POST /run/people/clay-native/signal-promotion/ingest`."""

    raw_fields = frozenset({"raw_promotion_payload"})
    raw_promotion_payload: dict[str, Any] = Field(description="Clay's promotion event")


class JobChangeFlat(s.SignalBody):
    """`POST /run/people/clay-native/signal-job-change-2/ingest` (older, flat)."""


class PromotionFlat(s.SignalBody):
    """`POST /run/people/clay-native/signal-promotion-2/ingest` (older, flat)."""


def _key(body: s.SignalBody, field: str | None) -> str | None:
    url, member = s.person_ids(s.event_fields(body, field))
    return f"{s.client(body)}|{url or member or ''}"


def _extract(kind: str, field: str | None) -> Any:
    def extract(body: s.SignalBody) -> Facts | None:
        event = s.event_fields(body, field)
        return s.job_move(body, event, kind=kind, slug_key="signal_slug")

    return extract


def _definition(
    name: str, path: str, slug: str, model: type[s.SignalBody], kind: str, field: str | None
) -> Definition[Any]:
    return Definition(
        name=name,
        routes=(Route(path, slug, f"A {kind.replace('_', ' ')} signal for a client"),),
        request=model,
        entity="signal",
        natural_key=lambda body: _key(body, field),
        extract=_extract(kind, field),
        feeds=("signals", "work_history", "tenure", "job_title"),
        priority=2,
        provider="clay",
        platform="clay",
    )


_BASE = "/run/people/clay-native"
JOB_CHANGE = _definition(
    "signal_job_change",
    f"{_BASE}/signal-job-change/ingest",
    "clay-signal-job-change",
    JobChangeIngest,
    "job_change",
    "raw_job_change_payload",
)
PROMOTION = _definition(
    "signal_promotion",
    f"{_BASE}/signal-promotion/ingest",
    "clay-signal-promotion",
    PromotionIngest,
    "promotion",
    "raw_promotion_payload",
)
JOB_CHANGE_FLAT = _definition(
    "signal_job_change_flat",
    f"{_BASE}/signal-job-change-2/ingest",
    "clay-job-change",
    JobChangeFlat,
    "job_change",
    None,
)
PROMOTION_FLAT = _definition(
    "signal_promotion_flat",
    f"{_BASE}/signal-promotion-2/ingest",
    "clay-promotion",
    PromotionFlat,
    "promotion",
    None,
)
