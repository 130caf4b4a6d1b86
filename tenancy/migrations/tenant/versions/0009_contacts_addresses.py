"""contacts of company customers and customer addresses (the first entities declared on the kit)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenancy.migrations.tenant.frozen import record_columns_v1

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=True),
        sa.Column("mobile", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        *record_columns_v1(),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["tenant.customers.id"],
            name=op.f("fk_contacts_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        schema="tenant",
    )
    op.create_index("ix_contacts_customer_id", "contacts", ["customer_id", "created_at"], schema="tenant")
    op.create_table(
        "customer_addresses",
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=60), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("province", sa.String(length=30), nullable=False),
        sa.Column("city", sa.String(length=30), nullable=True),
        sa.Column("district", sa.String(length=30), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        *record_columns_v1(),
        sa.CheckConstraint(
            "kind IN ('delivery', 'installation', 'billing')", name=op.f("ck_customer_addresses_kind_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["tenant.customers.id"],
            name=op.f("fk_customer_addresses_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_addresses")),
        schema="tenant",
    )
    op.create_index(
        "ix_customer_addresses_customer_id",
        "customer_addresses",
        ["customer_id", "created_at"],
        schema="tenant",
    )


def downgrade() -> None:
    op.drop_index("ix_customer_addresses_customer_id", table_name="customer_addresses", schema="tenant")
    op.drop_table("customer_addresses", schema="tenant")
    op.drop_index("ix_contacts_customer_id", table_name="contacts", schema="tenant")
    op.drop_table("contacts", schema="tenant")
