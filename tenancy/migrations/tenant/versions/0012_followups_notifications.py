"""follow-ups, tasks and the notification centre

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenancy.migrations.tenant.frozen import record_columns_v1
from tenancy.migrations.tenant.helpers import S

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "follow_ups",
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("contact_id", sa.UUID(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("happened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("owner_id", sa.UUID(), nullable=True),
        *record_columns_v1(),
        sa.CheckConstraint(
            "channel IN ('call', 'visit', 'wechat', 'sms', 'email', 'meeting')",
            name=op.f("ck_follow_ups_channel_allowed"),
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('reached', 'no_answer', 'interested', 'not_interested', "
            "'appointment', 'deal')",
            name=op.f("ck_follow_ups_outcome_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            [f"{S}.customers.id"],
            name=op.f("fk_follow_ups_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            [f"{S}.contacts.id"],
            name=op.f("fk_follow_ups_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["owner_id"], [f"{S}.users.id"], name=op.f("fk_follow_ups_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        schema=S,
    )
    op.create_index("ix_follow_ups_customer", "follow_ups", ["customer_id", "happened_at"], schema=S)
    op.create_index(op.f("ix_follow_ups_owner_id"), "follow_ups", ["owner_id"], schema=S)
    op.create_index(
        "ix_follow_ups_owner_next",
        "follow_ups",
        ["owner_id", "next_at"],
        schema=S,
        postgresql_where="deleted_at IS NULL",
    )
    op.create_index(
        "ix_follow_ups_reminder_due",
        "follow_ups",
        ["next_at"],
        schema=S,
        postgresql_where="reminded_at IS NULL AND next_done_at IS NULL AND deleted_at IS NULL "
        "AND next_at IS NOT NULL",
    )
    op.create_table(
        "tasks",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("customer_id", sa.UUID(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.UUID(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("owner_id", sa.UUID(), nullable=True),
        *record_columns_v1(),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            [f"{S}.customers.id"],
            name=op.f("fk_tasks_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["done_by"], [f"{S}.users.id"], name=op.f("fk_tasks_done_by_users")),
        sa.ForeignKeyConstraint(["owner_id"], [f"{S}.users.id"], name=op.f("fk_tasks_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        schema=S,
    )
    op.create_index(op.f("ix_tasks_owner_id"), "tasks", ["owner_id"], schema=S)
    op.create_index(
        "ix_tasks_owner_due",
        "tasks",
        ["owner_id", "due_at"],
        schema=S,
        postgresql_where="done_at IS NULL AND deleted_at IS NULL",
    )
    op.create_index(
        "ix_tasks_reminder_due",
        "tasks",
        ["due_at"],
        schema=S,
        postgresql_where="reminded_at IS NULL AND done_at IS NULL AND deleted_at IS NULL",
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("recipient_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=500), nullable=True),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("link", sa.String(length=300), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            [f"{S}.users.id"],
            name=op.f("fk_notifications_recipient_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "recipient_id", "dedupe_key", name=op.f("uq_notifications_recipient_id_dedupe_key")
        ),
        schema=S,
    )
    op.create_index(
        "ix_notifications_recipient_created", "notifications", ["recipient_id", "created_at"], schema=S
    )
    op.create_index(
        "ix_notifications_unread",
        "notifications",
        ["recipient_id"],
        schema=S,
        postgresql_where="read_at IS NULL",
    )
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("notification_id", sa.UUID(), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed')",
            name=op.f("ck_notification_deliveries_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            [f"{S}.notifications.id"],
            name=op.f("fk_notification_deliveries_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
        sa.UniqueConstraint(
            "notification_id", "channel", name=op.f("uq_notification_deliveries_notification_id_channel")
        ),
        schema=S,
    )
    op.create_index(
        "ix_notification_deliveries_due",
        "notification_deliveries",
        ["next_attempt_at"],
        schema=S,
        postgresql_where="status IN ('pending', 'sending')",
    )
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            [f"{S}.users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", "channel", name=op.f("pk_notification_preferences")),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("notification_preferences", schema=S)
    op.drop_index("ix_notification_deliveries_due", table_name="notification_deliveries", schema=S)
    op.drop_table("notification_deliveries", schema=S)
    op.drop_index("ix_notifications_unread", table_name="notifications", schema=S)
    op.drop_index("ix_notifications_recipient_created", table_name="notifications", schema=S)
    op.drop_table("notifications", schema=S)
    for name in ("ix_tasks_reminder_due", "ix_tasks_owner_due", "ix_tasks_owner_id"):
        op.drop_index(name, table_name="tasks", schema=S)
    op.drop_table("tasks", schema=S)
    for name in (
        "ix_follow_ups_reminder_due",
        "ix_follow_ups_owner_next",
        "ix_follow_ups_owner_id",
        "ix_follow_ups_customer",
    ):
        op.drop_index(name, table_name="follow_ups", schema=S)
    op.drop_table("follow_ups", schema=S)
