"""staff invitations, password resets and team managers (dealer's first day)

Teams get a manager; staff added with a one-time password must change it at first login; a
leaver's deactivation time is kept; invitations are rows the signed link points at (used once).
Password-reset links need no table: they are signed over the password they replace.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenancy.migrations.common import tenant_schema

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    schema = tenant_schema()
    op.add_column("teams", sa.Column("manager_id", sa.UUID(), nullable=True), schema=schema)
    op.add_column(
        "users", sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True), schema=schema
    )
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean(), server_default="false", nullable=False),
        schema=schema,
    )
    op.create_table(
        "staff_invitations",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=True),
        sa.Column("role_id", sa.UUID(), nullable=False),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("invited_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_user_id", sa.UUID(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["role_id"], ["tenant.roles.id"], name=op.f("fk_staff_invitations_role_id_roles")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["tenant.teams.id"],
            name=op.f("fk_staff_invitations_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invitations")),
        schema="tenant",
    )
    op.create_index("ix_staff_invitations_email", "staff_invitations", ["email"], schema="tenant")


def downgrade() -> None:
    op.drop_index("ix_staff_invitations_email", table_name="staff_invitations", schema="tenant")
    op.drop_table("staff_invitations", schema="tenant")
    schema = tenant_schema()
    op.drop_column("users", "must_change_password", schema=schema)
    op.drop_column("users", "deactivated_at", schema=schema)
    op.drop_column("teams", "manager_id", schema=schema)
