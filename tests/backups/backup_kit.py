"""Helpers for the backup tests: settings pointing at a temporary backup folder, customers, schemas."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path
from typing import Any

from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import text

from app.backups import repository as repo
from app.customers import service as customers
from app.customers.models import Customer
from app.customers.validation import CustomerInput
from app.settings import Settings, get_settings

MASTER_KEY = base64.b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.b64encode(bytes(range(100, 132))).decode()

# The dealer's book at backup time: three customers of 张伟 (sales_a).
BOOK = [
    {"name": "刘德华", "mobile": "13912345678", "city": "市辖区", "province": "北京市", "district": "海淀区"},
    {"name": "张学友", "mobile": "13800138000", "notes": "要一台格力空调 =SUM(A1)"},
    {"name": "郭富城", "mobile": "13700137000", "tags": ["以旧换新", "冰箱"]},
]


def backup_settings(folder: Path, key: str = MASTER_KEY) -> Settings:
    return dataclasses.replace(get_settings(), backup_dir=folder, backup_master_key=key)


async def add_customers(
    app: Litestar, kit: TenantKit, who: str, book: list[dict[str, Any]]
) -> list[Customer]:
    made = []
    person = await actor(app, kit, who)
    for fields in book:
        async with app.state.db.tenant_session(kit.schema) as session:
            made.append(await customers.create_customer(session, person, CustomerInput(**fields)))
    return made


async def schemas(app: Litestar) -> set[str]:
    async with app.state.db.engine.connect() as conn:
        rows = await conn.execute(text("SELECT nspname FROM pg_namespace"))
        return {r.nspname for r in rows}


async def fingerprints(app: Litestar, schema: str) -> dict[str, Any]:
    async with app.state.db.engine.connect() as conn:
        async with conn.begin():
            await repo.prepare_checksum_transaction(conn)
            return await repo.table_fingerprints(conn, schema)


async def customer_names(app: Litestar, schema: str) -> list[str]:
    async with app.state.db.engine.connect() as conn:
        rows = await conn.execute(text(f"SELECT name FROM {schema}.customers ORDER BY name"))
        return [r.name for r in rows]


async def open_alerts(app: Litestar, slug: str) -> dict[str, str]:
    async with app.state.db.engine.connect() as conn:
        return {a.kind: a.message for a in await repo.list_open_alerts(conn, slug)}
