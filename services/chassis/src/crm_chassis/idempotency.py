"""``Idempotency-Key`` on POST: a retried request replays the first response.

Same key and same request: the stored response is replayed (``Idempotent-Replayed:
true``). Same key, another body: 422. A key whose first request is still running: 409.
Keys are stored per tenant in the service's own database and expire after a day.

Crash safety, without running a committed request twice:

- The claim is a session-level advisory lock on a connection the request holds until it
  has answered (:mod:`crm_chassis.idempotency_store`). A process that dies drops its
  connections and so its locks: the key is free again at once, not after a timeout.
- The request's own transaction (the :data:`~crm_chassis.db.SessionDep` commit) writes a
  "committed" row for the key, so the effect and the marker commit together. The
  response is stored on that row after it has been sent.
- A retry finding the marker without a response (the process died between the commit
  and storing the response) is not run again: it gets a 409 problem saying the request
  took effect. Finding no row, it runs: the first attempt never committed.
- A 5xx response is not stored, so the client may retry it; if it came after the commit,
  the marker answers that retry as above.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_chassis import idempotency_store as store
from crm_chassis.auth import verify_token
from crm_chassis.db import before_commit, read_engine
from crm_chassis.errors import (
    RETRY_AFTER_SECONDS,
    UNAVAILABLE_DETAIL,
    CRMError,
    database_unavailable,
    problem_body,
)

log = logging.getLogger("crm.idempotency")
MAX_KEY_LENGTH = 255
SPOOL_IN_MEMORY = 1 << 20
REPLAY_CHUNK = 1 << 16
_REPLAYED_HEADERS = {"content-type", "location", "etag"}


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(b"idempotency-key")
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if raw_key is None or not auth.lower().startswith("bearer "):
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            await _problem(
                send,
                400,
                "bad-request",
                "Bad request",
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters",
            )
            return
        app_state = scope["app"].state
        tokens = getattr(app_state, "tokens", None)
        try:
            if tokens is None:
                principal = verify_token(auth[7:].strip(), app_state.settings)
            else:
                principal = tokens.principal(auth)
        except CRMError:
            await self.app(scope, receive, send)  # the route answers 401
            return

        hasher = hashlib.sha256(scope["method"].encode() + b" " + scope["path"].encode() + b"\n")
        # Spooled: small bodies stay in memory, an upload goes to a temporary file.
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        try:
            await _read_body(receive, body, hasher)
            await self._handle(
                scope, receive, send, principal.tenant_id, key, hasher.hexdigest(), body
            )
        finally:
            body.close()

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        tenant_id: UUID,
        key: str,
        digest: str,
        body: Any,
    ) -> None:
        app_state = scope["app"].state
        engine: AsyncEngine | None = getattr(app_state, "read_engine", None)
        if engine is None:
            engine = app_state.read_engine = read_engine(app_state.engine)
        try:
            conn = await engine.connect()
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            await _unavailable(send)
            return
        locked = False
        try:
            try:
                locked, stored = await store.claim(conn, tenant_id, key)
            except Exception as exc:
                if not database_unavailable(exc):
                    raise
                await _unavailable(send)
                return
            if not locked:
                await _problem(
                    send,
                    409,
                    "conflict",
                    "Conflict",
                    "A request with this Idempotency-Key is still in progress",
                    extra_headers=[(b"retry-after", b"1")],
                )
            elif stored is not None:
                await _answer_stored(send, stored, digest)
            else:
                await self._run(scope, receive, send, conn, tenant_id, key, digest, body)
                locked = False  # released with the stored response
        finally:
            await _give_back(conn, tenant_id, key, locked)

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        conn: AsyncConnection,
        tenant_id: UUID,
        key: str,
        digest: str,
        body: Any,
    ) -> None:
        """Run the request with the key locked, then store its response and unlock."""
        status = 500
        resp_headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        body.seek(0)
        finished = False

        async def replay_receive() -> Message:
            nonlocal finished
            if finished:
                return await receive()
            chunk = body.read(REPLAY_CHUNK)
            finished = len(chunk) < REPLAY_CHUNK
            return {"type": "http.request", "body": chunk, "more_body": not finished}

        async def capture_send(message: Message) -> None:
            nonlocal status, resp_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                resp_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        async def mark(session: AsyncSession) -> None:
            await store.mark_committed(session, tenant_id, key, digest)

        token = before_commit.set(mark)
        try:
            await self.app(scope, replay_receive, capture_send)
        finally:
            before_commit.reset(token)
            await _settle(conn, tenant_id, key, digest, status, resp_headers, b"".join(chunks))


async def _settle(
    conn: AsyncConnection,
    tenant_id: UUID,
    key: str,
    digest: str,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
) -> None:
    """Store the response (not a 5xx: the client may retry it; a marker committed before
    the failure stays, so that retry is not run again) and unlock the key."""
    try:
        if status >= 500:
            await store.release(conn, tenant_id, key)
            return
        kept = {
            k.decode("latin-1"): v.decode("latin-1")
            for k, v in headers
            if k.decode("latin-1").lower() in _REPLAYED_HEADERS
        }
        await store.store_and_release(
            conn, tenant_id, key, digest, status_code=status, headers=kept, body=body
        )
    except Exception:
        # The response is already sent. Closing the connection frees the lock; a retry
        # then finds the committed marker, if any, and is not run again.
        log.exception("could not store the response of idempotency key %s", key)
        await conn.invalidate()


async def _give_back(conn: AsyncConnection, tenant_id: UUID, key: str, locked: bool) -> None:
    """Return the claim's connection to the pool with its lock released, or close it
    (which releases the lock) when that cannot be done cleanly."""
    try:
        if locked:
            await store.release(conn, tenant_id, key)
        await conn.close()
    except BaseException:
        log.warning("closing the connection of idempotency key %s", key, exc_info=True)
        await conn.invalidate()
        await conn.close()
        raise


async def _answer_stored(send: Send, stored: store.StoredKey, digest: str) -> None:
    if stored.request_hash != digest:
        await _problem(
            send,
            422,
            "idempotency-mismatch",
            "Idempotency key reused",
            "This Idempotency-Key was used with a different request",
        )
    elif stored.status_code is None:
        await _problem(
            send,
            409,
            "idempotency-completed",
            "Request already took effect",
            "The request with this Idempotency-Key took effect, but its response was lost "
            "(the server stopped before sending it); it is not run again. Read the "
            "resource to see its state.",
        )
    else:
        await _replay(send, stored)


async def _unavailable(send: Send) -> None:
    await _problem(
        send,
        503,
        "unavailable",
        "Service unavailable",
        UNAVAILABLE_DETAIL,
        extra_headers=[(b"retry-after", str(RETRY_AFTER_SECONDS).encode())],
    )


async def _read_body(receive: Receive, sink: Any, hasher: Any) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return
        chunk = message.get("body", b"")
        hasher.update(chunk)
        sink.write(chunk)
        if not message.get("more_body", False):
            return


async def _replay(send: Send, stored: store.StoredKey) -> None:
    headers = [
        (k.encode("latin-1"), v.encode("latin-1"))
        for k, v in (stored.response_headers or {}).items()
    ]
    headers.append((b"idempotent-replayed", b"true"))
    body = stored.response_body or b""
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": stored.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _problem(
    send: Send,
    status: int,
    type_: str,
    title: str,
    detail: str,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = json.dumps(problem_body(status, title, detail, type_=type_)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                *(extra_headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
