"""Tag management in one place (issue #9 item 7): rename, merge two tags, colour, delete.

Tags are the tenant's words, so managing them takes ``customers:manage`` and sees every tag (the
scoped tag lists of filters and pickers are ``service.all_tag_names``). Each change is one audit
record on the tag; the customers it touches get their search text again (a tag is searchable).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.permissions import CUSTOMERS_MANAGE, CUSTOMERS_READ
from app.audit import service as audit
from app.customers import service as customers
from app.customers.fields import LIMITS
from app.customers.models import Customer, CustomerTag, Tag
from app.customfields import service as custom_fields
from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.kit.enums import N_
from app.kit.registry import EntitySpec, register

ENTITY = "tag"
# The colours a tag may take (the admin's palette); None: the default grey.
COLOURS = ("red", "orange", "gold", "green", "cyan", "blue", "purple", "magenta")
_HEX = re.compile(r"#[0-9a-fA-F]{6}")

SPEC = register(
    EntitySpec(
        key=ENTITY,
        label=N_("Tag"),
        plural=N_("Tags"),
        module="customers",
        fields={"name": N_("Name"), "color": N_("Colour")},
        page="/settings/tags",
        staff_fields=(),
        actions={"merge": N_("Merge")},
    )
)


@dataclass(frozen=True)
class TagUsage:
    tag: Tag
    customers: int


def _require(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(permission)


async def list_tags(session: AsyncSession, actor: Actor) -> list[TagUsage]:
    """Every tag by name, with how many live customers carry it."""
    _require(actor, CUSTOMERS_READ)
    _require(actor, CUSTOMERS_MANAGE)
    used = (
        select(CustomerTag.tag_id, func.count().label("n"))
        .join(Customer, Customer.id == CustomerTag.customer_id)
        .where(Customer.deleted_at.is_(None))
        .group_by(CustomerTag.tag_id)
        .subquery()
    )
    rows = await session.execute(
        select(Tag, func.coalesce(used.c.n, 0)).outerjoin(used, used.c.tag_id == Tag.id).order_by(Tag.name)
    )
    return [TagUsage(tag, int(n)) for tag, n in rows.all()]


async def _tag(session: AsyncSession, tag_id: uuid.UUID) -> Tag:
    tag = await session.get(Tag, tag_id, with_for_update=True)
    if tag is None:
        raise NotFound(ENTITY, tag_id)
    return tag


def _clean_name(raw: str | None, field: str = "name") -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise ValidationFailed([FieldError(field, "required", "is required")])
    if len(name) > LIMITS["tag"]:
        raise ValidationFailed([FieldError(field, "too_long", f"at most {LIMITS['tag']} characters")])
    return name


def _clean_colour(raw: str | None) -> str | None:
    if raw in (None, ""):
        return None
    assert raw is not None
    if raw in COLOURS or _HEX.fullmatch(raw):
        return raw.lower()
    raise ValidationFailed([FieldError("color", "invalid_choice", f"one of {', '.join(COLOURS)} or #rrggbb")])


async def _reindex(session: AsyncSession, customer_ids: Sequence[uuid.UUID]) -> None:
    """The search text of customers whose tags changed (tags are part of it)."""
    definitions = await custom_fields.active_definitions(session, customers.ENTITY)
    ids = list(customer_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        names = await customers.tag_names(session, chunk)
        for customer in (await session.scalars(select(Customer).where(Customer.id.in_(chunk)))).all():
            customers.index_customer(
                customer,
                names.get(customer.id, []),
                custom_fields.search_texts(definitions, customer.custom or {}),
            )


async def _tagged(session: AsyncSession, tag_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        (await session.scalars(select(CustomerTag.customer_id).where(CustomerTag.tag_id == tag_id))).all()
    )


async def update_tag(
    session: AsyncSession,
    actor: Actor,
    tag_id: uuid.UUID,
    *,
    name: str | None = None,
    color: str | None = None,
) -> Tag:
    """Rename and/or recolour a tag; a name another tag has is refused (merge them instead)."""
    _require(actor, CUSTOMERS_MANAGE)
    try:
        tag = await _tag(session, tag_id)
        before = {"name": tag.name, "color": tag.color}
        if name is not None:
            new_name = _clean_name(name)
            if new_name != tag.name:
                taken = await session.scalar(select(Tag.id).where(Tag.name == new_name, Tag.id != tag.id))
                if taken is not None:
                    raise ValidationFailed(
                        [FieldError("name", "tag_exists", "another tag has this name; merge the two instead")]
                    )
                tag.name = new_name
        if color is not None:
            tag.color = _clean_colour(color)
        after = {"name": tag.name, "color": tag.color}
        if after != before:
            await session.flush()
            if after["name"] != before["name"]:
                await _reindex(session, await _tagged(session, tag.id))
            audit.record(
                session, actor, entity=ENTITY, entity_id=tag.id, action="update", before=before, after=after
            )
    except BaseException:
        await session.rollback()
        raise
    await session.commit()
    return tag


async def merge_tags(session: AsyncSession, actor: Actor, source_id: uuid.UUID, into_id: uuid.UUID) -> Tag:
    """Every customer tagged ``source`` is tagged ``into`` instead; ``source`` is gone."""
    _require(actor, CUSTOMERS_MANAGE)
    if source_id == into_id:
        raise ValidationFailed([FieldError("into", "merge_into_itself", "choose another tag to merge into")])
    try:
        source = await _tag(session, source_id)
        into = await session.get(Tag, into_id, with_for_update=True)
        if into is None:
            raise ValidationFailed([FieldError("into", "unknown_tag", "is not a tag")])
        moved = await _tagged(session, source.id)
        if moved:
            await session.execute(
                pg_insert(CustomerTag)
                .values([{"customer_id": c, "tag_id": into.id} for c in moved])
                .on_conflict_do_nothing()
            )
        await session.execute(delete(CustomerTag).where(CustomerTag.tag_id == source.id))
        await session.execute(delete(Tag).where(Tag.id == source.id))
        await _reindex(session, moved)
        audit.record(
            session,
            actor,
            entity=ENTITY,
            entity_id=into.id,
            action="merge",
            before={"name": source.name, "into": into.name},
            after={"name": into.name, "customers": len(moved)},
        )
    except BaseException:
        await session.rollback()
        raise
    await session.commit()
    return into


async def delete_tag(session: AsyncSession, actor: Actor, tag_id: uuid.UUID) -> Tag:
    """Remove a tag from every customer and from the list."""
    _require(actor, CUSTOMERS_MANAGE)
    try:
        tag = await _tag(session, tag_id)
        tagged = await _tagged(session, tag.id)
        await session.execute(delete(CustomerTag).where(CustomerTag.tag_id == tag.id))
        await session.execute(delete(Tag).where(Tag.id == tag.id))
        await _reindex(session, tagged)
        audit.record(
            session,
            actor,
            entity=ENTITY,
            entity_id=tag.id,
            action="delete",
            before={"name": tag.name, "color": tag.color, "customers": len(tagged)},
            after=None,
        )
    except BaseException:
        await session.rollback()
        raise
    await session.commit()
    return tag
