"""What every entity's GraphQL face shares: running a verb as a mutation, inputs as service data,
ids that read like absent records when malformed, reads as queries (a refusal a GraphQL error, or
a typed one inside a result union), connections from a page, and enums made from the domain's
``LabeledEnum``.

    @strawberry.mutation
    async def create_contact(self, info: Info, input: CreateContactInput) -> ContactMutationResult:
        return await mutate(info, lambda s, a: ContactService(s, a).create(values_of(input)),
                            lambda r: ContactPayload(contact=Contact.from_model(r)))

An entity with the usual verbs declares its face once (``EntityFace``) and its resolvers become
one line each:

    QUOTES = EntityFace("quote", QuoteService, _quote, lambda q: QuotePayload(quote=q), ("lines",))
    ...
    async def quote(self, info: Info, id: strawberry.ID) -> QuoteResult:
        return await QUOTES.one(info, id)
    async def update_quote(self, info: Info, input: UpdateQuoteInput) -> QuoteMutationResult:
        return await QUOTES.update(info, input)
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition

from app.domain import Actor, DomainError, FieldError, NotFound, ValidationFailed
from app.graphql.context import GraphQLContext
from app.graphql.errors import PermissionDeniedError, client_error, error_type, filter_error
from app.graphql.pagination import Edge, PageInfo
from app.kit.enums import LabeledEnum
from app.kit.paging import Page

E = TypeVar("E", bound=type[LabeledEnum])
T = TypeVar("T")
C = TypeVar("C")
KitInfo = Info[GraphQLContext, None]
Verb = Callable[[AsyncSession, Actor], Awaitable[Any]]
# (session, actor, records) -> what the API shows of them, in order (one child query for a whole
# page's lines, say).
Render = Callable[[AsyncSession, Actor, list[Any]], Awaitable[list[Any]]]


def graphql_enum(domain_enum: E, description: str | None = None, name: str | None = None) -> E:
    """The GraphQL enum of a domain enum: member names as GraphQL values (``VIP``), the stored
    values (``vip``) in Python. Declared once in the domain, so the two cannot drift."""
    return strawberry.enum(domain_enum, name=name or domain_enum.__name__, description=description)  # type: ignore[return-value]


def id_or_none(value: Any) -> strawberry.ID | None:
    """A record's optional reference as a GraphQL ``ID``."""
    return strawberry.ID(str(value)) if value is not None else None


def _reader(name: str, kind: Any) -> Callable[[Any], Any]:
    """How one output field is read off a record attribute of the same name."""
    if name == "custom_fields":  # the record's JSONB ``custom``: the tenant's own fields, by key
        return lambda record: dict(record.custom or {})
    if isinstance(kind, StrawberryOptional):
        kind = kind.of_type
    many = isinstance(kind, StrawberryList)
    if many:
        kind = kind.of_type
    if kind is strawberry.ID:
        convert: Callable[[Any], Any] = str
    elif isinstance(kind, StrawberryEnumDefinition):
        convert = kind.wrapped_cls
    else:
        return lambda record: getattr(record, name)
    if many:
        return lambda record: [convert(v) for v in getattr(record, name) or []]
    return lambda record: None if (v := getattr(record, name)) in (None, "") else convert(v)


@cache
def _readers(kind: type) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    fields = kind.__strawberry_definition__.fields  # type: ignore[attr-defined]
    return tuple((f.python_name, _reader(f.python_name, f.type)) for f in fields if f.base_resolver is None)


def from_record(kind: Callable[..., T], record: Any, **given: Any) -> T:
    """An output type's value from a record whose attributes carry its fields' names: ids as text,
    enums from their stored values, ``custom_fields`` from the record's ``custom``. ``given`` are
    the fields shown otherwise (child lists, computed amounts, links)."""
    values = {name: read(record) for name, read in _readers(kind) if name not in given}  # type: ignore[arg-type]
    return kind(**values, **given)


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


def optional_id(raw: Any, field: str) -> uuid.UUID | None:
    """An optional id argument (a filter's ``customerId``): absent is None; malformed is a bad
    argument named by ``field`` (``filter.customerId``), not an empty result."""
    if raw is None or raw is strawberry.UNSET:
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError as exc:
        raise ValidationFailed([FieldError(field, "invalid_id", "is not a valid id")]) from exc


def values_of(data: Any) -> dict[str, Any]:
    """A strawberry input as service data: the fields that were given, ids as text."""
    values: dict[str, Any] = {}
    for name, value in vars(data).items():
        if value is strawberry.UNSET:
            continue
        values[name] = str(value) if isinstance(value, uuid.UUID) else value
    return values


def input_values(data: Any, *children: str) -> dict[str, Any]:
    """A create or update input as a verb's data: the given fields without the ``id`` and
    ``version`` the verb takes apart, custom fields under the service's name ``custom``, and each
    named child list (``lines``, ``items``) as a list of dicts."""
    values = values_of(data)
    values.pop("id", None)
    values.pop("version", None)
    if "custom_fields" in values:
        values["custom"] = values.pop("custom_fields")
    for name in children:
        if isinstance(values.get(name), list):
            values[name] = [values_of(item) for item in values[name]]
    return values


def page_info(page: Page[Any], after: str | None) -> PageInfo:
    """Forward keyset paging: a previous page exists when the page was asked for with ``after``."""
    return PageInfo(
        has_next_page=page.has_next,
        has_previous_page=after is not None,
        start_cursor=None,
        end_cursor=page.end_cursor,
    )


def connection(kind: Callable[..., C], page: Page[Any], after: str | None, nodes: Iterable[Any]) -> C:
    """A ``Connection`` subclass holding ``nodes`` (the page's records as the API shows them)."""
    return kind(
        edges=[Edge(cursor=page.end_cursor or "", node=node) for node in nodes],
        page_info=page_info(page, after),
        total_count=page.total,
        total_count_is_capped=page.total_capped,
    )


def keyset_connection(
    kind: Callable[..., C],
    page: Page[Any],
    after: str | None,
    cursor: Callable[[Any], str],
    node: Callable[[Any], Any],
    **more: Any,
) -> C:
    """A ``Connection`` whose every edge carries its own cursor (a list in a chosen order): the
    page's records through ``node``; ``more`` are the connection's own fields (an unread count)."""
    edges = [Edge(cursor=cursor(record), node=node(record)) for record in page.items]
    return kind(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=page.end_cursor,
        ),
        total_count=page.total,
        total_count_is_capped=page.total_capped,
        **more,
    )


async def filtered(build: Callable[[], Any]) -> Any:
    """A list's conditions from its ``filter`` argument (``build`` gives them, or an awaitable of
    them): a refusal names the filter's path (``["filter", "search"]``), whatever the service calls
    the field."""
    try:
        built = build()
        return await built if inspect.isawaitable(built) else built
    except ValidationFailed as exc:
        raise filter_error(exc) from None


async def query(info: KitInfo, load: Verb) -> Any:
    """A read whose result is no union: a domain refusal (a bad argument, a missing permission)
    becomes a GraphQL error with its code."""
    context = info.context
    async with context.db() as session:
        try:
            return await load(session, context.actor)
        except DomainError as exc:
            raise client_error(exc) from None


async def query_one(info: KitInfo, load: Verb) -> Any:
    """A read whose result is a union (``QuoteResult``): a refusal is the typed error, paths
    top-level (the arguments are)."""
    context = info.context
    async with context.db() as session:
        try:
            return await load(session, context.actor)
        except DomainError as exc:
            return error_type(exc, input_prefix=())


async def mutate(
    info: Info[GraphQLContext, None],
    verb: Verb,
    payload: Callable[[Any], Any],
    *,
    input_prefix: tuple[str, ...] = ("input",),
    typed: Callable[[DomainError], Any] | None = None,
) -> Any:
    """Run one verb (it owns its unit of work); a domain refusal becomes the typed error, its field
    paths under ``input_prefix`` (``()`` for a mutation whose arguments are top-level). ``typed``
    gives the error type of a refusal only this mutation's union knows (a refused workflow move),
    or None to leave it to the common ones."""
    context = info.context
    if refusal := read_only_refusal(context.actor):
        return refusal
    async with context.db() as session:
        try:
            record = await verb(session, context.actor)
        except DomainError as exc:
            await session.rollback()  # whatever the verb had begun (kit verbs roll back themselves)
            special = typed(exc) if typed is not None else None
            return special if special is not None else error_type(exc, input_prefix=input_prefix)
    return payload(record)


def shown(convert: Callable[[Any], Any]) -> Render:
    """A ``Render`` for records shown by themselves (``Product.from_model``), without child queries."""

    async def render(session: AsyncSession, actor: Actor, records: list[Any]) -> list[Any]:
        return [convert(record) for record in records]

    return render


@dataclass(frozen=True)
class EntityFace:
    """One entity's usual verbs as resolvers, declared once: its key (for ids that name nothing),
    its service, how records are shown and how a shown record travels in a mutation's payload.

    ``page`` is the list query, ``one`` the by-id query, ``create``/``update`` the mutations taking
    an ``input`` (its ``children`` lists as dicts), ``delete``/``restore`` those taking an id,
    ``run`` any other verb of the service as a mutation, ``transition`` the verb
    ``transition_mutation`` runs.
    """

    key: str
    service: Callable[[AsyncSession, Actor], Any]
    render: Render
    payload: Callable[[Any], Any]
    children: tuple[str, ...] = ()
    # The input's values as the service takes them, after ``input_values`` (a nested group of
    # fields flattened, for instance); None: as they are.
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def values(self, data: Any) -> dict[str, Any]:
        values = input_values(data, *self.children)
        return values if self.prepare is None else self.prepare(values)

    def id_of(self, raw: Any) -> uuid.UUID:
        return record_id(raw, self.key)

    async def show(self, session: AsyncSession, actor: Actor, record: Any) -> Any:
        return (await self.render(session, actor, [record]))[0]

    async def page(
        self,
        info: KitInfo,
        kind: Callable[..., C],
        first: int,
        after: str | None,
        conditions: Callable[[AsyncSession], Any] | None = None,
    ) -> C:
        """A page of the records the caller may see as the ``kind`` connection; ``conditions``
        (given the session, it may be awaitable) from the list's filter, refused by its path."""

        async def load(session: AsyncSession, actor: Actor) -> C:
            found = [] if conditions is None else [await filtered(lambda: conditions(session))]
            page = await self.service(session, actor).page(*found, first=first, after=after)
            return connection(kind, page, after, await self.render(session, actor, list(page.items)))

        return await query(info, load)  # type: ignore[no-any-return]

    async def get(self, session: AsyncSession, actor: Actor, raw_id: Any) -> Any:
        """The shown record with this id (``NotFound`` for a malformed one)."""
        return await self.show(session, actor, await self.service(session, actor).get(self.id_of(raw_id)))

    async def one(self, info: KitInfo, id: Any) -> Any:
        return await query_one(info, lambda s, a: self.get(s, a, id))

    async def apply(self, session: AsyncSession, actor: Actor, verb: Callable[[Any], Awaitable[Any]]) -> Any:
        """``verb(service)`` changes a record (the verb owns its unit of work); the record as shown."""
        return await self.show(session, actor, await verb(self.service(session, actor)))

    async def run(self, info: KitInfo, verb: Callable[[Any], Awaitable[Any]], **options: Any) -> Any:
        """Any verb of the service as a mutation (``options`` as ``mutate`` takes them)."""
        return await mutate(info, lambda s, a: self.apply(s, a, verb), self.payload, **options)

    async def create(self, info: KitInfo, input: Any) -> Any:
        return await self.run(info, lambda service: service.create(self.values(input)))

    async def update(self, info: KitInfo, input: Any) -> Any:
        return await self.run(
            info, lambda service: service.update(self.id_of(input.id), input.version, self.values(input))
        )

    async def delete(self, info: KitInfo, id: Any) -> Any:
        return await self.run(info, lambda service: service.delete(self.id_of(id)))

    async def restore(self, info: KitInfo, id: Any) -> Any:
        return await self.run(info, lambda service: service.restore(self.id_of(id)))

    async def transition(
        self, session: AsyncSession, actor: Actor, id: uuid.UUID, to: str, version: int, note: str | None
    ) -> Any:
        return await self.apply(session, actor, lambda service: service.transition(id, to, version, note))
