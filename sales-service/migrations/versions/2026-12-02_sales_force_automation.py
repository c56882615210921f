"""sales force automation

Revision ID: 438f3605be66
Revises: 5a1e5c0f1a01
Create Date: 2026-12-02 05:12:21.773800
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "438f3605be66"
down_revision: str | None = "5a1e5c0f1a01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_balances",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("balance", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "account_id", "currency", name=op.f("pk_account_balances")
        ),
    )
    op.create_table(
        "assignment_queues",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "members",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column(
            "unavailable",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("last_assigned", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_queues")),
    )
    op.create_index(
        "ix_assignment_queues_tenant_created",
        "assignment_queues",
        ["tenant_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "assignment_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "conditions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("queue_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_rules")),
    )
    op.create_index(
        "ix_assignment_rules_tenant_created",
        "assignment_rules",
        ["tenant_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_assignment_rules_tenant_position",
        "assignment_rules",
        ["tenant_id", "position"],
        unique=False,
    )
    op.create_table(
        "calendar_feeds",
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("secret", name=op.f("pk_calendar_feeds")),
    )
    op.create_index(
        "uq_calendar_feeds_user", "calendar_feeds", ["tenant_id", "user_id"], unique=True
    )
    op.create_table(
        "configuration_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_configuration_rules")),
    )
    op.create_index(
        "ix_configuration_rules_tenant_created",
        "configuration_rules",
        ["tenant_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_configuration_rules_tenant_name",
        "configuration_rules",
        ["tenant_id", "name"],
        unique=True,
    )
    op.create_table(
        "deal_registrations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("deal_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column(
            "status", sa.String(length=20), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column("conflicts_with", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_registrations")),
    )
    op.create_index(
        "ix_deal_registrations_account",
        "deal_registrations",
        ["tenant_id", "account_id", "status"],
        unique=False,
    )
    op.create_index(
        "ix_deal_registrations_tenant_created",
        "deal_registrations",
        ["tenant_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "exchange_rates",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("reporting_currency", sa.CHAR(length=3), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=20, scale=10), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "currency",
            "reporting_currency",
            "valid_from",
            name=op.f("pk_exchange_rates"),
        ),
    )
    op.create_table(
        "leads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=120), nullable=True),
        sa.Column("last_name", sa.String(length=120), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("company", sa.String(length=255), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("territory", sa.String(length=60), nullable=True),
        sa.Column("source", sa.String(length=60), nullable=True),
        sa.Column("status", sa.String(length=20), server_default=sa.text("'new'"), nullable=False),
        sa.Column("rating", sa.String(length=10), nullable=True),
        sa.Column("estimated_value_amount", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("estimated_value_currency", sa.CHAR(length=3), nullable=True),
        sa.Column(
            "qualification",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("disqualified_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "custom",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("web_form_id", sa.Uuid(), nullable=True),
        sa.Column("assignment", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("converted_account_id", sa.Uuid(), nullable=True),
        sa.Column("converted_contact_id", sa.Uuid(), nullable=True),
        sa.Column("converted_deal_id", sa.Uuid(), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                (
                    "to_tsvector('simple', coalesce(first_name, '') || ' ' || "
                    "coalesce(last_name, '') || ' ' || coalesce(company, '') || ' ' || "
                    "coalesce(email, '') || ' ' || coalesce(title, ''))"
                ),
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
    )
    op.create_index(
        "ix_leads_converted_contact", "leads", ["tenant_id", "converted_contact_id"], unique=False
    )
    op.create_index("ix_leads_custom", "leads", ["custom"], unique=False, postgresql_using="gin")
    op.create_index(
        "ix_leads_search_vector", "leads", ["search_vector"], unique=False, postgresql_using="gin"
    )
    op.create_index(
        "ix_leads_tenant_created", "leads", ["tenant_id", "created_at", "id"], unique=False
    )
    op.create_index("ix_leads_tenant_email", "leads", ["tenant_id", "email"], unique=False)
    op.create_index(
        "ix_leads_tenant_status", "leads", ["tenant_id", "status", "created_at"], unique=False
    )
    op.create_table(
        "ledger_entries",
        sa.Column("position", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column(
            "debit", sa.Numeric(precision=19, scale=4), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "credit", sa.Numeric(precision=19, scale=4), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("balance", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("corrects_id", sa.Uuid(), nullable=True),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("id", name=op.f("uq_ledger_entries_id")),
    )
    op.create_index(
        "ix_ledger_entries_account",
        "ledger_entries",
        ["tenant_id", "account_id", "currency", "position"],
        unique=False,
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("deal_id", sa.Uuid(), nullable=True),
        sa.Column("quote_id", sa.Uuid(), nullable=True),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column(
            "channel_level",
            sa.String(length=10),
            server_default=sa.text("'direct'"),
            nullable=False,
        ),
        sa.Column("total_amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("total_currency", sa.CHAR(length=3), nullable=False),
        sa.Column(
            "lines",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    op.create_index("ix_orders_tenant_account", "orders", ["tenant_id", "account_id"], unique=False)
    op.create_index(
        "ix_orders_tenant_created", "orders", ["tenant_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "uq_orders_tenant_external_id", "orders", ["tenant_id", "external_id"], unique=True
    )
    op.create_table(
        "partners",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column(
            "tier", sa.String(length=20), server_default=sa.text("'registered'"), nullable=False
        ),
        sa.Column("level", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
    )
    op.create_index(
        "ix_partners_tenant_created", "partners", ["tenant_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "uq_partners_tenant_account", "partners", ["tenant_id", "account_id"], unique=True
    )
    op.create_table(
        "price_books",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_books")),
    )
    op.create_index(
        "ix_price_books_tenant_created",
        "price_books",
        ["tenant_id", "created_at", "id"],
        unique=False,
    )
    op.create_index("uq_price_books_tenant_name", "price_books", ["tenant_id", "name"], unique=True)
    op.create_table(
        "products",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
    )
    op.create_index(
        "ix_products_tenant_created", "products", ["tenant_id", "created_at", "id"], unique=False
    )
    op.create_index("uq_products_tenant_sku", "products", ["tenant_id", "sku"], unique=True)
    op.create_table(
        "quotas",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("amount_amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("amount_currency", sa.CHAR(length=3), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotas")),
    )
    op.create_index(
        "ix_quotas_tenant_created", "quotas", ["tenant_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "uq_quotas_owner_period", "quotas", ["tenant_id", "owner_id", "period"], unique=True
    )
    op.create_table(
        "task_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_rules")),
    )
    op.create_index(
        "ix_task_rules_tenant_created",
        "task_rules",
        ["tenant_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deal_id", sa.Uuid(), nullable=True),
        sa.Column("lead_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rule_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    op.create_index(
        "ix_tasks_tenant_created", "tasks", ["tenant_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "ix_tasks_tenant_owner_due", "tasks", ["tenant_id", "owner_id", "due_at"], unique=False
    )
    op.create_table(
        "web_forms",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column(
            "source", sa.String(length=60), server_default=sa.text("'web_form'"), nullable=False
        ),
        sa.Column("per_minute", sa.Integer(), server_default=sa.text("30"), nullable=False),
        sa.Column(
            "honeypot",
            sa.String(length=60),
            server_default=sa.text("'website_url'"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_forms")),
    )
    op.create_index(
        "ix_web_forms_tenant_created", "web_forms", ["tenant_id", "created_at", "id"], unique=False
    )
    op.create_index("uq_web_forms_key", "web_forms", ["key"], unique=True)
    op.create_table(
        "price_book_entries",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("price_book_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["price_book_id"],
            ["price_books.id"],
            name=op.f("fk_price_book_entries_price_book_id_price_books"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_price_book_entries_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "price_book_id", "product_id", "currency", name=op.f("pk_price_book_entries")
        ),
    )
    op.create_table(
        "stages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("pipeline_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("forecast_category", sa.String(length=20), nullable=False),
        sa.Column("is_won", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_lost", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("rotting_days", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("NOT (is_won AND is_lost)", name=op.f("ck_stages_one_outcome")),
        sa.CheckConstraint("probability BETWEEN 0 AND 100", name=op.f("ck_stages_probability")),
        sa.ForeignKeyConstraint(
            ["pipeline_id"],
            ["pipelines.id"],
            name=op.f("fk_stages_pipeline_id_pipelines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stages")),
    )
    op.create_index(
        "ix_stages_pipeline_position",
        "stages",
        ["tenant_id", "pipeline_id", "position"],
        unique=False,
    )
    op.create_index(
        "ix_stages_tenant_created", "stages", ["tenant_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "uq_stages_pipeline_name", "stages", ["tenant_id", "pipeline_id", "name"], unique=True
    )
    op.create_table(
        "web_form_hits",
        sa.Column("form_id", sa.Uuid(), nullable=False),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["web_forms.id"],
            name=op.f("fk_web_form_hits_form_id_web_forms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("form_id", "minute", name=op.f("pk_web_form_hits")),
    )
    op.create_table(
        "deals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("pipeline_id", sa.Uuid(), nullable=False),
        sa.Column("stage_id", sa.Uuid(), nullable=False),
        sa.Column("amount_amount", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("amount_currency", sa.CHAR(length=3), nullable=True),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("lead_id", sa.Uuid(), nullable=True),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("forecast_category", sa.String(length=20), nullable=False),
        sa.Column("won", sa.Boolean(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stage_entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idle_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotting_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pipeline_id"], ["pipelines.id"], name=op.f("fk_deals_pipeline_id_pipelines")
        ),
        sa.ForeignKeyConstraint(["stage_id"], ["stages.id"], name=op.f("fk_deals_stage_id_stages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
    )
    op.create_index(
        "ix_deals_forecast",
        "deals",
        [
            "tenant_id",
            "expected_close_date",
            "owner_id",
            "forecast_category",
            "amount_currency",
            "probability",
            "amount_amount",
        ],
        unique=False,
    )
    op.create_index("ix_deals_tenant_account", "deals", ["tenant_id", "account_id"], unique=False)
    op.create_index("ix_deals_tenant_contact", "deals", ["tenant_id", "contact_id"], unique=False)
    op.create_index(
        "ix_deals_tenant_created", "deals", ["tenant_id", "created_at", "id"], unique=False
    )
    op.create_index("ix_deals_tenant_stage", "deals", ["tenant_id", "stage_id"], unique=False)
    op.create_table(
        "deal_contacts",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("deal_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.id"],
            name=op.f("fk_deal_contacts_deal_id_deals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("deal_id", "contact_id", name=op.f("pk_deal_contacts")),
    )
    op.create_index(
        "ix_deal_contacts_contact", "deal_contacts", ["tenant_id", "contact_id"], unique=False
    )
    op.create_table(
        "deal_line_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("deal_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("unit_price_amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("unit_price_currency", sa.CHAR(length=3), nullable=False),
        sa.Column("discount_percent", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.id"],
            name=op.f("fk_deal_line_items_deal_id_deals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_line_items")),
    )
    op.create_index(
        "ix_deal_line_items_deal",
        "deal_line_items",
        ["tenant_id", "deal_id", "position"],
        unique=False,
    )
    op.create_table(
        "deal_stage_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("deal_id", sa.Uuid(), nullable=False),
        sa.Column("from_stage_id", sa.Uuid(), nullable=True),
        sa.Column("to_stage_id", sa.Uuid(), nullable=False),
        sa.Column("changed_by", sa.Uuid(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.id"],
            name=op.f("fk_deal_stage_history_deal_id_deals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_stage_history")),
    )
    op.create_index(
        "ix_deal_stage_history_deal",
        "deal_stage_history",
        ["tenant_id", "deal_id", "changed_at"],
        unique=False,
    )
    op.create_table(
        "quotes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=20), server_default=sa.text("'draft'"), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column(
            "lines",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("subtotal_amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("subtotal_currency", sa.CHAR(length=3), nullable=False),
        sa.Column("discount_amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("discount_currency", sa.CHAR(length=3), nullable=False),
        sa.Column("tax_amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("tax_currency", sa.CHAR(length=3), nullable=False),
        sa.Column("total_amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("total_currency", sa.CHAR(length=3), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_quotes_deal_id_deals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotes")),
    )
    op.create_index(
        "ix_quotes_tenant_created", "quotes", ["tenant_id", "created_at", "id"], unique=False
    )
    op.create_index("ix_quotes_tenant_deal", "quotes", ["tenant_id", "deal_id"], unique=False)
    op.create_index(
        "uq_quotes_tenant_number_revision",
        "quotes",
        ["tenant_id", "number", "revision"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_quotes_tenant_number_revision", table_name="quotes")
    op.drop_index("ix_quotes_tenant_deal", table_name="quotes")
    op.drop_index("ix_quotes_tenant_created", table_name="quotes")
    op.drop_table("quotes")
    op.drop_index("ix_deal_stage_history_deal", table_name="deal_stage_history")
    op.drop_table("deal_stage_history")
    op.drop_index("ix_deal_line_items_deal", table_name="deal_line_items")
    op.drop_table("deal_line_items")
    op.drop_index("ix_deal_contacts_contact", table_name="deal_contacts")
    op.drop_table("deal_contacts")
    op.drop_index("ix_deals_tenant_stage", table_name="deals")
    op.drop_index("ix_deals_tenant_created", table_name="deals")
    op.drop_index("ix_deals_tenant_contact", table_name="deals")
    op.drop_index("ix_deals_tenant_account", table_name="deals")
    op.drop_index("ix_deals_forecast", table_name="deals")
    op.drop_table("deals")
    op.drop_table("web_form_hits")
    op.drop_index("uq_stages_pipeline_name", table_name="stages")
    op.drop_index("ix_stages_tenant_created", table_name="stages")
    op.drop_index("ix_stages_pipeline_position", table_name="stages")
    op.drop_table("stages")
    op.drop_table("price_book_entries")
    op.drop_index("uq_web_forms_key", table_name="web_forms")
    op.drop_index("ix_web_forms_tenant_created", table_name="web_forms")
    op.drop_table("web_forms")
    op.drop_index("ix_tasks_tenant_owner_due", table_name="tasks")
    op.drop_index("ix_tasks_tenant_created", table_name="tasks")
    op.drop_table("tasks")
    op.drop_index("ix_task_rules_tenant_created", table_name="task_rules")
    op.drop_table("task_rules")
    op.drop_index("uq_quotas_owner_period", table_name="quotas")
    op.drop_index("ix_quotas_tenant_created", table_name="quotas")
    op.drop_table("quotas")
    op.drop_index("uq_products_tenant_sku", table_name="products")
    op.drop_index("ix_products_tenant_created", table_name="products")
    op.drop_table("products")
    op.drop_index("uq_price_books_tenant_name", table_name="price_books")
    op.drop_index("ix_price_books_tenant_created", table_name="price_books")
    op.drop_table("price_books")
    op.drop_index("uq_partners_tenant_account", table_name="partners")
    op.drop_index("ix_partners_tenant_created", table_name="partners")
    op.drop_table("partners")
    op.drop_index("uq_orders_tenant_external_id", table_name="orders")
    op.drop_index("ix_orders_tenant_created", table_name="orders")
    op.drop_index("ix_orders_tenant_account", table_name="orders")
    op.drop_table("orders")
    op.drop_index("ix_ledger_entries_account", table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_index("ix_leads_tenant_status", table_name="leads")
    op.drop_index("ix_leads_tenant_email", table_name="leads")
    op.drop_index("ix_leads_tenant_created", table_name="leads")
    op.drop_index("ix_leads_search_vector", table_name="leads", postgresql_using="gin")
    op.drop_index("ix_leads_custom", table_name="leads", postgresql_using="gin")
    op.drop_index("ix_leads_converted_contact", table_name="leads")
    op.drop_table("leads")
    op.drop_table("exchange_rates")
    op.drop_index("ix_deal_registrations_tenant_created", table_name="deal_registrations")
    op.drop_index("ix_deal_registrations_account", table_name="deal_registrations")
    op.drop_table("deal_registrations")
    op.drop_index("uq_configuration_rules_tenant_name", table_name="configuration_rules")
    op.drop_index("ix_configuration_rules_tenant_created", table_name="configuration_rules")
    op.drop_table("configuration_rules")
    op.drop_index("uq_calendar_feeds_user", table_name="calendar_feeds")
    op.drop_table("calendar_feeds")
    op.drop_index("ix_assignment_rules_tenant_position", table_name="assignment_rules")
    op.drop_index("ix_assignment_rules_tenant_created", table_name="assignment_rules")
    op.drop_table("assignment_rules")
    op.drop_index("ix_assignment_queues_tenant_created", table_name="assignment_queues")
    op.drop_table("assignment_queues")
    op.drop_table("account_balances")
