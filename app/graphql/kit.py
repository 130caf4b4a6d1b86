"""What every entity's GraphQL face shares: running a verb as a mutation, inputs as service data,
ids that read like absent records when malformed, and enums made from the domain's ``LabeledEnum``.

    @strawberry.mutation
    async def create_contact(self, info: Info, input: CreateContactInput) -> ContactMutationResult:
        return await mutate(info, lambda s, a: ContactService(s, a).create(values_of(input)),
                            lambda r: ContactPayload(contact=Contact.from_model(r)))
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from app.domain import Actor, DomainError, NotFound
from app.graphql.context import GraphQLContext
from app.graphql.errors import PermissionDeniedError, error_type
from app.kit.enums import LabeledEnum

E = TypeVar("E", bound=type[LabeledEnum])
Verb = Callable[[AsyncSession, Actor], Awaitable[Any]]


def graphql_enum(domain_enum: E, description: str | None = None, name: str | None = None) -> E:
    """The GraphQL enum of a domain enum: member names as GraphQL values (``VIP``), the stored
    values (``vip``) in Python. Declared once in the domain, so the two cannot drift."""
    return strawberry.enum(domain_enum, name=name or domain_enum.__name__, description=description)  # type: ignore[return-value]


def read_only_refusal(actor: Actor) -> PermissionDeniedError | None:
    """A read-only token may not change anything, whatever its user's role allows."""
    scopes = actor.token_scopes
    if scopes is not None and "write" not in scopes:
        return PermissionDeniedError(
            message="This access token is read-only; "
            "create a token with read and write access to change data.",
            permission="token:write",
        )
    return None


def record_id(raw: Any, entity: str) -> uuid.UUID:
    """A malformed id names no record: it reads like any other unknown id."""
    try:
        return uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound(entity, raw) from exc


def values_of(data: Any) -> dict[str, Any]:
    """A strawberry input as service data: the fields that were given, ids as text."""
    values: dict[str, Any] = {}
    for name, value in vars(data).items():
        if value is strawberry.UNSET:
            continue
        values[name] = str(value) if isinstance(value, uuid.UUID) else value
    return values


async def mutate(
    info: Info[GraphQLContext, None],
    verb: Verb,
    payload: Callable[[Any], Any],
    *,
    input_prefix: tuple[str, ...] = ("input",),
) -> Any:
    """Run one verb (it owns its unit of work); a domain refusal becomes the typed error, its field
    paths under ``input_prefix`` (``()`` for a mutation whose arguments are top-level)."""
    context = info.context
    if refusal := read_only_refusal(context.actor):
        return refusal
    async with context.db() as session:
        try:
            record = await verb(session, context.actor)
        except DomainError as exc:
            await session.rollback()  # whatever the verb had begun (kit verbs roll back themselves)
            return error_type(exc, input_prefix=input_prefix)
    return payload(record)
