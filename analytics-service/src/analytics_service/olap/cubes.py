"""The declared cube model: the only names an OLAP query may use.

A :class:`Cube` is one fact table with its measures (aggregates) and dimensions
(attributes to group and filter by); hierarchies order some dimensions from coarse to
fine (``date``: year > quarter > month > day; ``geo``: region > country), which is what
roll-up and drill-down move along. Every SQL fragment here is written by us; a client
names fragments, never writes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["count", "money", "number", "ratio"]


@dataclass(frozen=True)
class Measure:
    name: str
    sql: str
    kind: Kind = "number"
    description: str = ""


@dataclass(frozen=True)
class Dimension:
    name: str
    sql: str
    description: str = ""


@dataclass(frozen=True)
class Cube:
    name: str
    description: str
    source: str
    """The FROM clause: the fact aliased ``f`` and its dimension joins."""
    measures: tuple[Measure, ...]
    dimensions: tuple[Dimension, ...]
    hierarchies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    owner: str | None = "owner_id"
    """The column visibility ``own`` and ``team`` compare with the caller."""
    team: str | None = None

    def measure(self, name: str) -> Measure | None:
        return next((m for m in self.measures if m.name == name), None)

    def dimension(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name), None)

    def hierarchy_of(self, dimension: str) -> tuple[str, tuple[str, ...]] | None:
        for name, levels in self.hierarchies.items():
            if dimension in levels:
                return name, levels
        return None


def _dates(label: str) -> tuple[Dimension, ...]:
    """The date hierarchy through ``dim_date`` (joined as ``d`` on the fact's date_key)."""
    return (
        Dimension("date.year", "d.year", f"calendar year {label} (UTC)"),
        Dimension("date.quarter", "d.quarter_label", "2026-Q1"),
        Dimension("date.month", "d.month_label", "2026-01"),
        Dimension("date.day", "d.date_key"),
    )


_DAY = " JOIN dim_date d ON d.date_key = f.date_key"


DATE_LEVELS = ("date.year", "date.quarter", "date.month", "date.day")
GEO_LEVELS = ("geo.region", "geo.country")
_CONTACT_GEO = (
    " LEFT JOIN dim_contact c ON c.tenant_id = f.tenant_id AND c.contact_id = f.contact_id"
    " AND c.is_current"
)
_GEO = (
    Dimension("geo.region", "coalesce(c.region, 'unknown')", "the customer's region"),
    Dimension("geo.country", "coalesce(c.country, 'unknown')", "the customer's country"),
)

CUBES: dict[str, Cube] = {
    cube.name: cube
    for cube in (
        Cube(
            name="deals",
            description="Deals (opportunities) by the day they were created",
            source="fact_deal f" + _DAY + _CONTACT_GEO,
            measures=(
                Measure("deals", "count(*)", "count"),
                Measure("open_value", "sum(f.amount) FILTER (WHERE f.status = 'open')", "money"),
                Measure("won_value", "sum(f.amount) FILTER (WHERE f.status = 'won')", "money"),
                Measure("won", "count(*) FILTER (WHERE f.status = 'won')", "count"),
                Measure("lost", "count(*) FILTER (WHERE f.status = 'lost')", "count"),
                Measure(
                    "win_rate",
                    "count(*) FILTER (WHERE f.status = 'won') / "
                    "nullif(count(*) FILTER (WHERE f.status IN ('won', 'lost')), 0)",
                    "ratio",
                    "won / closed",
                ),
                Measure(
                    "avg_cycle_days",
                    "avg(date_diff('second', f.created_at, f.closed_at) / 86400.0) "
                    "FILTER (WHERE f.status = 'won')",
                    "number",
                    "days from creation to won",
                ),
            ),
            dimensions=(
                *_dates("created"),
                *_GEO,
                Dimension("stage", "f.stage"),
                Dimension("status", "f.status"),
                Dimension("owner", "f.owner_id::VARCHAR"),
                Dimension("pipeline", "f.pipeline_id::VARCHAR"),
                Dimension("currency", "f.currency"),
            ),
            hierarchies={"date": DATE_LEVELS, "geo": GEO_LEVELS},
            team="team_id",
        ),
        Cube(
            name="orders",
            description="Orders by the day they were placed",
            source="fact_order f" + _DAY + _CONTACT_GEO,
            measures=(
                Measure("orders", "count(*)", "count"),
                Measure("revenue", "sum(f.total)", "money"),
                Measure("average_order", "avg(f.total)", "money"),
                Measure("customers", "count(DISTINCT f.contact_id)", "count"),
            ),
            dimensions=(
                *_dates("ordered"),
                *_GEO,
                Dimension("status", "f.status"),
                Dimension("owner", "f.owner_id::VARCHAR"),
                Dimension("currency", "f.currency"),
            ),
            hierarchies={"date": DATE_LEVELS, "geo": GEO_LEVELS},
        ),
        Cube(
            name="order_lines",
            description="Order lines: what was sold",
            source="fact_order_line f" + _DAY + _CONTACT_GEO,
            measures=(
                Measure("lines", "count(*)", "count"),
                Measure("quantity", "sum(f.quantity)", "number"),
                Measure("revenue", "sum(f.amount)", "money"),
            ),
            dimensions=(
                *_dates("ordered"),
                *_GEO,
                Dimension("product", "coalesce(f.product_name, f.product_id::VARCHAR)"),
                Dimension("currency", "f.currency"),
            ),
            hierarchies={"date": DATE_LEVELS, "geo": GEO_LEVELS},
            owner=None,
        ),
        Cube(
            name="tickets",
            description="Support tickets by the day they were opened",
            source="fact_ticket f" + _DAY,
            measures=(
                Measure("tickets", "count(*)", "count"),
                Measure("resolved", "count(f.resolved_at)", "count"),
                Measure(
                    "avg_resolution_hours",
                    "avg(date_diff('second', f.created_at, f.resolved_at) / 3600.0)",
                ),
                Measure(
                    "avg_first_reply_hours",
                    "avg(date_diff('second', f.created_at, f.first_reply_at) / 3600.0)",
                ),
                Measure(
                    "sla_breached",
                    "count(*) FILTER (WHERE f.first_reply_breached OR f.resolution_breached)",
                    "count",
                ),
                Measure("csat", "avg(f.csat)"),
            ),
            dimensions=(
                *_dates("opened"),
                Dimension("priority", "f.priority"),
                Dimension("channel", "f.channel"),
                Dimension("status", "f.status"),
                Dimension("owner", "f.owner_id::VARCHAR"),
            ),
            hierarchies={"date": DATE_LEVELS},
        ),
        Cube(
            name="touches",
            description="Marketing touchpoints (sends, opens, clicks, visits)",
            source="fact_touch f" + _DAY,
            measures=(
                Measure("touches", "count(*)", "count"),
                Measure("contacts", "count(DISTINCT f.contact_id)", "count"),
            ),
            dimensions=(
                *_dates("touched"),
                Dimension("channel", "f.channel"),
                Dimension("kind", "f.kind"),
                Dimension("campaign", "f.campaign_id::VARCHAR"),
            ),
            hierarchies={"date": DATE_LEVELS},
            owner=None,
        ),
    )
}
