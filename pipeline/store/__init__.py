"""The only place that runs SQL.

Writers take a `Connection` so the caller owns the transaction, are keyword-only, and are
idempotent: upserts on natural keys, delete+insert of child rows. Submodules group them by
schema: `people` (a package: `raw` → `extracted` → `core` for person profiles),
`reference`, `leads`, `ops` (jobs, stages, dead letters, keys), `deadletters` (listing
them, recording replays) and `read` (the assembled views the API returns).
"""

from __future__ import annotations

from pipeline.store import deadletters, keys, leads, ops, people, read, reference
from pipeline.store.engine import make_engine

__all__ = ["deadletters", "keys", "leads", "make_engine", "ops", "people", "read", "reference"]
