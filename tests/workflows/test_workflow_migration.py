"""Migration 0007 on a tenant with customers: the default customer lifecycle arrives as version 1
(the very definition new tenants get), every stored status is one of its states, the roles made from
the owner, admin and manager templates may edit workflows, the tables are those the models make,
and the downgrade takes it all back."""

from __future__ import annotations

import uuid
from typing import Any

from alembic import command
from litestar import Litestar
from sqlalchemy import Connection, text

from app.customers.lifecycle import default_lifecycle
from app.models import tenant_metadata
from app.workflows.definition import load
from tenancy import migrate

REVISION = "0007"
SCHEMA, FRESH = "t_wf_old", "t_wf_fresh"


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


async def _rows(app: Litestar, sql: str) -> list[dict[str, Any]]:
    async with app.state.db.engine.connect() as conn:
        return [dict(r) for r in (await conn.execute(text(sql))).mappings().all()]


async def _shape(app: Litestar, schema: str) -> list[tuple[Any, ...]]:
    async with app.state.db.engine.connect() as conn:
        columns = await conn.execute(
            text(
                "SELECT table_name, column_name, data_type, is_nullable, column_default "
                "FROM information_schema.columns WHERE table_schema = :s "
                "AND table_name IN ('workflows', 'stage_history') ORDER BY 1, 2"
            ),
            {"s": schema},
        )
        indexes = await conn.execute(
            text(
                "SELECT tablename, indexname, replace(indexdef, :s, 'X') FROM pg_indexes "
                "WHERE schemaname = :s AND tablename IN ('workflows', 'stage_history') ORDER BY 1, 2"
            ),
            {"s": schema},
        )
        return [tuple(r) for r in columns.all()] + [tuple(r) for r in indexes.all()]


async def _old_tenant(app: Litestar) -> None:
    """A tenant at the revision before 0007 with roles from templates and customers in every stage."""
    async with app.state.db.engine.begin() as conn:
        await migrate.drop_schema(conn, SCHEMA)
        await conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    await _to(app, SCHEMA, _previous())
    async with app.state.db.engine.begin() as conn:
        for key in ("owner", "admin", "manager", "sales"):
            await conn.execute(
                text(
                    f"INSERT INTO {SCHEMA}.roles (id, key, name, permissions, data_scope, template) "
                    "VALUES (:id, :key, :key, ARRAY['customers:read']::varchar(60)[], 'all', :key)"
                ),
                {"id": uuid.uuid4(), "key": key},
            )
        for n, status in enumerate(("lead", "interested", "won", "lost", "won")):
            await conn.execute(
                text(
                    f"INSERT INTO {SCHEMA}.customers (name, kind, status, search_grams, search_text, "
                    "version) VALUES (:name, 'individual', :status, '{}', '', 1)"
                ),
                {"name": f"老客户{n}", "status": status},
            )


async def test_existing_tenants_get_the_default_lifecycle_and_their_customers_fit_it(app: Litestar) -> None:
    await _old_tenant(app)
    await _to(app, SCHEMA, REVISION)
    [workflow] = await _rows(app, f"SELECT * FROM {SCHEMA}.workflows")
    assert (workflow["entity"], workflow["version"], workflow["is_current"]) == ("customer", 1, True)
    # The migration's literal copy is the definition new tenants are seeded with.
    assert workflow["definition"] == default_lifecycle()
    states = set(load(workflow["definition"]).keys())
    statuses = {r["status"] for r in await _rows(app, f"SELECT DISTINCT status FROM {SCHEMA}.customers")}
    assert statuses <= states
    roles = {
        r["key"]: r["permissions"] for r in await _rows(app, f"SELECT key, permissions FROM {SCHEMA}.roles")
    }
    assert {k for k, p in roles.items() if "workflows:manage" in p} == {"owner", "admin", "manager"}
    assert roles["manager"] == sorted(roles["manager"])  # kept sorted, as 0006 stores them

    # Later revisions change these tables too (0028: a key per pipeline), so the tables are compared
    # with the models' at head, and the downgrade then goes back through all of them.
    await _to(app, SCHEMA, "head")
    async with app.state.db.engine.begin() as conn:
        await migrate.drop_schema(conn, FRESH)
        await migrate.create_schema_at_head(conn, FRESH, tenant_metadata)
    assert await _shape(app, SCHEMA) == await _shape(app, FRESH)

    await _to(app, SCHEMA, _previous(), down=True)
    tables = await _rows(
        app,
        f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{SCHEMA}' "
        "AND table_name IN ('workflows', 'stage_history')",
    )
    assert tables == []
    roles = {
        r["key"]: r["permissions"] for r in await _rows(app, f"SELECT key, permissions FROM {SCHEMA}.roles")
    }
    assert not any("workflows:manage" in p for p in roles.values())
