"""Helpers for the staff stories: the tenant's mail, its roles and teams, links out of mail."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace

from crm_testkit import TenantKit
from litestar import Litestar
from sqlalchemy import select

from app.accounts.models import Role, Team, User
from app.mail import RecordingMailer, recorded_mail
from app.platform.plans import tenant_limits, write_mirror


def mailer(app: Litestar) -> RecordingMailer:
    return RecordingMailer(app.state.db.engine)


async def last_link(app: Litestar, to: str, kind: str) -> str:
    """The token of the newest link mailed to ``to``."""
    found = await recorded_mail(app.state.db.engine, to=to, kind=kind)
    assert found, f"no {kind} mail to {to}"
    match = re.search(r"token=([A-Za-z0-9_\-.]+)", found[0].body)
    assert match, found[0].body
    return match.group(1)


async def mails(app: Litestar, to: str, kind: str) -> int:
    return len(await recorded_mail(app.state.db.engine, to=to, kind=kind))


async def role_id(app: Litestar, kit: TenantKit, key: str) -> uuid.UUID:
    async with app.state.db.tenant_session(kit.schema) as session:
        found = await session.scalar(select(Role.id).where(Role.key == key))
        assert found is not None
        return found


async def team_id(app: Litestar, kit: TenantKit, name: str) -> uuid.UUID:
    async with app.state.db.tenant_session(kit.schema) as session:
        found = await session.scalar(select(Team.id).where(Team.name == name))
        assert found is not None
        return found


async def user(app: Litestar, kit: TenantKit, user_id: uuid.UUID) -> User:
    async with app.state.db.tenant_session(kit.schema) as session:
        found = await session.get(User, user_id)
        assert found is not None
        return found


async def limit_seats(app: Litestar, kit: TenantKit, max_users: int) -> None:
    async with app.state.db.tenant_session(kit.schema) as session:
        limits = await tenant_limits(session)
    async with app.state.db.engine.begin() as conn:
        await write_mirror(conn, kit.schema, replace(limits, max_users=max_users))
