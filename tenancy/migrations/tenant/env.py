"""Alembic environment for one tenant schema, chosen with ``-x schema=t_slug``.

Table-level operations may address the placeholder schema ``tenant`` (as the models do); the
connection's ``schema_translate_map`` renders it as the real schema. Column-level operations and
raw SQL must use ``tenancy.migrations.common.tenant_schema()``, the real name.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from tenancy.migrations.common import configure_kwargs, load_metadata, tenant_connection

config = context.config
schema: str = (
    config.attributes.get("schema") or context.get_x_argument(as_dictionary=True).get("schema") or ""
)
if not schema:
    raise SystemExit("tenant migrations need a schema: alembic -n tenant -x schema=t_slug ...")


def run(connection: Connection) -> None:
    context.configure(
        connection=tenant_connection(connection, schema),
        target_metadata=load_metadata(config.get_main_option("target_metadata")),
        **configure_kwargs(schema),
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = create_async_engine(config.attributes.get("database_url") or os.environ["DATABASE_URL"])
    async with engine.connect() as conn:
        await conn.run_sync(run)
        await conn.commit()
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    asyncio.run(run_online())
