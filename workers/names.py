"""Every actor by name: its queue and the kind of job it runs (`ops.jobs.kind`).

The gateway, the CLI and dead-letter replay address actors through these constants, so
none of them imports an actor module (README, "Layout"); the actor modules declare their
actors with them (`workers.declare.actor`), so the two cannot drift. Imports nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The queue both lookup actors share; the gateway waits on its results.
LOOKUP_QUEUE = "lookups"


@dataclass(frozen=True)
class ActorName:
    """Where an actor's messages go, and what kind of job it runs (None: no tracked job)."""

    actor_name: str
    queue_name: str
    job_kind: str | None = None


def _stage(name: str, kind: str) -> ActorName:
    """An actor alone on the queue named after it."""
    return ActorName(name, name, kind)


STORE_RAW = _stage("store_raw", "person_profile")
EXTRACT_PROFILE = _stage("extract_profile", "person_profile")
SYNC_CORE = _stage("sync_core", "person_profile")

STORE_LEAD = _stage("store_lead", "client_lead")
WRITE_LEAD = _stage("write_lead", "client_lead")
STORE_LEAD_LINK = _stage("store_lead_link", "lead_link")
LINK_LEADS = _stage("link_leads", "lead_link")

LOOKUP_JOB_TITLE = ActorName("lookup_job_title", LOOKUP_QUEUE, "job_title_lookup")
LOOKUP_LOCATION = ActorName("lookup_location", LOOKUP_QUEUE, "location_lookup")
UPDATE_REFERENCE = _stage("update_reference", "reference_update")
BACKFILL_JOB_TITLES = _stage("backfill_job_titles", "job_title_backfill")
BACKFILL_PUBLIC_TICKERS = _stage("backfill_public_tickers", "public_ticker_backfill")

#: The one chain every workflow definition runs on (`workers.workflows`).
STORE_WORKFLOW = _stage("store_workflow", "workflow")
EXTRACT_WORKFLOW = _stage("extract_workflow", "workflow")
SYNC_WORKFLOW = _stage("sync_workflow", "workflow")

#: Extract + sync again over stored payloads, in batches (`workers.reprocess`).
REPROCESS = _stage("reprocess", "reprocess")
#: One batch of a reprocess's person payloads as one unit of work (`workers.reprocess`).
REPROCESS_BATCH = _stage("reprocess_batch", "reprocess_batch")
#: A batch of `hq-ingest import` lines (person profiles) stored and run as one unit of work.
IMPORT_PEOPLE = _stage("import_people", "import_batch")

#: Write-back to Clay (`workers.delivery`): a task of its job, not a job of its own.
DELIVER_CALLBACK = ActorName("deliver_callback", "callbacks")

#: Every actor above, in declaration order.
ALL = tuple(value for value in tuple(globals().values()) if isinstance(value, ActorName))
BY_NAME = {actor.actor_name: actor for actor in ALL}
#: Every queue an actor consumes (delay queues aside), for queue-depth metrics.
QUEUES = tuple(sorted({actor.queue_name for actor in ALL}))
