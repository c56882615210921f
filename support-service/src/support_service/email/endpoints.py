from __future__ import annotations

from crm_chassis.crud import CallDep
from crm_chassis.middleware import body_limit
from fastapi import APIRouter, Request, Response

from support_service.deps import WRITE
from support_service.email.inbound import receive
from support_service.tickets.schemas import MessageRead

router = APIRouter(prefix="/v1/inbound", tags=["email"])


@router.post(
    "/email",
    dependencies=WRITE,
    status_code=201,
    openapi_extra={
        **body_limit(25 * 1024**2),
        # Any type: providers post the raw message as message/rfc822 or text/plain.
        "requestBody": {
            "required": True,
            "content": {
                "text/plain": {"schema": {"type": "string"}},
                "message/rfc822": {"schema": {"type": "string"}},
            },
        },
    },
)
async def inbound_email(request: Request, call: CallDep) -> Response:
    """A raw RFC 5322 message, as a mail provider's inbound hook delivers it: it threads
    onto the ticket it answers, or opens one (201); a message already taken is 200."""
    received = await receive(call, await request.body(), request.app.state.object_store)
    body = {
        "ticket_id": str(received.ticket.id),
        "threaded": received.threaded,
        "message": MessageRead.model_validate(received.message).model_dump(mode="json"),
    }
    import json

    return Response(
        json.dumps(body), status_code=200 if received.duplicate else 201,
        media_type="application/json",
    )  # fmt: skip
