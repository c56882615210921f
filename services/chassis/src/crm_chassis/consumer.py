"""The event consumer runner: durable pull consumers with an inbox for exactly-once effect.

A service registers its handlers in one table (its ``consumers.py``); a key is either

- a registered event type (``crm.sales.deal.stage_changed.v1``): that type's handler, or
- a subject pattern (``crm.>``, ``crm.sales.>``): one handler for every event on a
  matching subject, for the consumers of everything (the analytics warehouse, the
  webhook dispatcher).

An event goes to the handler of its exact type if there is one, else to the most specific
matching pattern (most literal tokens); an event nothing claims (another version of a
subject we listen to) is acknowledged and skipped. A key that is neither a registered
type nor a valid pattern (a typo) is a ValueError when the :class:`Consumer` is built,
that is when the service's ``consumers.py`` is imported at start-up.

A handler is ``handler(session, event)`` with the raw :class:`CloudEvent`; wrapped in
:class:`Typed` it is ``handler(session, event, data)`` with ``data`` parsed into the
type's proto model. The runner parses it before the transaction: an event whose payload
does not validate (or, under a pattern, whose type has no model) is dead-lettered at once,
since no retry can make it valid. :class:`Batched` handlers take runs of raw events.

For each fetched batch the runner opens one transaction, inserts ``(consumer, event id)``
into ``inbox`` and runs a handler only for an event whose insert was new, then commits and
acks. A redelivered event therefore has no second effect. A handler that keeps failing is
retried with backoff up to ``max_deliver`` times; the event is then copied to the
dead-letter stream (see :mod:`crm_chassis.dead_letters`) and terminated.

:func:`reset` (:mod:`crm_chassis.consumer_reset`) makes a consumer replay the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import groupby
from typing import Any
from uuid import UUID

from crm_proto import CloudEvent, payload_model, subject_for
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError
from sqlalchemy import String, Uuid, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_chassis import metrics
from crm_chassis.bus import STREAM, Bus
from crm_chassis.consumer_reset import Truncate, reset
from crm_chassis.dead_letters import dead_letter_subject
from crm_chassis.orm import utcnow
from crm_chassis.subjects import check_pattern, covers, is_pattern, minimal_filters, specificity
from crm_chassis.tables import inbox

log = logging.getLogger("crm.consumer")

# One statement whatever the batch size (a VALUES list would be compiled for each size).
_REMEMBER = (
    insert(inbox)
    .from_select(
        ["consumer", "event_id"],
        select(
            bindparam("consumer", type_=String),
            func.unnest(bindparam("ids", type_=ARRAY(Uuid))),
        ),
    )
    .on_conflict_do_nothing()
    .returning(inbox.c.event_id)
)

EventHandler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]
ManyHandler = Callable[[AsyncSession, Sequence[CloudEvent]], Awaitable[None]]
TypedHandler = Callable[[AsyncSession, CloudEvent, Any], Awaitable[None]]


@dataclass(frozen=True)
class Batched:
    """A handler that takes several events at once (one query for many, not one each).

    The runner passes it each run of consecutive events in a batch that map to this same
    object, in order; when it must isolate a failing event it passes one event at a time.
    """

    handle: ManyHandler


@dataclass(frozen=True)
class Typed:
    """A handler that takes the payload as its proto model: ``handle(session, event, data)``.

    ``data`` is an instance of the model registered for ``event.type`` (for example
    ``DealStageChanged``), validated by the runner before the transaction.
    """

    handle: TypedHandler

    def bind(self, event: CloudEvent) -> EventHandler:
        """An event handler with ``event``'s payload parsed: KeyError for a type without
        a model, ValidationError for a payload that does not fit it."""
        data = payload_model(event.type).model_validate(event.data)

        async def call(session: AsyncSession, event: CloudEvent) -> None:
            await self.handle(session, event, data)

        return call


Handler = EventHandler | Batched | Typed
# What the runner calls once a Typed handler is bound to its event.
Runnable = EventHandler | Batched


@dataclass(frozen=True)
class Consumer:
    """A durable consumer: its name and one handler per event type or subject pattern.

    ValueError for a name JetStream cannot take, a key that is neither a registered event
    type nor a valid pattern, or patterns that overlap without one covering the other.
    """

    name: str
    handlers: Mapping[str, Handler]
    max_deliver: int = 5
    ack_wait: float = 30.0
    backoff: tuple[float, ...] = field(default=(0.5, 2.0, 5.0, 15.0))
    batch_size: int = 100
    """Events fetched and handled per transaction; a loader whose cost is per batch (a
    warehouse) takes more."""

    def __post_init__(self) -> None:
        if not self.name or any(c in self.name for c in ".*> \t\r\n"):
            raise ValueError(f"not a durable consumer name: {self.name!r}")
        if not self.handlers:
            raise ValueError(f"consumer {self.name!r} has no handlers")
        for key in self.handlers:
            if is_pattern(key):
                check_pattern(key)
            else:
                try:
                    payload_model(key)
                except KeyError:
                    raise ValueError(
                        f"consumer {self.name!r} handles {key!r}, which is not a registered "
                        "event type (nor a subject pattern)"
                    ) from None
        self.subjects  # noqa: B018 (overlapping patterns fail here, at construction)

    @cached_property
    def subjects(self) -> list[str]:
        """The consumer's filter subjects, none covered by another."""
        return minimal_filters(k if is_pattern(k) else subject_for(k) for k in self.handlers)

    @cached_property
    def _patterns(self) -> list[tuple[str, Handler]]:
        patterns = sorted((k for k in self.handlers if is_pattern(k)), key=specificity)
        return [(p, self.handlers[p]) for p in patterns]

    def handler_for(self, event_type: str, subject: str) -> Handler | None:
        """The handler of an event of ``event_type`` that arrived on ``subject``."""
        handler = self.handlers.get(event_type)
        if handler is not None:
            return handler
        return next((h for p, h in self._patterns if covers(p, subject)), None)


def _runs(
    work: list[tuple[Msg, CloudEvent, Runnable]],
) -> Iterator[tuple[Runnable, list[tuple[Msg, CloudEvent]]]]:
    """Consecutive items with the same handler, grouped when it is :class:`Batched`."""
    for handler, group in groupby(work, key=lambda item: item[2]):
        items = [(msg, event) for msg, event, _ in group]
        if isinstance(handler, Batched):
            yield handler, items
        else:
            yield from ((handler, [item]) for item in items)


async def _call(handler: Runnable, session: AsyncSession, events: list[CloudEvent]) -> None:
    if isinstance(handler, Batched):
        await handler.handle(session, events)
    else:
        (event,) = events
        await handler(session, event)


class _HandlerFailed(Exception):
    """A handler raised in a batch run without savepoints: run it again with them."""


class ConsumerRunner:
    """Pulls and handles one consumer's events until cancelled."""

    def __init__(
        self,
        consumer: Consumer,
        sessions: async_sessionmaker[AsyncSession],
        bus: Bus,
        *,
        batch_size: int | None = None,
    ) -> None:
        self.consumer = consumer
        self.sessions = sessions
        self.bus = bus
        self.batch_size = batch_size or consumer.batch_size

    async def _subscribe(self):
        js = await self.bus.wait_ready()
        c = self.consumer
        config = ConsumerConfig(
            durable_name=c.name,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=c.max_deliver,
            ack_wait=c.ack_wait,
            filter_subjects=c.subjects,
            max_ack_pending=1000,
        )
        await js.add_consumer(STREAM, config)  # creates, or updates to this config
        return await js.pull_subscribe_bind(durable=c.name, stream=STREAM)

    async def run(self) -> None:
        while True:
            sub = None
            try:
                sub = await self._subscribe()
                while True:
                    try:
                        messages = await sub.fetch(self.batch_size, timeout=1.0)
                    except (NatsTimeout, TimeoutError):
                        messages = []
                    await self.handle_fetched(messages)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "consumer %s lost its subscription (%s); resubscribing", self.consumer.name, exc
                )
                await asyncio.sleep(1.0)
            finally:
                if sub is not None:
                    # Withdraw interest at once, so the server stops handing this runner
                    # messages that would wait out ack_wait, and a closing connection
                    # has no subscription left to drain.
                    with contextlib.suppress(Exception):
                        await sub.unsubscribe()

    async def handle_fetched(self, messages: list[Msg]) -> None:
        """Handle what one fetch returned, and record the consumer's lag after it.

        An idle fetch ends in a timeout or, when the server's 408 arrives first, in an
        empty list: both mean nothing is waiting.
        """
        pending, age = 0, 0.0
        if messages:
            await self.handle_batch(messages)
            newest = messages[-1].metadata
            # the stream's count after this batch; the time the stream stored the newest
            pending = newest.num_pending
            age = max(0.0, (utcnow() - newest.timestamp).total_seconds())
        metrics.CONSUMER_PENDING.labels(self.consumer.name).set(pending)
        metrics.CONSUMER_LAG.labels(self.consumer.name).set(age)

    async def handle(self, msg: Msg) -> None:
        """Handle one message (see :meth:`handle_batch`)."""
        await self.handle_batch([msg])

    async def handle_batch(self, messages: list[Msg]) -> None:
        """Handle fetched messages in one transaction; acks go out after the commit.

        The inbox rows of the whole batch are inserted in one statement; a handler runs only
        for an event whose row was new. One commit per batch instead of one per event. The
        batch is first run as it comes; if a handler fails, that transaction is rolled back
        and the batch is run again with each handler in its own savepoint, so a failing
        event alone (its inbox row removed again) is retried or dead-lettered.
        """
        c = self.consumer
        work: list[tuple[Msg, CloudEvent, Runnable]] = []
        for msg in messages:
            try:
                event = CloudEvent.model_validate_json(msg.data)
            except ValidationError as exc:
                await self._dead_letter(msg, f"not a CloudEvent: {exc}")
                continue
            handler = c.handler_for(event.type, msg.subject)
            if handler is None:  # another version of a subject we listen to
                await msg.ack()
                continue
            if not isinstance(handler, Typed):
                work.append((msg, event, handler))
                continue
            try:
                work.append((msg, event, handler.bind(event)))
            except (KeyError, ValueError) as exc:  # ValidationError is a ValueError
                await self._dead_letter(msg, f"payload does not fit its model: {exc}", event)
        if not work:
            return
        try:
            try:
                done, failed = await self._apply(work, isolate=len(work) == 1)
            except _HandlerFailed:
                done, failed = await self._apply(work, isolate=True)
        except Exception as exc:  # the commit itself failed: every message is retried
            log.warning("consumer %s could not commit a batch: %s", c.name, exc)
            failed = [(msg, event, exc) for msg, event, _ in work]
            done = []
        for msg in done:
            await msg.ack()
        metrics.EVENTS_CONSUMED.labels(c.name, "ok").inc(len(done))
        for msg, event, error in failed:
            await self._retry_or_give_up(msg, event, error)

    async def _apply(
        self, work: list[tuple[Msg, CloudEvent, Runnable]], *, isolate: bool
    ) -> tuple[list[Msg], list[tuple[Msg, CloudEvent, Exception]]]:
        """Run the batch in one transaction: the messages done and those that failed.

        Without ``isolate`` a failing handler aborts the whole transaction
        (:class:`_HandlerFailed`), and a :class:`Batched` handler takes each run of its
        events at once; with it, each event is handled alone, in a savepoint.
        """
        c = self.consumer
        done: list[Msg] = []
        failed: list[tuple[Msg, CloudEvent, Exception]] = []
        async with self.sessions() as session, session.begin():
            ids = list(dict.fromkeys(UUID(e.id) for _, e, _ in work))
            inserted = await session.execute(_REMEMBER, {"consumer": c.name, "ids": ids})
            fresh = set(inserted.scalars())
            todo: list[tuple[Msg, CloudEvent, Runnable]] = []
            for msg, event, handler in work:
                event_id = UUID(event.id)
                if event_id not in fresh:  # seen before (or twice in this batch)
                    done.append(msg)
                    continue
                fresh.discard(event_id)
                todo.append((msg, event, handler))
            if isolate:
                for msg, event, handler in todo:
                    try:
                        async with session.begin_nested():
                            await _call(handler, session, [event])
                        done.append(msg)
                    except Exception as exc:
                        failed.append((msg, event, exc))
            else:
                for handler, run in _runs(todo):
                    try:
                        await _call(handler, session, [event for _, event in run])
                    except Exception as exc:
                        raise _HandlerFailed from exc
                    done.extend(msg for msg, _ in run)
            if failed:
                await session.execute(
                    delete(inbox).where(
                        inbox.c.consumer == c.name,
                        inbox.c.event_id.in_([UUID(e.id) for _, e, _ in failed]),
                    )
                )
        return done, failed

    async def _retry_or_give_up(self, msg: Msg, event: CloudEvent, exc: Exception) -> None:
        c = self.consumer
        delivered = msg.metadata.num_delivered
        if delivered >= c.max_deliver:
            log.error(
                "consumer %s gives up on event %s after %d deliveries: %s",
                c.name,
                event.id,
                delivered,
                exc,
            )
            await self._dead_letter(msg, repr(exc), event)
        else:
            log.warning(
                "consumer %s failed event %s (delivery %d): %s", c.name, event.id, delivered, exc
            )
            metrics.EVENTS_CONSUMED.labels(c.name, "retry").inc()
            await msg.nak(delay=c.backoff[min(delivered, len(c.backoff)) - 1])

    async def _dead_letter(self, msg: Msg, error: str, event: CloudEvent | None = None) -> None:
        js = await self.bus.wait_ready()
        headers = dict(msg.headers or {})
        headers.update(
            {
                "Crm-Consumer": self.consumer.name,
                "Crm-Error": error[:1000],
                "Crm-Original-Subject": msg.subject,
                "Nats-Msg-Id": f"{self.consumer.name}:{msg.metadata.sequence.stream}",
            }
        )
        tenant = event.tenantid if event is not None else None
        subject = dead_letter_subject(self.consumer.name, tenant, msg.subject)
        await js.publish(subject, msg.data, headers=headers)
        await msg.term()
        metrics.EVENTS_CONSUMED.labels(self.consumer.name, "dead_letter").inc()

    async def reset(self, *, truncate: Truncate | None = None) -> None:
        """:func:`reset` this runner's consumer."""
        await reset(self.bus, self.sessions, self.consumer.name, truncate=truncate)
