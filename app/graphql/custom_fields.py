"""Custom-field queries and mutations: parse the input, call the custom-field service, render the result."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from app.customfields import models
from app.customfields import service as custom_fields
from app.domain import Actor
from app.graphql.context import GraphQLContext
from app.graphql.kit import mutate, query, record_id
from app.graphql.types.custom_fields import (
    CustomFieldDefinition,
    CustomFieldMutationResult,
    CustomFieldPayload,
    DefineCustomFieldInput,
    UpdateCustomFieldInput,
)

FieldInfo = Info[GraphQLContext, None]
Operation = Callable[[AsyncSession, Actor], Awaitable[models.CustomFieldDefinition]]


def _uuid(raw: str) -> uuid.UUID:
    return record_id(raw, custom_fields.AUDIT_ENTITY)


async def _save(info: FieldInfo, operation: Operation) -> CustomFieldMutationResult:
    """One definition change through the kit's mutation runner (read-only tokens refused, typed errors)."""
    return await mutate(
        info,
        operation,
        lambda record: CustomFieldPayload(custom_field=CustomFieldDefinition.from_model(record)),
    )


@strawberry.type
class CustomFieldQueries:
    @strawberry.field(
        description='The custom fields of an entity ("customer"), in form order. '
        "includeArchived needs settings:manage."
    )
    async def custom_field_definitions(
        self, info: FieldInfo, entity: str, include_archived: bool = False
    ) -> list[CustomFieldDefinition]:
        found = await query(
            info, lambda s, a: custom_fields.list_definitions(s, a, entity, include_archived=include_archived)
        )
        return [CustomFieldDefinition.from_model(d) for d in found]


@strawberry.type
class CustomFieldMutations:
    @strawberry.mutation(description="Add a custom field to an entity (needs settings:manage).")
    async def define_custom_field(
        self, info: FieldInfo, input: DefineCustomFieldInput
    ) -> CustomFieldMutationResult:
        return await _save(
            info,
            lambda session, actor: custom_fields.define_field(
                session, actor, input.entity, input.to_domain()
            ),
        )

    @strawberry.mutation(description="Change a custom field; refusals say which records are in the way.")
    async def update_custom_field(
        self, info: FieldInfo, input: UpdateCustomFieldInput
    ) -> CustomFieldMutationResult:
        return await _save(
            info,
            lambda session, actor: custom_fields.update_field(
                session, actor, _uuid(input.id), input.to_domain(), version=input.version
            ),
        )

    @strawberry.mutation(
        description="Remove a custom field from forms and the API; its values are kept (restorable)."
    )
    async def archive_custom_field(self, info: FieldInfo, id: strawberry.ID) -> CustomFieldMutationResult:
        return await _save(
            info, lambda session, actor: custom_fields.archive_field(session, actor, _uuid(id))
        )

    @strawberry.mutation(description="Bring an archived custom field back, with the values records kept.")
    async def restore_custom_field(self, info: FieldInfo, id: strawberry.ID) -> CustomFieldMutationResult:
        return await _save(
            info, lambda session, actor: custom_fields.restore_field(session, actor, _uuid(id))
        )
