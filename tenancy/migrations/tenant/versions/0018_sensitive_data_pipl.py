"""encrypted sensitive data, PIPL consents, data-subject export and erasure, retention

Sensitive values (ID card and bank card numbers) live in one table for every entity, sealed under
the tenant's data keys (themselves wrapped by the platform's master key). Consents per customer
and purpose, data-subject exports, erasures and the tenant's retention rule. ``privacy:manage``
(exports, erasure, the retention rule) is granted to existing owner and admin roles by template
key, as app/accounts/permissions.py grants it to new tenants (``customers:reveal`` was granted by
0006 already).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenancy.migrations.tenant.helpers import (
    S,
    drop_tables,
    grant_permissions,
    revoke_permissions,
)

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRANTS: dict[str, tuple[str, ...]] = {"privacy:manage": ("owner", "admin")}


def _now() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _uuid_pk() -> sa.Column:
    return sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "data_keys",
        _uuid_pk(),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("master_key_id", sa.String(length=16), nullable=False),
        _now(),
        sa.Column("rewrapped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_keys")),
        sa.UniqueConstraint("purpose", "version", name=op.f("uq_data_keys_purpose_version")),
        schema=S,
    )
    op.create_table(
        "sensitive_values",
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.UUID(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("search_hash", sa.String(length=64), nullable=False),
        sa.Column("masked", sa.String(length=40), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.UUID(), nullable=True),
        sa.PrimaryKeyConstraint("entity", "record_id", "field", name=op.f("pk_sensitive_values")),
        schema=S,
    )
    op.create_index(
        "ix_sensitive_values_lookup", "sensitive_values", ["entity", "field", "search_hash"], schema=S
    )
    op.create_index("ix_sensitive_values_key_version", "sensitive_values", ["key_version"], schema=S)
    op.create_table(
        "consents",
        _uuid_pk(),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("policy_version", sa.String(length=30), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("given_by", sa.UUID(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.UUID(), nullable=True),
        sa.Column("withdraw_channel", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            [f"{S}.customers.id"],
            name=op.f("fk_consents_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
        schema=S,
    )
    op.create_index("ix_consents_customer_id_purpose", "consents", ["customer_id", "purpose"], schema=S)
    op.create_table(
        "subject_exports",
        _uuid_pk(),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("requested_by", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _now(),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            [f"{S}.customers.id"],
            name=op.f("fk_subject_exports_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_exports")),
        schema=S,
    )
    op.create_index("ix_subject_exports_customer_id", "subject_exports", ["customer_id"], schema=S)
    op.create_table(
        "erasures",
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("reason", sa.String(length=12), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("erased_by", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            [f"{S}.customers.id"],
            name=op.f("fk_erasures_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_erasures")),
        schema=S,
    )
    op.create_table(
        "privacy_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("retention_years", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.UUID(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_settings")),
        schema=S,
    )

    grant_permissions(GRANTS)


def downgrade() -> None:
    revoke_permissions(GRANTS)
    drop_tables(
        "privacy_settings",
        "erasures",
        "subject_exports",
        "consents",
        "sensitive_values",
        "data_keys",
    )
