"""roles as data: template, version and last change on roles; permission strings of the catalog

Existing roles were never editable before this release, so each is still its seeded template: the
role's key names its template. The permission strings move to the catalog's model:
- renamed: customers:write → customers:create + customers:edit, users:manage → staff:manage,
  tokens:own → tokens:create;
- taken from salespeople by the new defaults: customers:export and tokens:create (dealers forbid a
  leaving salesperson taking the customer list);
- granted by template key (``GRANTS``): permissions this release adds.

A later release that adds permissions calls ``grant_permissions`` (tenancy/migrations/tenant/
helpers.py) with its own literal ``GRANTS``: that is how new permissions reach existing tenants'
roles with defined defaults, never silently absent. The mapping is literal here because migrations
never import application code; tests/roles checks that an old tenant ends up with exactly the new
templates (app.accounts.permissions.DEFAULT_ROLES).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenancy.migrations.common import tenant_schema
from tenancy.migrations.tenant.helpers import grant_permissions, quoted_schema, revoke_permissions

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEMPLATE_KEYS = ("owner", "admin", "manager", "sales", "service", "technician", "marketing", "viewer")

# old string → the strings that replace it, for every role.
RENAMES: dict[str, tuple[str, ...]] = {
    "customers:write": ("customers:create", "customers:edit"),
    "users:manage": ("staff:manage",),
    "tokens:own": ("tokens:create",),
}
# permission → template keys whose roles lose it (the new defaults say so).
REVOKES: dict[str, tuple[str, ...]] = {
    "customers:export": ("sales",),
    "tokens:create": ("sales", "technician", "viewer"),
}
# permission → template keys whose roles get it (permissions this release adds).
GRANTS: dict[str, tuple[str, ...]] = {
    "roles:manage": ("owner", "admin"),
    "settings:manage": ("owner", "admin"),
    "customers:import": ("owner", "admin", "manager"),
    "customers:reveal": ("owner", "admin"),
}


def _apply(
    renames: dict[str, tuple[str, ...]],
    revokes: dict[str, tuple[str, ...]],
    grants: dict[str, tuple[str, ...]],
) -> None:
    """Rewrite every role's permission strings; revokes and grants go by the role's template."""
    roles = f"{quoted_schema()}.roles"
    for old, new in renames.items():
        # The replacement strings join the others, without duplicates (stored sorted).
        op.execute(
            sa.text(
                f"UPDATE {roles} SET permissions = ARRAY(SELECT DISTINCT p FROM unnest("
                "array_remove(permissions, :old) || CAST(:new AS varchar(60)[])) AS p ORDER BY p) "
                "WHERE :old = ANY(permissions)"
            ).bindparams(old=old, new=list(new))
        )
    for permission, keys in revokes.items():
        op.execute(
            sa.text(
                f"UPDATE {roles} SET permissions = array_remove(permissions, CAST(:p AS varchar(60))) "
                "WHERE template = ANY(CAST(:keys AS varchar(40)[])) AND :p = ANY(permissions)"
            ).bindparams(p=permission, keys=list(keys))
        )
    grant_permissions(grants)


def upgrade() -> None:
    schema = tenant_schema()
    op.add_column("roles", sa.Column("template", sa.String(length=40), nullable=True), schema=schema)
    op.add_column(
        "roles", sa.Column("version", sa.Integer(), server_default="1", nullable=False), schema=schema
    )
    op.add_column("roles", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True), schema=schema)
    op.add_column("roles", sa.Column("updated_by", sa.UUID(), nullable=True), schema=schema)
    op.execute(
        sa.text(
            f"UPDATE {quoted_schema()}.roles SET template = key WHERE key = ANY(CAST(:keys AS varchar(40)[]))"
        ).bindparams(keys=list(TEMPLATE_KEYS))
    )
    _apply(RENAMES, REVOKES, GRANTS)


def downgrade() -> None:
    """Back to the old strings; salespeople get export and their tokens back as the old defaults had."""
    schema = tenant_schema()
    revoke_permissions(GRANTS)
    roles = f"{quoted_schema()}.roles"
    op.execute(
        sa.text(
            f"UPDATE {roles} SET permissions = permissions || "
            f"CAST(ARRAY['customers:export', 'tokens:create'] "
            "AS varchar(60)[]) WHERE template = 'sales'"
        )
    )
    op.execute(
        sa.text(
            f"UPDATE {roles} SET permissions = array_remove(array_remove(permissions, 'customers:create'), "
            "'customers:edit') || CAST(ARRAY['customers:write'] AS varchar(60)[]) "
            "WHERE 'customers:create' = ANY(permissions) OR 'customers:edit' = ANY(permissions)"
        )
    )
    for old, new in (("users:manage", "staff:manage"), ("tokens:own", "tokens:create")):
        op.execute(
            sa.text(
                f"UPDATE {roles} SET permissions = array_replace(permissions, CAST(:new AS varchar(60)), "
                "CAST(:old AS varchar(60)))"
            ).bindparams(old=old, new=new)
        )
    op.drop_column("roles", "updated_by", schema=schema)
    op.drop_column("roles", "updated_at", schema=schema)
    op.drop_column("roles", "version", schema=schema)
    op.drop_column("roles", "template", schema=schema)
