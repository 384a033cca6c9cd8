"""One JSON error shape for every answer: `{"error": {"code", "message", "field"?}}`.

Only the gateway builds HTTP errors. No stack trace, SQL or exception text from inside the
service ever reaches a client; unexpected errors are logged with a reference id instead.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError
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
    500: "internal_error",
    503: "unavailable",
    504: "timeout",
}

#: Where a request value came from in a validation error's `loc`; not part of a field path.
_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


class ErrorInfo(BaseModel):
    """What went wrong: a stable `code`, a readable `message`, the `field` at fault if any."""

    code: str = Field(examples=["invalid_request"])
    message: str = Field(examples=["client_domain: is required"])
    field: str | None = Field(default=None, description="Dotted path of the input at fault")
    details: list[dict[str, Any]] | None = Field(
        default=None, description="Every validation problem, as {field, message}"
    )
    reference: str | None = Field(
        default=None, description="For an internal error: quote it to the operators"
    )


class ErrorResponse(BaseModel):
    """The body of every answer that is not a success."""

    error: ErrorInfo


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


def api_error_response(exc: ApiError) -> JsonResponse:
    """The answer for an `ApiError`, for code outside FastAPI's handlers (ASGI middleware)."""
    return JsonResponse(
        error_body(exc.code, exc.message, exc.field), status_code=exc.status, headers=exc.headers
    )


def field_path(parts: Iterable[str | int]) -> str:
    """A path as a client writes it: names dotted, list positions in brackets.

    `("items", 1, "domain")` is `items[1].domain`; a dotted path a linter named
    (`experience.3.title`) is split first, its all-digit parts being positions.
    """
    text = ""
    for part in parts:
        for piece in part.split(".") if isinstance(part, str) else [part]:
            if isinstance(piece, int) or (piece.isascii() and piece.isdigit()):
                text += f"[{piece}]"
            else:
                text += f".{piece}" if text else piece
    return text


def _field_path(err: dict[str, Any]) -> str:
    """The path of the input at fault: the error's `loc` plus a path a linter named."""
    if err.get("type") == "json_invalid":
        return "body"
    parts: list[str | int] = [p for p in err.get("loc", ()) if p not in _LOCATIONS]
    inner = (err.get("ctx") or {}).get("field")
    if isinstance(inner, str) and inner != "body":
        parts.append(inner)
    return field_path(parts) or "body"


def _validation_message(err: dict[str, Any]) -> str:
    kind = err.get("type")
    if kind == "missing":
        return "is required"
    if kind in ("too_short", "string_too_short") and (err.get("ctx") or {}).get("min_length") == 1:
        return "is empty"
    if kind == "json_invalid":
        reason = (err.get("ctx") or {}).get("error", "")
        where = _json_position(err)
        at = f" at position {where}" if where is not None else ""
        return f"is not valid JSON ({reason}){at}" if reason else f"is not valid JSON{at}"
    msg = str(err.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


def _json_position(err: dict[str, Any]) -> int | None:
    """Where in the body a JSON syntax error is (FastAPI puts it in `loc`: `("body", pos)`)."""
    loc = err.get("loc", ())
    return loc[1] if len(loc) == 2 and isinstance(loc[1], int) else None


def _detail(err: dict[str, Any]) -> dict[str, Any]:
    detail: dict[str, Any] = {"field": _field_path(err), "message": _validation_message(err)}
    if err.get("type") == "json_invalid" and (where := _json_position(err)) is not None:
        detail["position"] = where
    return detail


def validation_text(errors: Iterable[dict[str, Any]]) -> str:
    """A validation failure as one line (`field: message`, several joined by `; `), as the
    422 answer of a route states it; for answers that hold many bodies' verdicts."""
    details = [_detail(e) for e in errors]
    return "; ".join(f"{d['field']}: {d['message']}" for d in details) or "body: invalid request"


async def _on_validation(_request: Request, exc: RequestValidationError) -> JsonResponse:
    errors = [_detail(e) for e in exc.errors()]
    first = errors[0] if errors else {"field": "body", "message": "invalid request"}
    body = error_body(
        "invalid_request", f"{first['field']}: {first['message']}", first["field"], details=errors
    )
    return JsonResponse(body, status_code=422)


async def _on_api_error(_request: Request, exc: ApiError) -> JsonResponse:
    return api_error_response(exc)


async def _on_http(request: Request, exc: StarletteHTTPException) -> JsonResponse:
    unreadable = await _unreadable_body(request, exc)
    if unreadable is not None:
        return unreadable
    code = CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return JsonResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


async def _unreadable_body(request: Request, exc: StarletteHTTPException) -> JsonResponse | None:
    """FastAPI's 400 for a body its JSON parser raised on, told apart: where and why.

    Invalid UTF-8 and nesting past the parser's recursion limit are the two causes a
    request can provoke; the answer names the byte where the body stops being readable.
    """
    cause = exc.__cause__
    if exc.status_code != 400 or not isinstance(cause, UnicodeDecodeError | RecursionError):
        return None
    if isinstance(cause, UnicodeDecodeError):
        where, why = cause.start, "is not valid UTF-8"
    else:
        where, why = nesting_position(await request.body(), MAX_PARSE_DEPTH), "nests too deeply"
    message = f"body: {why} (at byte {where})"
    detail = {"field": "body", "message": f"{why} (at byte {where})", "position": where}
    return JsonResponse(
        error_body("bad_request", message, "body", details=[detail]), status_code=400
    )


#: Nesting the gateway reports as too deep for the JSON parser (the lint refuses past 32).
MAX_PARSE_DEPTH = 500


def nesting_position(body: bytes, limit: int) -> int:
    """The byte at which `body`'s arrays and objects nest deeper than `limit` (else its end).

    Only for a body already refused: a plain scan that skips strings.
    """
    depth, in_string, escaped = 0, False, False
    for index, byte in enumerate(body):
        if in_string:  # until an unescaped quote
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
            continue
        if byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return index
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return len(body)


async def _on_unstorable(request: Request, exc: DataError) -> JsonResponse:
    """PostgreSQL refused a value from the request (out of range, NUL character): a 422.

    Routes should bound their inputs; this keeps one they forgot from answering 500.
    """
    ref = uuid.uuid4().hex[:12]
    log.warning(
        "database refused a request value ref=%s on %s %s: %s",
        ref,
        request.method,
        request.url.path,
        exc.orig,
    )
    message = "a value is out of range or holds characters that cannot be stored (e.g. NUL)"
    return JsonResponse(error_body("invalid_request", message, reference=ref), status_code=422)


async def _on_unexpected(request: Request, exc: Exception) -> JsonResponse:
    """A bug: log it with a reference id; the client gets the id and nothing else."""
    ref = uuid.uuid4().hex[:12]
    log.error(
        "unhandled error ref=%s on %s %s", ref, request.method, request.url.path, exc_info=exc
    )
    body = error_body(
        "internal_error",
        f"internal error; quote reference {ref} to the operators",
        reference=ref,
    )
    return JsonResponse(body, status_code=500)


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the same shape."""
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(ApiError, _on_api_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http)  # type: ignore[arg-type]
    app.add_exception_handler(DataError, _on_unstorable)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_unexpected)


def error_answer(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """An error answer for `responses=`: the one error shape, with its own description."""
    answer: dict[str, Any] = {"model": ErrorResponse, "description": description}
    if headers:
        answer["headers"] = headers
    return answer


#: The error answers any API operation may give (from `Guard`, `BodyLimit`, validation and
#: the outages), for `include_router(..., responses=GUARDED)`. Declaring 422 here also keeps
#: FastAPI from documenting its own `HTTPValidationError`, which this service never sends.
GUARDED: dict[int | str, dict[str, Any]] = {
    400: error_answer("The body could not be parsed"),
    401: error_answer(
        "No key, or an unknown or revoked key",
        {"WWW-Authenticate": {"schema": {"type": "string"}}},
    ),
    403: error_answer("The key may not do this (a client-scoped key outside its client_domain)"),
    404: error_answer("Nothing with that id or key"),
    413: error_answer("The body is larger than HQ_MAX_BODY_BYTES"),
    422: error_answer("A field is invalid; `error.field` names it"),
    429: error_answer(
        "This key's rate limit is used up; retry after `Retry-After` seconds",
        {
            "Retry-After": {
                "description": "Seconds until the key may call again",
                "schema": {"type": "integer"},
            }
        },
    ),
    503: error_answer("PostgreSQL or Redis is unreachable; nothing was accepted, retry"),
}
