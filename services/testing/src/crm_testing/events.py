"""Capture the CloudEvents published on NATS, to assert on them in tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # nats pulls in aiohttp: import it only when a capture starts
    from nats.aio.client import Client
    from nats.aio.msg import Msg
    from nats.aio.subscription import Subscription

Event = dict[str, Any]
_VERSION = re.compile(r"\.v\d+$")


class EventCapture:
    """Records every message on ``subject`` (default ``crm.>``) from ``start()`` on.

    A core NATS subscription: JetStream publishes reach it too, and it sees only what is
    published after it started, so tests do not see earlier tests' events.
    """

    def __init__(self, nats_url: str, subject: str = "crm.>") -> None:
        """Describe the capture; nothing is received until ``start()``."""
        self.nats_url = nats_url
        self.subject = subject
        #: Parsed CloudEvents (structured mode dicts), in arrival order.
        self.events: list[Event] = []
        #: NATS subject of each entry of ``events``, same order.
        self.nats_subjects: list[str] = []
        #: (NATS subject, raw body) of messages that were not a JSON object.
        self.invalid: list[tuple[str, bytes]] = []
        self._changed = asyncio.Event()
        self._nc: Client | None = None
        self._sub: Subscription | None = None

    async def start(self) -> EventCapture:
        """Connect and subscribe; returns once the server has registered the subscription."""
        import nats

        self._nc = await nats.connect(self.nats_url, name="crm-event-capture")
        self._sub = await self._nc.subscribe(self.subject, cb=self._on_message)
        await self._nc.flush()  # the subscription is live on the server after this
        return self

    async def stop(self) -> None:
        """Unsubscribe and close the connection."""
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.close()
        self._nc = self._sub = None

    async def __aenter__(self) -> EventCapture:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def clear(self) -> None:
        """Forget everything captured so far."""
        self.events.clear()
        self.nats_subjects.clear()
        self.invalid.clear()

    def of_type(self, type_: str) -> list[Event]:
        """Captured events of ``type_`` (see ``wait_for`` for how types match)."""
        return [e for e in self.events if _type_matches(e.get("type"), type_)]

    async def wait_for(
        self,
        type_: str,
        *,
        predicate: Callable[[Event], bool] | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - the helper's contract: a deadline in seconds
    ) -> Event:
        """Return the first captured event of ``type_`` for which ``predicate`` is true.

        Looks at what was already captured, then waits for new messages until
        ``timeout`` seconds have passed, then raises AssertionError listing what was
        seen. ``type_`` matches the full type (``crm.sales.deal.won.v1``) or the type
        without its version suffix (``crm.sales.deal.won``).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            # Clear before scanning: a message arriving after the scan sets it again.
            self._changed.clear()
            for event in self.of_type(type_):
                if predicate is None or predicate(event):
                    return event
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(self._describe_miss(type_, predicate, timeout))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def _on_message(self, msg: Msg) -> None:
        try:
            event = json.loads(msg.data)
        except ValueError:
            event = None
        if isinstance(event, dict):
            self.events.append(event)
            self.nats_subjects.append(msg.subject)
        else:
            self.invalid.append((msg.subject, msg.data))
        self._changed.set()

    def _describe_miss(
        self, type_: str, predicate: Callable[[Event], bool] | None, timeout: float
    ) -> str:
        what = f"{type_!r}" + (" matching the predicate" if predicate else "")
        seen = [
            f"  {e.get('type')} subject={e.get('subject')} tenant={e.get('tenantid')}"
            for e in self.events[-50:]
        ]
        lines = [f"no event {what} within {timeout:g}s; saw {len(self.events)} event(s):"]
        lines += seen or ["  (none)"]
        if self.invalid:
            lines.append(f"and {len(self.invalid)} non-JSON message(s) on {self.invalid[0][0]}")
        return "\n".join(lines)


def _type_matches(actual: object, wanted: str) -> bool:
    return isinstance(actual, str) and (actual == wanted or _VERSION.sub("", actual) == wanted)
