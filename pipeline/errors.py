"""The errors pipeline stages raise, and whether a retry can help.

`PermanentError` and its children go in each actor's ``throws=``: retrying cannot change the
outcome, so the message is dead-lettered at once. Anything else is treated as transient.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Raised when a pipeline stage cannot complete; the base of every domain error."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())


class PermanentError(PipelineError):
    """Raised when a message can never succeed as it is; it is dead-lettered, not retried."""


class UnknownShapeError(PermanentError):
    """Raised when a raw payload matches none of the provider shapes the extractor knows."""


class InvalidPayloadError(PermanentError):
    """Raised when a payload has a known shape but a field that cannot be used."""


class MissingRecordError(PermanentError):
    """Raised when a stage is handed an id whose row does not exist."""


class TransientError(PipelineError):
    """Raised when a stage hit a condition that a later attempt may not meet."""
