"""The SQL of search in contacts-service: keyset pages of matching contacts or accounts
(:class:`crm_chassis.search.repository.SearchRepository`) and the lookup by phone."""

from __future__ import annotations

from crm_chassis.search import repository as search
from sqlalchemy import select
from sqlalchemy.orm import aliased

from contacts_service.contacts.models import Contact

LOOKUP_LIMIT = 100


class SearchRepository(search.SearchRepository):
    """Search over contacts and accounts (keyset pages from the chassis), and the phone
    lookup of screen-pop. Extra WHERE criteria of every search go in ``criteria()``."""

    async def by_phone(self, e164: str) -> list[Contact]:
        """The contacts with ``e164`` among their numbers, most recently updated first."""
        # Fenced like a pinned search (see ``page``): find by the GIN index, then sort.
        matches = (
            self.select().where(Contact.phone_keys.contains([e164])).offset(0).subquery("matches")
        )
        stmt = (
            select(aliased(Contact, matches))
            .order_by(matches.c.updated_at.desc(), matches.c.id)
            .limit(LOOKUP_LIMIT)
        )
        return list((await self.session.execute(stmt)).scalars())
