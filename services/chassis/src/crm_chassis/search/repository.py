"""The SQL of search: matching rows of one model, a keyset page at a time.

This module builds and runs SQL (the search subsystem's repository). Records without a
sort value come last in either direction. A page is read in two phases, each an
index-friendly keyset scan: the rows with a value (``(value, id)`` past the cursor),
then, once those run out, the rows without one (by ``id``). The cursor holds the last
row's ``(value, id)``, with a null value once the second phase has begun.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, func, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crm_chassis.errors import ValidationFailed
from crm_chassis.pagination import decode_cursor, encode_cursor
from crm_chassis.repository import TenantRepository
from crm_chassis.search.compile import Sort

#: Search statements differ in their values far more than in their text: a plan made for
#: the values at hand (a rare email, a common tag) beats a cached generic plan.
CUSTOM_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")


class SearchRepository(TenantRepository[Any]):
    """Search over ``model``'s rows the caller may see (the tenant's, through ``select``).

    A service subclasses it for its own lookups; :meth:`criteria` is where it adds WHERE
    criteria of its own to every search's compiled condition.
    """

    def __init__(self, session: AsyncSession, caller: Any, model: Any) -> None:
        super().__init__(session, caller)
        self.model = model

    def criteria(self) -> list[ColumnElement[bool]]:
        """WHERE criteria ANDed to the compiled condition of every page (none here)."""
        return []

    async def lexemes(self, query: str) -> list[str]:
        """The words of ``query`` as the 'simple' text search configuration reads them,
        so a query splits exactly as the stored ``search_text`` did."""
        stmt = select(func.tsvector_to_array(func.to_tsvector("simple", query)))
        return list((await self.session.execute(stmt)).scalar_one() or [])

    async def common_tags(self) -> frozenset[str]:
        """The tags the planner's statistics count as common (``most_common_elems``)."""
        stmt = text(
            "SELECT most_common_elems::text::text[] FROM pg_stats"
            " WHERE schemaname = current_schema() AND tablename = :table AND attname = 'tags'"
        )
        found = (await self.session.execute(stmt, {"table": self.model.__tablename__})).scalar()
        return frozenset(found or ())

    async def page(
        self,
        where: ColumnElement[bool],
        sort: Sort,
        *,
        limit: int,
        cursor: str | None,
        fenced: bool = False,
    ) -> tuple[list[Any], str | None]:
        """Up to ``limit`` matching records in ``sort`` order after ``cursor``, and the
        cursor of the next page (None on the last page).

        ``fenced``: the matches are few (see :func:`~crm_chassis.search.is_narrow`), so
        find them all first, through their own indexes, and sort them after.
        """
        await self.session.execute(CUSTOM_PLANS)
        value_expr, id_col = sort.target.expr, self.model.id
        in_nulls, after = False, None
        if cursor:
            last_value, last_id = self._decode(cursor, sort)
            in_nulls, after = last_value is None, (last_value, last_id)
        base = self.select(self.model, value_expr.label("sort_value")).where(
            where, *self.criteria()
        )
        if fenced:
            # OFFSET 0 keeps the planner from folding the subquery into the ordered,
            # limited query (and from reading the sort index to find the matches).
            matches = base.offset(0).subquery("matches")
            value_expr, id_col = matches.c.sort_value, matches.c.id
            base = select(aliased(self.model, matches), value_expr)
        rows: list[Any] = []
        if not in_nulls:
            stmt = base.where(value_expr.isnot(None)) if sort.target.nullable else base
            if after is not None:
                key = tuple_(value_expr, id_col)
                stmt = stmt.where(key < after if sort.descending else key > after)
            rows = await self._fetch(stmt, [value_expr, id_col], sort, limit + 1)
        if sort.target.nullable and len(rows) <= limit:
            stmt = base.where(value_expr.is_(None))
            if in_nulls and after is not None:
                stmt = stmt.where(id_col < after[1] if sort.descending else id_col > after[1])
            rows += await self._fetch(stmt, [id_col], sort, limit + 1 - len(rows))
        page = rows[:limit]
        if len(rows) <= limit or not page:
            return [r[0] for r in page], None
        last = page[-1]
        next_cursor = encode_cursor(sort.name, [sort.cursor_value(last.sort_value), last[0].id])
        return [r[0] for r in page], next_cursor

    async def _fetch(self, stmt: Select[Any], order: list[Any], sort: Sort, n: int) -> list[Any]:
        order_by = [c.desc() if sort.descending else c.asc() for c in order]
        return list((await self.session.execute(stmt.order_by(*order_by).limit(n))).all())

    @staticmethod
    def _decode(cursor: str, sort: Sort) -> tuple[Any, UUID]:
        try:
            last_value, last_id = decode_cursor(cursor, sort.name)
            if not isinstance(last_id, UUID):
                raise ValueError("no id")
            return sort.parse_cursor_value(last_value), last_id
        except (ValueError, TypeError) as exc:
            raise ValidationFailed(
                "The cursor is invalid or was made for another sort",
                errors=[{"field": "cursor", "message": "invalid cursor"}],
            ) from exc
