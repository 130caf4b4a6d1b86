"""Per-request GraphQL context: the tenant session, the actor, and the loaders."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.litestar import BaseContext

from app.domain import Actor
from app.graphql.loaders import Loaders, make_loaders
from tenancy.models import Tenant


class GraphQLContext(BaseContext, kw_only=True):
    """What resolvers get as ``info.context``.

    Sibling fields resolve concurrently but share one ``AsyncSession``, which allows one statement
    at a time: resolvers and loaders reach the session through ``db()``, which takes turns.
    """

    session: AsyncSession
    actor: Actor
    tenant: Tenant
    loaders: Loaders
    lock: asyncio.Lock = msgspec.field(default_factory=asyncio.Lock)

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        async with self.lock:
            yield self.session


async def context_getter(
    request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
) -> GraphQLContext:
    """Litestar injects the request's tenant session (closed when the request ends) and actor."""
    lock = asyncio.Lock()
    return GraphQLContext(
        request=request,
        session=db_session,
        actor=actor,
        tenant=request.scope["state"]["tenant"],
        loaders=make_loaders(db_session, lock),
        lock=lock,
    )
