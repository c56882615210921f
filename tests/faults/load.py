"""A write load as a careful client makes it: every create carries an Idempotency-Key and
is retried with it until the service gives a definite answer."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field

import httpx

#: ``make test-faults`` sets it: each load ten times as long as in ``make test``.
SCALE = 10 if os.environ.get("CRM_FAULTS_FULL") == "1" else 1

#: The answer to a retry whose first attempt committed but died before its response
#: was stored: the write is done, its response is lost.
COMPLETED = "/idempotency-completed"


@dataclass
class WriteLoad:
    """``total`` contacts named ``{prefix}{i}``, created ``concurrency`` at a time."""

    http: httpx.AsyncClient
    total: int
    prefix: str = "load-"
    concurrency: int = 8
    #: name -> id of every write the service acknowledged with 201 (or a replay of it).
    acknowledged: dict[str, str] = field(default_factory=dict)
    #: Names whose retry said "completed": committed, the response lost with the process.
    completed_unanswered: set[str] = field(default_factory=set)
    #: Attempts that got no answer at all (the connection failed or was cut).
    interrupted: int = 0
    #: Answers that said "try again": 503 while a dependency is down, 409 in progress.
    retried: int = 0
    _progress: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def names(self) -> list[str]:
        return [f"{self.prefix}{i}" for i in range(self.total)]

    @property
    def done(self) -> int:
        return len(self.acknowledged) + len(self.completed_unanswered)

    async def run(self) -> None:
        queue: asyncio.Queue[str] = asyncio.Queue()
        for name in self.names:
            queue.put_nowait(name)

        async def worker() -> None:
            while not queue.empty():
                await self.write(queue.get_nowait())

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))

    async def write(self, name: str) -> None:
        while True:
            try:
                response = await self.http.post(
                    "/v1/contacts", json={"first_name": name}, headers={"idempotency-key": name}
                )
            except httpx.TransportError:
                self.interrupted += 1
                await asyncio.sleep(0.05)  # the service is gone: retry as a client would
                continue
            if response.status_code == 201:
                self.acknowledged[name] = response.json()["id"]
                return await self._answered()
            problem = response.json().get("type", "")
            if response.status_code == 409 and problem.endswith(COMPLETED):
                self.completed_unanswered.add(name)
                return await self._answered()
            if response.status_code in (409, 503):
                self.retried += 1
                await asyncio.sleep(0.05)
                continue
            raise AssertionError(f"{name}: {response.status_code} {response.text}")

    async def wait_until_done(self, count: int) -> None:
        """Return once ``count`` writes have a definite answer."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.done >= count)

    async def _answered(self) -> None:
        async with self._progress:
            self._progress.notify_all()
