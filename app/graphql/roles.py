"""Role queries and mutations: parse the input, call the role service, render the result."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from app.accounts.models import Role as RoleModel
from app.domain import Actor
from app.graphql.context import GraphQLContext
from app.graphql.kit import mutate, query, record_id
from app.graphql.types.roles import (
    CreateRoleInput,
    PermissionModule,
    Role,
    RoleMutationResult,
    RolePayload,
    UpdateRoleInput,
)
from app.roles import catalog
from app.roles import service as roles

RoleInfo = Info[GraphQLContext, None]
Operation = Callable[[AsyncSession, Actor], Awaitable[RoleModel]]


def _uuid(raw: str) -> uuid.UUID:
    return record_id(raw, roles.ENTITY)


async def _save(info: RoleInfo, operation: Operation) -> RoleMutationResult:
    """One role change through the kit's mutation runner; the answer carries the holder count."""

    async def with_holders(session: AsyncSession, actor: Actor) -> tuple[RoleModel, int]:
        record = await operation(session, actor)
        return record, (await roles.get_role(session, actor, record.id)).holders

    return await mutate(info, with_holders, lambda found: RolePayload(role=Role.from_model(*found)))


@strawberry.type
class RoleQueries:
    @strawberry.field(
        description="Every role of the dealer with its holder count (roles:manage or staff:manage)."
    )
    async def roles(self, info: RoleInfo) -> list[Role]:
        found = await query(info, roles.list_roles)
        return [Role.from_model(s.role, s.holders) for s in found]

    @strawberry.field(description="The permission catalog: modules with the actions they offer, labelled.")
    def permissions(self, info: RoleInfo) -> list[PermissionModule]:
        return [PermissionModule.from_module(m) for m in catalog.load()]


@strawberry.type
class RoleMutations:
    @strawberry.mutation(description="Create a custom role, optionally starting from a template.")
    async def create_role(self, info: RoleInfo, input: CreateRoleInput) -> RoleMutationResult:
        return await _save(
            info,
            lambda session, actor: roles.create_role(
                session, actor, input.to_domain(), template=input.template
            ),
        )

    @strawberry.mutation(
        description="Change a role's name, permissions or data scope, given the version you read."
    )
    async def update_role(self, info: RoleInfo, input: UpdateRoleInput) -> RoleMutationResult:
        return await _save(
            info,
            lambda session, actor: roles.update_role(
                session, actor, _uuid(input.id), input.version, input.to_domain()
            ),
        )
