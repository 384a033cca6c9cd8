"""Write-back to Clay: the optional request fields and the `callback` entry of a job."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, Field, field_validator

#: Characters a callback URL may hold: visible ASCII without the backslash (which browsers and
#: some clients read as `/` while `urlsplit` does not). Anything else must be percent-encoded.
_URL_CHARS = re.compile(r"[!-\[\]-~]+")

#: A host name or IPv4 address, lower-cased (no percent-encoding, no IPv6 literals).
_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")

#: Visible ASCII and inner spaces: what an HTTP header value may carry (no CR, LF or NUL).
_HEADER_VALUE = re.compile(r"[!-~](?:[ -~]*[!-~])?")

_DEFAULT_PORTS = {"http": 80, "https": 443}


class UnsafeUrl(ValueError):
    """Raised when a callback URL could be read two ways, or names what it may not."""


@dataclass(frozen=True)
class Target:
    """A callback URL read once: the host the allow-list checks is the host it is sent to."""

    #: The URL rebuilt from its parsed parts; exactly what is POSTed to.
    url: str
    host: str
    #: An explicit port other than the scheme's default, else None.
    port: int | None


def parse_target(url: str) -> Target:
    """Read a callback URL strictly; raise `UnsafeUrl` for anything two parsers may differ on.

    Refused: characters outside visible ASCII (control characters, CR/LF, spaces, non-ASCII),
    backslashes, user info (`user@host`), a scheme other than http(s), a missing or
    unusual host, a port that is not a number.
    """
    if not _URL_CHARS.fullmatch(url):
        raise UnsafeUrl("may hold only visible ASCII characters and no backslash")
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS:
        raise UnsafeUrl("is not an http(s) URL")
    if "@" in parts.netloc:
        raise UnsafeUrl("may not carry user info (user@host)")
    host = parts.hostname or ""
    if not _HOST.fullmatch(host):
        raise UnsafeUrl("has no host name or an unusual one")
    try:
        port = parts.port
    except ValueError:
        raise UnsafeUrl("has a port that is not a number from 0 to 65535") from None
    port = None if port == _DEFAULT_PORTS[parts.scheme] else port
    netloc = host if port is None else f"{host}:{port}"
    return Target(
        url=urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
        host=host,
        port=port,
    )


def header_value_ok(value: str) -> bool:
    """Whether `value` can be sent as an HTTP header value as it is (no CR, LF, controls)."""
    return bool(_HEADER_VALUE.fullmatch(value))


class CallbackFields(BaseModel):
    """Mixed into ingest bodies: where to POST the job's outcome when it is final."""

    callback_url: str | None = Field(
        default=None,
        max_length=2000,
        pattern=r"^(?:$|https?://[!-\[\]-~]+$)",
        description="A Clay table's webhook URL; the job's outcome is POSTed there when final",
        examples=["https://api.clay.com/v3/sources/webhook/pull-in-data-from-a-webhook-…"],
    )
    callback_token: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^(?:$|[!-~](?:[ -~]*[!-~])?$)",
        repr=False,
        description="The webhook's auth token, sent as `x-clay-webhook-auth`; never logged",
    )

    @field_validator("callback_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        """Read once, strictly; the URL kept is the one rebuilt from its parts."""
        if not value:
            return None
        return parse_target(value).url

    @field_validator("callback_token")
    @classmethod
    def _sendable(cls, value: str | None) -> str | None:
        if value and not header_value_ok(value):
            raise ValueError("may hold only visible ASCII characters and inner spaces")
        return value or None


class CallbackStatus(BaseModel):
    """`callback` in `GET /jobs/{id}`: the latest write-back of the job's outcome."""

    status: Literal["pending", "retrying", "delivered", "failed"]
    attempts: int = Field(description="Tries since the delivery was queued")
    last_error: str | None = None
    last_attempt_at: datetime | None = None
