"""RFC 9457 problem details for every error a client can see.

Domain code raises a :class:`CRMError` subclass; :func:`install_problem_handlers` renders it,
FastAPI's validation errors, unknown routes and any unexpected exception as
``application/problem+json``. A stack trace never reaches a client: an unexpected error is
logged with the request id and answered with a bare 500 problem.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from asyncpg.exceptions import PostgresError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://crm.example/problems/"
log = logging.getLogger("crm.errors")


class CRMError(Exception):
    """Base of every error with a meaning for the client."""

    status: int = 500
    type: str = "internal"
    title: str = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}


class BadRequest(CRMError):
    status, type, title = 400, "bad-request", "Bad request"


class Unauthorized(CRMError):
    status, type, title = 401, "unauthorized", "Unauthorized"


class Forbidden(CRMError):
    status, type, title = 403, "forbidden", "Forbidden"


class NotFound(CRMError):
    status, type, title = 404, "not-found", "Not found"


class Conflict(CRMError):
    status, type, title = 409, "conflict", "Conflict"


class PreconditionFailed(CRMError):
    status, type, title = 412, "precondition-failed", "Precondition failed"


class PayloadTooLarge(CRMError):
    status, type, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(CRMError):
    status, type, title = 415, "unsupported-media-type", "Unsupported media type"


class ValidationFailed(CRMError):
    status, type, title = 422, "validation", "Validation failed"


class PreconditionRequired(CRMError):
    status, type, title = 428, "precondition-required", "Precondition required"


class TooManyRequests(CRMError):
    status, type, title = 429, "rate-limited", "Too many requests"


class BadGateway(CRMError):
    status, type, title = 502, "bad-gateway", "Bad gateway"


class ServiceUnavailable(CRMError):
    status, type, title = 503, "unavailable", "Service unavailable"


class GatewayTimeout(CRMError):
    status, type, title = 504, "gateway-timeout", "Gateway timeout"


_STATUS_TYPES: dict[int, type[CRMError]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        UnsupportedMediaType,
        ValidationFailed,
        PreconditionRequired,
        TooManyRequests,
        BadGateway,
        ServiceUnavailable,
        GatewayTimeout,
    )
}


def problem_body(
    status: int,
    title: str,
    detail: str,
    *,
    type_: str,
    instance: str | None = None,
    errors: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The JSON body of a problem."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + type_,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
) -> JSONResponse:
    """A problem+json response for ``status``, typed after the matching CRMError."""
    cls = _STATUS_TYPES.get(status)
    title = cls.title if cls else "Error"
    type_ = cls.type if cls else f"http-{status}"
    return JSONResponse(
        problem_body(status, title, detail, type_=type_, instance=instance, errors=errors),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    """FastAPI validation errors as ``[{field, message}]`` with dotted field paths."""
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        field = ".".join(loc) or "body"
        message = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            message = "unknown field"
        elif err.get("type") == "json_invalid":
            field, message = "body", f"malformed JSON: {err.get('ctx', {}).get('error', '')}"
        out.append({"field": field, "message": message})
    return out


# character_not_in_repertoire (a NUL in text), untranslatable_character (\u0000 in JSON)
_UNSTORABLE_TEXT = frozenset({"22021", "22P05"})


_UNIQUE_VIOLATION = "23505"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps (SQLAlchemy's ``orig``, then ``__cause__``), a few deep."""
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            return
        yield seen
        seen = getattr(seen, "orig", None) or seen.__cause__


def _constraint_field(exc: BaseException) -> str:
    """The field a unique index is on, by the naming convention
    ``uq_<table>_tenant_<field>``; "request" when it does not say."""
    for seen in _chain(exc):
        name = getattr(seen, "constraint_name", None)
        if isinstance(name, str):
            return name.rpartition("_tenant_")[2] if "_tenant_" in name else "request"
    return "request"


def _sqlstate(exc: BaseException) -> str | None:
    """The PostgreSQL error code behind ``exc`` (raised by asyncpg, maybe wrapped by
    SQLAlchemy), or None."""
    for seen in _chain(exc):
        code = getattr(seen, "sqlstate", None)
        if isinstance(code, str):
            return code
    return None


# Class 08 (connection exception), admin or crash shutdown, cannot connect now, too many
# connections, and a statement cancelled by statement_timeout.
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300", "57014"})
RETRY_AFTER_SECONDS = 2
UNAVAILABLE_DETAIL = "The database is not answering; retry shortly"


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the database cannot serve now (stalled, down, restarting,
    saturated) rather than that the request was wrong: such a request gets a 503."""
    for seen in _chain(exc):
        if isinstance(seen, TimeoutError | PoolTimeout | ConnectionError):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        code = getattr(seen, "sqlstate", None)
        if isinstance(code, str) and (code.startswith("08") or code in _UNAVAILABLE_SQLSTATES):
            return True
        if type(seen).__name__ in ("ConnectionDoesNotExistError", "InterfaceError") and (
            "closed" in str(seen) or "does not exist" in str(seen)
        ):
            return True
    return False


def unavailable_response(instance: str | None = None) -> JSONResponse:
    """503 problem with ``Retry-After``: the database could not serve the request."""
    return problem_response(
        503,
        UNAVAILABLE_DETAIL,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        instance=instance,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error of ``app`` as problem+json."""

    @app.exception_handler(CRMError)
    async def crm_error(request: Request, exc: CRMError) -> JSONResponse:
        cls = type(exc)
        return JSONResponse(
            problem_body(
                exc.status,
                cls.title,
                exc.detail,
                type_=cls.type,
                instance=request.url.path,
                errors=exc.errors,
            ),
            status_code=exc.status,
            media_type=PROBLEM_JSON,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        status = 400 if any(e["message"].startswith("malformed JSON") for e in errors) else 422
        detail = (
            "The request body is not valid JSON"
            if status == 400
            else ("The request did not validate")
        )
        return problem_response(status, detail, errors=errors, instance=request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "Error"
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No route for {request.method} {request.url.path}"
        if exc.status_code == 405:
            detail = f"Method {request.method} not allowed on {request.url.path}"
        return problem_response(
            exc.status_code,
            detail,
            headers=getattr(exc, "headers", None),
            instance=request.url.path,
        )

    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        if _sqlstate(exc) in _UNSTORABLE_TEXT:
            # PostgreSQL stores no NUL character in text or JSON; nothing was written (the
            # request's transaction rolls back with the error).
            return problem_response(
                422,
                "Text may not contain the NUL character (\\u0000)",
                errors=[{"field": "request", "message": "contains a NUL character (\\u0000)"}],
                instance=request.url.path,
            )
        if _sqlstate(exc) == _UNIQUE_VIOLATION:
            # A race past the service's own checks (two writes of one unique value).
            field = _constraint_field(exc)
            return problem_response(
                409,
                "Another record already has this value",
                errors=[{"field": field, "message": "already taken"}],
                instance=request.url.path,
            )
        if database_unavailable(exc):
            log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
            return unavailable_response(request.url.path)
        return await unexpected(request, exc)

    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(PostgresError, database_error)
    # A timeout (no pooled connection free, the server silent) or a refused connection.
    app.add_exception_handler(PoolTimeout, database_error)
    app.add_exception_handler(TimeoutError, database_error)
    app.add_exception_handler(ConnectionError, database_error)

    async def stale_write(request: Request, exc: Exception) -> JSONResponse:
        # Two writers of one row where a use case did not lock it: the later one lost.
        return problem_response(
            409,
            "The record changed while this request was writing it; read it again and retry",
            instance=request.url.path,
        )

    app.add_exception_handler(StaleDataError, stale_write)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            500, "An unexpected error occurred; it has been logged.", instance=request.url.path
        )
