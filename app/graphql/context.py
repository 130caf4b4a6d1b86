"""Per-request GraphQL context: the tenant session, the actor, and the loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from app.domain import Actor
from tenancy.models import Tenant


@dataclass
class GraphQLContext:
    request: Request[Any, Any, Any]
    session: AsyncSession
    actor: Actor
    tenant: Tenant
    loaders: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)


async def context_getter(request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor) -> GraphQLContext:
    """Litestar injects the request's tenant session (closed when the request ends) and actor."""
    return GraphQLContext(request=request, session=db_session, actor=actor, tenant=request.scope["state"]["tenant"])
