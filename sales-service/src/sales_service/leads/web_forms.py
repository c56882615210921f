"""Web forms (S1): a tenant's public lead capture, keyed, rate limited, refusing spam.

The form key is all a page needs (no token); it names the tenant. Submissions are
counted per form and minute in the database, so the limit holds across replicas. A
submission that fills the form's honeypot field, or sends fields the form does not
know, is refused: bots fill in every field they see.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from crm_chassis.auth import Actor
from crm_chassis.crud import Call, Crud, View
from crm_chassis.db import transaction
from crm_chassis.errors import NotFound, TooManyRequests, ValidationFailed
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_chassis.resources import validate
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sales_service.common.events import lifecycle_events
from sales_service.leads.models import Lead, WebForm
from sales_service.leads.repository import PublicForms, WebFormRepository
from sales_service.leads.schemas import LeadWrite, WebFormRead, WebFormSubmission, WebFormWrite
from sales_service.leads.service import LEADS


class WebForms(Crud[WebForm]):
    async def create(self, call: Call, data: Any) -> WebForm:
        form = WebForm(tenant_id=call.tenant_id, key=secrets.token_urlsafe(24), **data.model_dump())
        await self.repo(call).add(form)
        await emit(call.session, self.events.created(form))
        return form


WEB_FORMS = WebForms(
    WebFormRepository,
    View("web_form", WebFormRead, path="/v1/web-forms"),
    WebFormWrite,
    lifecycle_events("web_form"),
)


async def submit(
    session: AsyncSession,
    key: str,
    body: Any,
    settings: Any,
    counter: async_sessionmaker[AsyncSession],
) -> Lead:
    """A lead from a public form submission. The submission is counted in a transaction
    of its own (``counter``), so refused ones (spam, bad input) count against the limit
    too."""
    form = await PublicForms(session).by_key(key)
    if form is None:
        raise NotFound("No such form")
    minute = utcnow().replace(second=0, microsecond=0)
    async with transaction(counter) as own:
        hits = await PublicForms(own).count_hit(form.id, minute)
        if minute.minute == 0:
            await PublicForms(own).forget_before(minute - timedelta(hours=1))
    if hits > form.per_minute:
        raise TooManyRequests(
            "Too many submissions of this form; try again in a minute",
            headers={"Retry-After": str(60 - utcnow().second)},
        )
    fields = dict(body) if isinstance(body, dict) else {}
    if fields.pop(form.honeypot, None):
        raise ValidationFailed(
            "The submission was refused",
            errors=[{"field": form.honeypot, "message": "must be empty"}],
        )
    submission = validate(WebFormSubmission, fields)
    spam = sorted(submission.model_extra or {})
    if spam:
        raise ValidationFailed(
            "The submission has fields this form does not take",
            errors=[{"field": name, "message": "not a field of this form"} for name in spam],
        )
    data = submission.model_dump(exclude={"message"})
    lead = LeadWrite(
        **data,
        source=form.source,
        qualification={"need": submission.message} if submission.message else {},
    )
    call = Call(session=session, actor=Actor.system(form.tenant_id), settings=settings)
    return await LEADS.create(call, lead, web_form_id=form.id)
