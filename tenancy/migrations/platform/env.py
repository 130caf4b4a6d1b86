"""Alembic environment for the platform tables in ``public``."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from tenancy.migrations.common import configure_kwargs, load_metadata

config = context.config


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=load_metadata(config.get_main_option("target_metadata")),
        **configure_kwargs(None),
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = create_async_engine(config.attributes.get("database_url") or os.environ["DATABASE_URL"])
    async with engine.connect() as conn:
        await conn.run_sync(run)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    asyncio.run(run_online())
