"""Migration 0006 on a tenant with data: existing roles end up exactly as the new templates, with
renamed strings, salespeople's export and token rights taken, and this release's permissions granted
by template; a role that is no template only gets the renames. The roles table it builds is the one
a new tenant gets from the models, and the downgrade brings the old strings back."""

from __future__ import annotations

import uuid
from typing import Any

from alembic import command
from litestar import Litestar
from sqlalchemy import Connection, text

from app.accounts.permissions import DEFAULT_ROLES
from app.models import tenant_metadata
from tenancy import migrate

REVISION = "0006"
# The templates as tenants were seeded with them before this release.
OLD_ROLES: dict[str, tuple[str, ...]] = {
    "owner": (
        "customers:read",
        "customers:write",
        "customers:delete",
        "customers:export",
        "audit:read",
        "users:manage",
        "tokens:own",
    ),
    "admin": (
        "customers:read",
        "customers:write",
        "customers:delete",
        "customers:export",
        "audit:read",
        "users:manage",
        "tokens:own",
    ),
    "manager": (
        "customers:read",
        "customers:write",
        "customers:export",
        "tokens:own",
        "customers:delete",
        "audit:read",
    ),
    "sales": ("customers:read", "customers:write", "customers:export", "tokens:own"),
    "service": ("customers:read", "customers:write", "tokens:own"),
    "technician": ("customers:read",),
    "marketing": ("customers:read", "customers:export"),
    "viewer": ("customers:read",),
}


def _previous() -> str:
    down = migrate.script_directory("tenant").get_revision(REVISION).down_revision
    assert isinstance(down, str)
    return down


def _move(sync_conn: Connection, schema: str, target: str, down: bool = False) -> None:
    cfg = migrate.alembic_config("tenant")
    cfg.attributes["connection"] = sync_conn
    cfg.attributes["schema"] = schema
    (command.downgrade if down else command.upgrade)(cfg, target)


async def _to(app: Litestar, schema: str, target: str, down: bool = False) -> None:
    async with app.state.db.engine.connect() as conn:
        await conn.run_sync(_move, schema, target, down)
        await conn.commit()


async def _roles(app: Litestar, schema: str) -> dict[str, dict[str, Any]]:
    async with app.state.db.engine.connect() as conn:
        rows = (await conn.execute(text(f"SELECT * FROM {schema}.roles"))).mappings().all()
    return {r["key"]: dict(r) for r in rows}


async def _columns(app: Litestar, schema: str) -> list[tuple[Any, ...]]:
    async with app.state.db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns "
                "WHERE table_schema = :s AND table_name = 'roles' ORDER BY column_name"
            ),
            {"s": schema},
        )
        return [tuple(r) for r in rows.all()]


async def _old_tenant(app: Litestar, schema: str) -> None:
    """A tenant at the revision before 0006, with its seeded roles, one extra role and staff."""
    async with app.state.db.engine.begin() as conn:
        await migrate.drop_schema(conn, schema)
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
    await _to(app, schema, _previous())
    async with app.state.db.engine.begin() as conn:
        for key, permissions in {**OLD_ROLES, "cashier": ("customers:read", "customers:write")}.items():
            role_id = uuid.uuid4()
            await conn.execute(
                text(
                    f"INSERT INTO {schema}.roles (id, key, name, permissions, data_scope) "
                    "VALUES (:id, :key, :key, :p, 'all')"
                ),
                {"id": role_id, "key": key, "p": list(permissions)},
            )
            await conn.execute(
                text(
                    f"INSERT INTO {schema}.users (id, email, name, password_hash, role_id, is_active, "
                    "failed_logins) VALUES (:id, :email, :key, 'x', :role, true, 0)"
                ),
                {"id": uuid.uuid4(), "email": f"{key}@old.example", "key": key, "role": role_id},
            )


async def test_existing_roles_become_the_new_templates(app: Litestar) -> None:
    """Every seeded role of an old tenant holds exactly what the template holds, once upgraded to head.

    This is also the guard for later releases: a permission added to a template without a migration
    granting it to existing roles fails here.
    """
    await _old_tenant(app, "t_roles_old")
    await _to(app, "t_roles_old", "head")
    roles = await _roles(app, "t_roles_old")
    for template in DEFAULT_ROLES:
        role = roles[template.key]
        assert sorted(role["permissions"]) == sorted(template.permissions), template.key
        assert role["template"] == template.key
    # Salespeople can neither export nor make API tokens any more.
    assert "customers:export" not in roles["sales"]["permissions"]
    assert "tokens:create" not in roles["sales"]["permissions"]
    assert "tokens:create" in roles["service"]["permissions"]
    # A role that is no template is renamed, never granted anything by template.
    assert roles["cashier"]["template"] is None
    assert sorted(roles["cashier"]["permissions"]) == ["customers:create", "customers:edit", "customers:read"]


async def test_the_migrated_roles_table_is_the_one_new_tenants_get(app: Litestar) -> None:
    """The columns 0006 adds match the model (a new tenant is made from the models, not replayed)."""
    await _old_tenant(app, "t_roles_shape")
    await _to(app, "t_roles_shape", REVISION)
    async with app.state.db.engine.begin() as conn:
        await migrate.drop_schema(conn, "t_roles_meta")
        await migrate.create_schema_at_head(conn, "t_roles_meta", tenant_metadata)
    assert await _columns(app, "t_roles_shape") == await _columns(app, "t_roles_meta")


async def test_downgrade_brings_the_old_strings_back(app: Litestar) -> None:
    await _old_tenant(app, "t_roles_down")
    await _to(app, "t_roles_down", REVISION)
    await _to(app, "t_roles_down", _previous(), down=True)
    roles = await _roles(app, "t_roles_down")
    for key, permissions in OLD_ROLES.items():
        assert sorted(roles[key]["permissions"]) == sorted(permissions), key
    assert "template" not in roles["owner"]
