"""The HTTP side of a delivery: one POST, redirects not followed, every address checked
at connection time by :class:`~crm_gateway.webhooks.targets.GuardedResolver`."""

from __future__ import annotations

import time
from dataclasses import dataclass

import aiohttp

from crm_gateway.webhooks.targets import GuardedResolver, RefusedTarget, check_url, refuse_literal

_KEEP_BODY = 2048


@dataclass(frozen=True)
class Outcome:
    status: int | None
    body: str | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Sender:
    """Two pooled clients: one refusing private addresses, one (for tenants the operator
    allowed) not. Created in the running loop; :meth:`close` at shutdown."""

    def __init__(self, *, timeout: float) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._clients: dict[bool, aiohttp.ClientSession] = {}

    def _client(self, allow_private: bool) -> aiohttp.ClientSession:
        client = self._clients.get(allow_private)
        if client is None or client.closed:
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(allow_private=allow_private), limit=100
            )
            client = aiohttp.ClientSession(
                connector=connector,
                timeout=self.timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=True,
            )
            self._clients[allow_private] = client
        return client

    async def post(
        self, url: str, body: bytes, headers: dict[str, str], *, allow_private: bool
    ) -> Outcome:
        started = time.perf_counter()

        def took() -> int:
            return round((time.perf_counter() - started) * 1000)

        try:
            host, _ = check_url(url)
            if not allow_private:
                refuse_literal(host)  # aiohttp asks no resolver about an IP literal
            async with self._client(allow_private).post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                text = (await response.content.read(_KEEP_BODY)).decode(errors="replace")
                return Outcome(response.status, text, None, took())
        except RefusedTarget as exc:
            return Outcome(None, None, f"refused: {exc}"[:500], took())
        except aiohttp.ClientConnectorError as exc:
            cause = exc.os_error if isinstance(exc.os_error, RefusedTarget) else exc
            prefix = "refused" if isinstance(cause, RefusedTarget) else "unreachable"
            return Outcome(None, None, f"{prefix}: {cause}"[:500], took())
        except TimeoutError:
            return Outcome(None, None, "timed out", took())
        except aiohttp.ClientError as exc:
            return Outcome(None, None, f"failed: {exc}"[:500], took())

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
