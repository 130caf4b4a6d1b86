"""A tenant created at head from metadata is the same schema that replaying the migrations builds;
upgrading many tenants skips those at head and reports failures without stopping the rest."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import text

from app.models import tenant_metadata
from tenancy import migrate


async def _shape(app: Litestar, schema: str) -> dict[str, Any]:
    async with app.state.db.engine.connect() as conn:
        columns = (
            await conn.execute(
                text(
                    "SELECT table_name, column_name, data_type, is_nullable, column_default "
                    "FROM information_schema.columns WHERE table_schema = :s ORDER BY 1, 2"
                ),
                {"s": schema},
            )
        ).all()
        indexes = (
            await conn.execute(
                text(
                    "SELECT tablename, indexname, replace(indexdef, :s, 'X') FROM pg_indexes "
                    "WHERE schemaname = :s ORDER BY 1, 2"
                ),
                {"s": schema},
            )
        ).all()
        constraints = (
            await conn.execute(
                text(
                    "SELECT conrelid::regclass::text, conname, contype FROM pg_constraint c "
                    "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = :s ORDER BY 2"
                ),
                {"s": schema},
            )
        ).all()
    return {
        "columns": [tuple(r) for r in columns],
        "indexes": [tuple(r) for r in indexes],
        "constraints": [(r[0].split(".")[-1], r[1], r[2]) for r in constraints],
    }


async def _fresh(app: Litestar, schema: str) -> None:
    async with app.state.db.engine.begin() as conn:
        await migrate.drop_schema(conn, schema)


async def test_schema_from_metadata_equals_schema_from_migrations(app: Litestar) -> None:
    await _fresh(app, "t_shape_meta")
    await _fresh(app, "t_shape_migr")
    async with app.state.db.engine.begin() as conn:
        await migrate.create_schema_at_head(conn, "t_shape_meta", tenant_metadata)
        await conn.execute(text("CREATE SCHEMA t_shape_migr"))
    report = await migrate.upgrade_tenants(app.state.db.engine, ["t_shape_migr"])
    assert report.ok, report.failed
    meta, migrated = await _shape(app, "t_shape_meta"), await _shape(app, "t_shape_migr")
    assert meta["columns"] == migrated["columns"]
    assert meta["indexes"] == migrated["indexes"]
    assert meta["constraints"] == migrated["constraints"]
    assert (await migrate.current_revisions(app.state.db.engine, ["t_shape_migr"]))[
        "t_shape_migr"
    ] == migrate.head_revision()


async def _routines_and_triggers(app: Litestar, schema: str) -> dict[str, Any]:
    async with app.state.db.engine.connect() as conn:
        triggers = (
            await conn.execute(
                text(
                    "SELECT c.relname, t.tgname, replace(pg_get_triggerdef(t.oid), :s, 'X') "
                    "FROM pg_trigger t "
                    "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = :s AND NOT t.tgisinternal ORDER BY 1, 2"
                ),
                {"s": schema},
            )
        ).all()
        routines = (
            await conn.execute(
                text(
                    "SELECT p.proname, replace(p.prosrc, :s, 'X') FROM pg_proc p "
                    "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = :s ORDER BY 1"
                ),
                {"s": schema},
            )
        ).all()
    return {"triggers": [tuple(r) for r in triggers], "routines": [tuple(r) for r in routines]}


async def test_the_replayed_ddl_builds_what_create_all_builds_and_leaves_no_template(app: Litestar) -> None:
    """Sign-ups send the metadata's DDL as one script rendered once per process; a schema made
    that way has the same tables, indexes, constraints, functions and triggers as ``create_all``
    run directly, and the schema the script was rendered in is gone."""
    for schema in ("t_replay_a", "t_replay_b", "t_direct"):
        await _fresh(app, schema)
    async with app.state.db.engine.begin() as conn:
        await migrate.create_schema_at_head(conn, "t_replay_a", tenant_metadata)
        await migrate.create_schema_at_head(conn, "t_replay_b", tenant_metadata)
        await conn.execute(text("CREATE SCHEMA t_direct"))
        await conn.run_sync(migrate._create_tables, "t_direct", tenant_metadata)
    direct = await _shape(app, "t_direct") | await _routines_and_triggers(app, "t_direct")
    assert direct["triggers"] and direct["routines"]  # the listeners' SQL is part of what is compared
    for schema in ("t_replay_a", "t_replay_b"):
        replayed = await _shape(app, schema) | await _routines_and_triggers(app, schema)
        for kind, rows in replayed.items():  # create_all alone does not stamp the revision
            assert [r for r in rows if r[0] != "alembic_version"] == direct[kind], (schema, kind)
    async with app.state.db.engine.connect() as conn:
        left = await conn.scalar(
            text("SELECT count(*) FROM pg_namespace WHERE nspname = :n"), {"n": migrate._DDL_TEMPLATE_SCHEMA}
        )
    assert left == 0
    for schema in ("t_replay_a", "t_replay_b", "t_direct"):
        await _fresh(app, schema)


async def test_upgrade_skips_tenants_at_head_and_reports_a_broken_one(app: Litestar) -> None:
    for schema in ("t_mig_ok", "t_mig_broken"):
        await _fresh(app, schema)
    async with app.state.db.engine.begin() as conn:
        await migrate.create_schema_at_head(conn, "t_mig_ok", tenant_metadata)
        # A tenant stamped with a revision that does not exist cannot be upgraded.
        await conn.execute(text("CREATE SCHEMA t_mig_broken"))
        await conn.execute(
            text("CREATE TABLE t_mig_broken.alembic_version (version_num varchar(32) primary key)")
        )
        await conn.execute(text("INSERT INTO t_mig_broken.alembic_version VALUES ('not-a-revision')"))
    seen: list[tuple[str, str]] = []
    report = await migrate.upgrade_tenants(
        app.state.db.engine, ["t_mig_ok", "t_mig_broken"], on_progress=lambda d, t, s, o: seen.append((s, o))
    )
    assert report.skipped == 1
    assert list(report.failed) == ["t_mig_broken"]
    assert "not-a-revision" in report.failed["t_mig_broken"]
    assert seen == [("t_mig_broken", "failed")]


def test_pending_revisions_for_an_empty_schema_start_at_the_first() -> None:
    pending = migrate.pending_revisions(None)
    assert pending[0] == "0001" and pending[-1] == migrate.head_revision()
    assert migrate.pending_revisions(migrate.head_revision()) == []


async def test_the_audit_log_refuses_updates_and_deletes_whichever_way_the_tenant_was_made(
    app: Litestar,
) -> None:
    from sqlalchemy.exc import DBAPIError

    await _fresh(app, "t_audit_meta")
    await _fresh(app, "t_audit_migr")
    async with app.state.db.engine.begin() as conn:
        await migrate.create_schema_at_head(conn, "t_audit_meta", tenant_metadata)
        await conn.execute(text("CREATE SCHEMA t_audit_migr"))
    assert (await migrate.upgrade_tenants(app.state.db.engine, ["t_audit_migr"])).ok
    for schema in ("t_audit_meta", "t_audit_migr"):
        async with app.state.db.engine.begin() as conn:
            await conn.execute(
                text(
                    f"INSERT INTO {schema}.audit_log (actor_label, entity, entity_id, action) "
                    f"VALUES ('x', 'e', '1', 'create')"
                )
            )
        for statement in (
            f"UPDATE {schema}.audit_log SET action = 'forged'",
            f"DELETE FROM {schema}.audit_log",
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                async with app.state.db.engine.begin() as conn:
                    await conn.execute(text(statement))
