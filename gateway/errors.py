"""One JSON error shape for every answer: `{"error": {"code", "message", "field"?}}`.

Only the gateway builds HTTP errors. No stack trace, SQL or exception text from inside the
service ever reaches a client; unexpected errors are logged with a reference id instead.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("hq.gateway")

#: Codes for the statuses the gateway answers with.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    503: "unavailable",
}


class JsonResponse(Response):
    """A JSON answer serialised with orjson (dates, UUIDs and datetimes included)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=str)


class ApiError(Exception):
    """Raised by handlers for an answer other than success; rendered in the error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.code = code or CODES.get(status, "error")
        self.headers = headers


def error_body(code: str, message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    """The error envelope; `field` is the dotted path of the input at fault."""
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    error.update(extra)
    return {"error": error}


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _validation_message(err: dict[str, Any]) -> str:
    msg = str(err.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


async def _on_validation(_request: Request, exc: RequestValidationError) -> JsonResponse:
    errors = [
        {"field": _field_path(tuple(e.get("loc", ()))), "message": _validation_message(e)}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"field": "body", "message": "invalid request"}
    body = error_body(
        "invalid_request", f"{first['field']}: {first['message']}", first["field"], details=errors
    )
    return JsonResponse(body, status_code=422)


async def _on_api_error(_request: Request, exc: ApiError) -> JsonResponse:
    return JsonResponse(
        error_body(exc.code, exc.message, exc.field), status_code=exc.status, headers=exc.headers
    )


async def _on_http(_request: Request, exc: StarletteHTTPException) -> JsonResponse:
    code = CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return JsonResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


async def _on_unexpected(_request: Request, exc: Exception) -> JsonResponse:
    ref = uuid.uuid4().hex[:12]
    log.exception("unhandled error ref=%s", ref, exc_info=exc)
    body = error_body("internal_error", f"internal error (reference {ref})")
    return JsonResponse(body, status_code=500)


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the same shape."""
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(ApiError, _on_api_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_unexpected)
