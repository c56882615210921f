"""What a batch endpoint (imports of up to 1,000 items) needs beyond a normal route.

:func:`json_body` parses the request body with orjson, twice as fast as the ``json``
module FastAPI's ``Body()`` uses, answering a 400 problem for a body that is not JSON.
:func:`paused_gc` keeps the cyclic collector out of a batch's processing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from starlette.requests import Request

from crm_chassis.errors import BadRequest


async def json_body(request: Request) -> Any:
    """The request body as parsed JSON; a 400 problem naming ``body`` when it is not."""
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise BadRequest(
            "The request body is not valid JSON",
            errors=[{"field": "body", "message": f"malformed JSON: {exc}"}],
        ) from None


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while a batch is processed.

    A batch allocates tens of objects per item that all live until it ends, which makes
    the collector run full collections over the whole process heap every few batches
    (~100 ms each, a third of a contact batch's CPU) while finding no garbage. Reference
    counting still frees everything; cycles wait for the next collection after the batch.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
