"""The reports: each one SQL query over the star, declared with what it groups by and
what it measures, so every report is exported and charted the same way.

``{scope}`` in a query is the tenant-and-visibility predicate on the fact aliased ``f``
(and its date range); it may appear more than once. Money is grouped by currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    sql: str
    dimensions: tuple[str, ...]
    measures: tuple[str, ...]
    date_column: str
    money: frozenset[str] = field(default_factory=frozenset)
    owner: str | None = "owner_id"
    team: str | None = None
    chart: str | None = None
    description: str = ""


#: Lifecycle stages in funnel order; other stages follow, alphabetically.
LIFECYCLE = ("subscriber", "lead", "mql", "sql", "opportunity", "customer", "evangelist")
# Answered surveys, their mean and the share satisfied (4 or 5), of a fact_ticket group.
_CSAT_MEASURES = (
    "count(f.csat) AS responses, round(avg(f.csat), 2) AS average, "
    "round(count(*) FILTER (WHERE f.csat >= 4) / count(f.csat), 4) AS satisfied"
)
_STAGE_ORDER = " ".join(f"WHEN '{stage}' THEN {i}" for i, stage in enumerate(LIFECYCLE))

REPORTS: dict[str, Report] = {
    r.name: r
    for r in (
        Report(
            name="pipeline",
            title="Open pipeline by stage and owner",
            sql="SELECT f.stage, f.owner_id::VARCHAR AS owner, f.currency, count(*) AS deals, "
            "sum(f.amount) AS value FROM fact_deal f WHERE {scope} AND f.status = 'open' "
            "GROUP BY ALL ORDER BY f.stage, owner, f.currency",
            dimensions=("stage", "owner", "currency"),
            measures=("deals", "value"),
            date_column="f.created_at",
            money=frozenset({"value"}),
            team="team_id",
        ),
        Report(
            name="win_rate",
            title="Win rate by owner",
            sql="SELECT f.owner_id::VARCHAR AS owner, "
            "count(*) FILTER (WHERE f.status = 'won') AS won, "
            "count(*) FILTER (WHERE f.status = 'lost') AS lost, "
            "round(count(*) FILTER (WHERE f.status = 'won') / "
            "nullif(count(*) FILTER (WHERE f.status IN ('won', 'lost')), 0), 4) AS win_rate "
            "FROM fact_deal f WHERE {scope} AND f.status IN ('won', 'lost') "
            "GROUP BY ALL ORDER BY owner",
            dimensions=("owner",),
            measures=("won", "lost", "win_rate"),
            date_column="f.closed_at",
            team="team_id",
        ),
        Report(
            name="sales_cycle",
            title="Sales cycle length of won deals (days)",
            sql="SELECT f.owner_id::VARCHAR AS owner, count(*) AS deals, "
            "round(avg(date_diff('second', f.created_at, f.closed_at) / 86400.0), 2) AS avg_days, "
            "round(median(date_diff('second', f.created_at, f.closed_at) / 86400.0), 2) "
            "AS median_days FROM fact_deal f WHERE {scope} AND f.status = 'won' "
            "GROUP BY ALL ORDER BY owner",
            dimensions=("owner",),
            measures=("deals", "avg_days", "median_days"),
            date_column="f.closed_at",
            team="team_id",
        ),
        Report(
            name="funnel",
            title="Funnel conversion between lifecycle stages",
            sql="WITH reached AS (SELECT f.to_stage AS stage, count(DISTINCT f.contact_id) AS n, "
            f"CASE f.to_stage {_STAGE_ORDER} ELSE 100 END AS position "
            "FROM fact_lifecycle f WHERE {scope} GROUP BY f.to_stage) "
            "SELECT stage, n AS contacts, round(n / lag(n) OVER (ORDER BY position, stage), 4) "
            "AS conversion FROM reached ORDER BY position, stage",
            dimensions=("stage",),
            measures=("contacts", "conversion"),
            date_column="f.occurred_at",
            owner=None,
            chart="bar",
            description="contacts who reached each stage; conversion from the stage before",
        ),
        Report(
            name="activity",
            title="Activities by kind and owner",
            sql="SELECT f.kind, f.owner_id::VARCHAR AS owner, count(*) AS activities "
            "FROM fact_activity f WHERE {scope} GROUP BY ALL ORDER BY f.kind, owner",
            dimensions=("kind", "owner"),
            measures=("activities",),
            date_column="f.occurred_at",
        ),
        Report(
            name="sla_compliance",
            title="SLA compliance by target",
            sql="SELECT s.metric, count(*) FILTER (WHERE s.outcome = 'met') AS met, "
            "count(*) FILTER (WHERE s.outcome = 'breached') AS breached, "
            "round(count(*) FILTER (WHERE s.outcome = 'met') / count(*), 4) AS compliance "
            "FROM fact_sla_outcome s JOIN fact_ticket f ON f.tenant_id = s.tenant_id "
            "AND f.ticket_id = s.ticket_id WHERE {scope} GROUP BY ALL ORDER BY s.metric",
            dimensions=("metric",),
            measures=("met", "breached", "compliance"),
            date_column="s.occurred_at",
        ),
        Report(
            name="response_times",
            title="First reply and resolution times by priority (hours)",
            sql="SELECT coalesce(f.priority, 'none') AS priority, count(*) AS tickets, "
            "round(avg(date_diff('second', f.created_at, f.first_reply_at) / 3600.0), 2) "
            "AS first_reply_avg, "
            "round(quantile_cont(date_diff('second', f.created_at, f.first_reply_at) / 3600.0, "
            "0.9), 2) AS first_reply_p90, "
            "round(avg(date_diff('second', f.created_at, f.resolved_at) / 3600.0), 2) "
            "AS resolution_avg, "
            "round(quantile_cont(date_diff('second', f.created_at, f.resolved_at) / 3600.0, "
            "0.9), 2) AS resolution_p90 FROM fact_ticket f WHERE {scope} "
            "GROUP BY ALL ORDER BY priority",
            dimensions=("priority",),
            measures=(
                "tickets",
                "first_reply_avg",
                "first_reply_p90",
                "resolution_avg",
                "resolution_p90",
            ),
            date_column="f.created_at",
        ),
        Report(
            name="backlog",
            title="Open tickets by priority and age",
            sql="SELECT coalesce(f.priority, 'none') AS priority, CASE "
            "WHEN now() - f.created_at < INTERVAL 1 DAY THEN 'a: < 1 day' "
            "WHEN now() - f.created_at < INTERVAL 7 DAY THEN 'b: 1-7 days' "
            "WHEN now() - f.created_at < INTERVAL 30 DAY THEN 'c: 7-30 days' "
            "ELSE 'd: > 30 days' END AS age, count(*) AS tickets FROM fact_ticket f "
            "WHERE {scope} AND f.resolved_at IS NULL GROUP BY ALL ORDER BY priority, age",
            dimensions=("priority", "age"),
            measures=("tickets",),
            date_column="f.created_at",
        ),
        Report(
            name="csat",
            title="Customer satisfaction by month",
            sql="SELECT strftime(f.updated_at, '%Y-%m') AS month, " + _CSAT_MEASURES + " "
            "FROM fact_ticket f WHERE {scope} AND f.csat IS NOT NULL GROUP BY ALL ORDER BY month",
            dimensions=("month",),
            measures=("responses", "average", "satisfied"),
            date_column="f.updated_at",
        ),
        Report(
            name="csat_by_owner",
            title="Customer satisfaction by owner (agent)",
            sql="SELECT f.owner_id::VARCHAR AS owner, " + _CSAT_MEASURES + " "
            "FROM fact_ticket f WHERE {scope} AND f.csat IS NOT NULL GROUP BY ALL ORDER BY owner",
            dimensions=("owner",),
            measures=("responses", "average", "satisfied"),
            date_column="f.updated_at",
            description="answered surveys of the tickets each agent owns; satisfied: 4 or 5",
        ),
        Report(
            name="cohort_retention",
            title="Retention by acquisition month",
            sql="WITH orders AS (SELECT f.contact_id, date_trunc('month', f.ordered_at) AS month "
            "FROM fact_order f WHERE {scope} AND f.contact_id IS NOT NULL), "
            "cohorts AS (SELECT contact_id, min(month) AS cohort FROM orders GROUP BY 1), "
            "sizes AS (SELECT cohort, count(*) AS size FROM cohorts GROUP BY 1) "
            "SELECT strftime(c.cohort, '%Y-%m') AS cohort, "
            "date_diff('month', c.cohort, o.month) AS month_offset, s.size AS cohort_size, "
            "count(DISTINCT o.contact_id) AS customers, "
            "round(count(DISTINCT o.contact_id) / s.size, 4) AS retention "
            "FROM orders o JOIN cohorts c USING (contact_id) JOIN sizes s USING (cohort) "
            "GROUP BY c.cohort, o.month, s.size ORDER BY cohort, month_offset",
            dimensions=("cohort", "month_offset"),
            measures=("cohort_size", "customers", "retention"),
            date_column="f.ordered_at",
            owner=None,
            chart="heatmap",
        ),
    )
}
