"""Migration 0016 on a tenant with customers: every existing customer gets its pinyin sort key (the
same key the application computes), customers:manage reaches the manager, and the downgrade takes
the column, the tables and the permission back."""

from __future__ import annotations

from alembic import command
from litestar import Litestar
from sqlalchemy import Connection, text

from app.kit.pinyin_sort import sort_key
from tenancy import migrate

SCHEMA = "t_pinyin_old"


def _move(sync_conn: Connection, target: str, down: bool = False) -> None:
    cfg = migrate.alembic_config("tenant")
    cfg.attributes["connection"] = sync_conn
    cfg.attributes["schema"] = SCHEMA
    (command.downgrade if down else command.upgrade)(cfg, target)


async def _to(app: Litestar, target: str, down: bool = False) -> None:
    async with app.state.db.engine.connect() as conn:
        await conn.run_sync(_move, target, down)
        await conn.commit()


async def test_existing_customers_get_their_keys(app: Litestar) -> None:
    async with app.state.db.engine.begin() as conn:
        await migrate.drop_schema(conn, SCHEMA)
        await conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    await _to(app, "0015")
    names = ["张三", "安娜", "曾小贤", "Apple 专卖", ""]
    async with app.state.db.engine.begin() as conn:
        await conn.execute(
            text(
                f"INSERT INTO {SCHEMA}.roles (key, name, permissions, data_scope, template) "
                "VALUES ('manager', '经理', ARRAY['customers:read']::varchar(60)[], 'team', 'manager')"
            )
        )
        for name in names:
            await conn.execute(
                text(
                    f"INSERT INTO {SCHEMA}.customers (name, kind, status, version, custom, search_grams, "
                    "search_text) VALUES (:n, 'individual', 'lead', 1, '{}', '{}', '')"
                ),
                {"n": name},
            )
    await _to(app, "0016")
    async with app.state.db.engine.connect() as conn:
        keys = dict((await conn.execute(text(f"SELECT name, name_pinyin FROM {SCHEMA}.customers"))).all())
        ordered = (
            await conn.scalars(text(f"SELECT name FROM {SCHEMA}.customers ORDER BY name_pinyin, id"))
        ).all()
        permissions = await conn.scalar(text(f"SELECT permissions FROM {SCHEMA}.roles WHERE key = 'manager'"))
    assert keys == {name: sort_key(name) for name in names}
    assert list(ordered) == ["", "安娜", "Apple 专卖", "曾小贤", "张三"]
    assert "customers:manage" in permissions
    await _to(app, "0015", down=True)
    async with app.state.db.engine.connect() as conn:
        column = await conn.scalar(
            text(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = :s "
                "AND column_name = 'name_pinyin'"
            ),
            {"s": SCHEMA},
        )
        tables = await conn.scalar(
            text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = :s "
                "AND table_name IN ('saved_views', 'batch_jobs', 'batch_job_items')"
            ),
            {"s": SCHEMA},
        )
        permissions = await conn.scalar(text(f"SELECT permissions FROM {SCHEMA}.roles WHERE key = 'manager'"))
    assert (column, tables) == (0, 0) and "customers:manage" not in permissions
    async with app.state.db.engine.begin() as conn:
        await migrate.drop_schema(conn, SCHEMA)
