"""Which services a command talks to: the environment's, else the running `serve`'s.

`hq-ingest serve` records its embedded services in HQ_DATA_DIR/run.json while it runs, so
`jobs show`, `dlq …`, `keys …` and `backfill` reach a `make run` from another shell with no
variable set. A variable that is set always wins.
"""

from __future__ import annotations

from gateway.cli import embedded
from schemas.settings import Settings, get_settings


def settings() -> Settings:
    """The environment's settings, completed from a running `serve` on the same data dir."""
    base = get_settings()
    if base.database_url and base.redis_url:
        return base
    run = embedded.running(base.data_dir)
    if run is None:
        return base
    return base.model_copy(
        update={
            "database_url": base.database_url or run["database_url"],
            "redis_url": base.redis_url or run["redis_url"],
        }
    )


def service_url() -> str | None:
    """The base URL of a `serve` running on this data dir."""
    run = embedded.running(get_settings().data_dir)
    return str(run["url"]) if run else None
