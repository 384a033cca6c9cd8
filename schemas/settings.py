"""Service settings, read from the environment and nowhere else."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Where embedded services keep their data when no DATABASE_URL / REDIS_URL is set.
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"


class Settings(BaseSettings):
    """Everything configurable about hq-ingest; each field maps to an upper-case env var."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    database_url: str | None = Field(
        default=None, description="PostgreSQL URL; unset = embedded server under data_dir"
    )
    redis_url: str | None = Field(
        default=None, description="Redis URL; unset = embedded Redis-compatible broker"
    )
    hq_admin_api_key: SecretStr | None = Field(default=None, description="Bootstrap admin key")
    data_dir: Path = Field(default=DEFAULT_DATA_DIR, alias="HQ_DATA_DIR")
    lookup_wait_ms: int = Field(default=2000, alias="HQ_LOOKUP_WAIT_MS", ge=10)
    lookup_max_waits: int = Field(
        default=64,
        alias="HQ_LOOKUP_MAX_WAITS",
        ge=1,
        description="Lookups one gateway process waits on at once, each on a Redis connection"
        " of a pool of this size kept apart from enqueues; more answer 202 {job_id} at once",
    )
    max_retries: int = Field(default=8, alias="HQ_MAX_RETRIES", ge=0)
    min_backoff_ms: int = Field(default=500, alias="HQ_MIN_BACKOFF_MS", ge=1)
    max_backoff_ms: int = Field(default=300_000, alias="HQ_MAX_BACKOFF_MS", ge=1)
    max_age_ms: int = Field(
        default=7 * 24 * 3600 * 1000, alias="HQ_MAX_AGE_MS", description="Message age limit"
    )
    dedup_window_s: int = Field(default=24 * 3600, alias="HQ_DEDUP_WINDOW_S", ge=0)
    heartbeat_timeout_ms: int = Field(default=15_000, alias="HQ_HEARTBEAT_TIMEOUT_MS", ge=1000)
    maintenance_chance: int = Field(
        default=10_000,
        alias="HQ_MAINTENANCE_CHANCE",
        description="Commands per million that run the broker's requeue of dead workers' messages",
    )
    poll_ms: int = Field(
        default=50,
        alias="HQ_POLL_MS",
        ge=5,
        description="Longest idle poll of an empty stage queue (ms): latency a quiet stage adds",
    )
    lookup_poll_ms: int = Field(
        default=3,
        alias="HQ_LOOKUP_POLL_MS",
        ge=1,
        description="Poll of the `lookups` queue (ms) while its threads are all busy (or on"
        " embedded Redis); idle, its consumer blocks in Redis and wakes on an enqueue",
    )
    blocking_stage_queues: bool = Field(
        default=True,
        alias="HQ_BLOCKING_STAGE_QUEUES",
        description="Idle stage-queue consumers block in Redis and wake on an enqueue, as the"
        " `lookups` one does, instead of polling every HQ_POLL_MS (real Redis only). Polling"
        " (false) kept an idle 2 x 8 worker at ~0.3 of this machine's 2 cores, taken from the"
        " lookups a gateway waits on",
    )
    delay_poll_ms: int = Field(
        default=1000,
        alias="HQ_DELAY_POLL_MS",
        ge=5,
        description="Longest idle poll of a delay queue (`*.DQ`: retries; ms); a retry may run"
        " this much after its backoff",
    )
    worker_skip_queues: str = Field(
        default="",
        alias="HQ_WORKER_SKIP_QUEUES",
        description="Comma-separated queues a `dramatiq workers` process leaves to others"
        " (the Procfile's `worker` skips `lookups`, which its `lookups` process serves)",
    )
    db_pool_size: int = Field(default=8, alias="HQ_DB_POOL_SIZE", ge=1)
    batch_max: int = Field(
        default=50,
        alias="HQ_BATCH_MAX",
        ge=1,
        description="Most messages of one stage a worker process runs as one batch (one"
        " transaction; `workers.batching`); 1 runs every message alone",
    )
    max_body_bytes: int = Field(default=2 * 1024 * 1024, alias="HQ_MAX_BODY_BYTES", ge=1024)
    rate_limit_per_minute: int = Field(default=6000, alias="HQ_RATE_LIMIT_PER_MINUTE", ge=0)
    queue_namespace: str = Field(default="hq", alias="HQ_QUEUE_NAMESPACE")
    log_format: Literal["text", "json"] = Field(default="text", alias="HQ_LOG_FORMAT")
    callback_hosts: str = Field(
        default="*.clay.com",
        alias="HQ_CALLBACK_HOSTS",
        description=(
            "Comma-separated hosts a callback_url may name (`*.x.com`, `*` = any); "
            "default ports only unless a pattern names one (`host:8443`, `host:*`)"
        ),
    )
    callback_rate_per_s: int = Field(default=10, alias="HQ_CALLBACK_RATE_PER_S", ge=1)
    callback_max_attempts: int = Field(default=10, alias="HQ_CALLBACK_MAX_ATTEMPTS", ge=1)
    prometheus_multiproc_dir: Path | None = Field(
        default=None,
        alias="PROMETHEUS_MULTIPROC_DIR",
        description="Directory web and worker processes share metrics through (one host)",
    )

    @field_validator("database_url")
    @classmethod
    def _psycopg_driver(cls, value: str | None) -> str | None:
        """Accept plain `postgres://` / `postgresql://` URLs and select the psycopg 3 driver."""
        if not value:
            return None
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests call `get_settings.cache_clear()` after changing env."""
    return Settings()
