"""``Idempotency-Key`` on POST: a retried request replays the first response.

Same key and same request: the stored response is replayed (``Idempotent-Replayed:
true``). Same key, another body: 422. A key whose first request is still running: 409.
Keys are stored per tenant in the service's own database and expire after a day. A 5xx
response is not stored, so the client may retry it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_chassis.auth import verify_token
from crm_chassis.errors import CRMError, problem_body
from crm_chassis.tables import idempotency_keys

log = logging.getLogger("crm.idempotency")
KEY_TTL = timedelta(hours=24)
IN_FLIGHT_TTL = timedelta(minutes=5)
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
        try:
            principal = verify_token(auth[7:].strip(), app_state.settings)
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
        tenant_id: Any,
        key: str,
        digest: str,
        body: Any,
    ) -> None:
        app_state = scope["app"].state
        sessions: async_sessionmaker[AsyncSession] = app_state.sessions
        claimed, stored = await _claim(sessions, tenant_id, key, digest)
        if not claimed:
            assert stored is not None
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
                    "conflict",
                    "Conflict",
                    "A request with this Idempotency-Key is still in progress",
                    extra_headers=[(b"retry-after", b"1")],
                )
            else:
                await _replay(send, stored)
            return

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

        try:
            await self.app(scope, replay_receive, capture_send)
        finally:
            await _settle(sessions, tenant_id, key, status, resp_headers, chunks)


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


async def _claim(sessions, tenant_id, key, digest):
    async with sessions() as session, session.begin():
        # A key past its lifetime, or stuck in flight after a crash, is free again.
        await session.execute(
            delete(idempotency_keys).where(
                idempotency_keys.c.tenant_id == tenant_id,
                idempotency_keys.c.key == key,
                (idempotency_keys.c.created_at < func.now() - KEY_TTL)
                | (
                    idempotency_keys.c.status_code.is_(None)
                    & (idempotency_keys.c.created_at < func.now() - IN_FLIGHT_TTL)
                ),
            )
        )
        inserted = await session.execute(
            insert(idempotency_keys)
            .values(tenant_id=tenant_id, key=key, request_hash=digest)
            .on_conflict_do_nothing()
            .returning(idempotency_keys.c.key)
        )
        if inserted.first() is not None:
            return True, None
        row = (
            await session.execute(
                select(idempotency_keys).where(
                    idempotency_keys.c.tenant_id == tenant_id, idempotency_keys.c.key == key
                )
            )
        ).first()
        return False, row


async def _settle(sessions, tenant_id, key, status, headers, chunks):
    where = (idempotency_keys.c.tenant_id == tenant_id) & (idempotency_keys.c.key == key)
    try:
        async with sessions() as session, session.begin():
            if status >= 500:
                await session.execute(delete(idempotency_keys).where(where))
                return
            kept = {
                k.decode("latin-1"): v.decode("latin-1")
                for k, v in headers
                if k.decode("latin-1").lower() in _REPLAYED_HEADERS
            }
            await session.execute(
                update(idempotency_keys)
                .where(where)
                .values(status_code=status, response_headers=kept, response_body=b"".join(chunks))
            )
    except Exception:  # the response is already sent; the key expires from in-flight
        log.exception("could not store the response of idempotency key %s", key)


async def _replay(send: Send, stored) -> None:
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
