"""Customer operations: each checks permission and data scope, validates, writes, audits, commits."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repo
from app.accounts.permissions import (
    CUSTOMERS_CREATE,
    CUSTOMERS_DELETE,
    CUSTOMERS_EDIT,
    CUSTOMERS_READ,
    SCOPE_ALL,
    SCOPE_OWN,
)
from app.accounts.service import visible_owner_ids
from app.audit import service as audit
from app.customers import repository as repo
from app.customers.entity import SPEC
from app.customers.fields import RECORD_FIELDS, SORT_FIELDS
from app.customers.models import Customer
from app.customers.repository import CustomerFilter, CustomerOrder, Page
from app.customers.validation import UNSET, CustomerInput, clean
from app.customfields import service as custom_fields
from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from app.events import service as events
from app.platform import quotas
from app.search.grams import build_document
from app.settings import get_settings
from app.workflows import service as workflows
from app.workflows.errors import GuardFailed, NotAllowedTransition, refusal_text

ENTITY = "customer"


def _require(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(permission)


def snapshot(customer: Customer, tags: list[str] | None = None) -> dict[str, Any]:
    """The audited view of a customer: its business fields, JSON-ready."""
    data: dict[str, Any] = {}
    for name in RECORD_FIELDS:
        value = getattr(customer, name)
        if isinstance(value, uuid.UUID | date):
            value = str(value) if isinstance(value, uuid.UUID) else value.isoformat()
        data[name] = value
    if tags is not None:
        data["tags"] = tags
    for key, value in sorted((customer.custom or {}).items()):
        data[f"custom.{key}"] = value
    data["version"] = customer.version
    return data


def index_customer(customer: Customer, tags: list[str], custom_text: list[str] | None = None) -> None:
    """Fill the search columns from the customer's fields; tags in name order, whatever order they came in.
    ``custom_text``: the values of searchable custom fields (``custom_fields.search_texts``)."""
    doc = build_document(
        [
            customer.name,
            customer.mobile,
            customer.email,
            customer.province,
            customer.city,
            customer.district,
            customer.address_detail,
            " ".join(sorted(tags)),
            *(custom_text or []),
        ],
        pinyin_fields=[customer.name],
    )
    customer.search_text = doc.text
    customer.search_grams = doc.grams


async def _scope(session: AsyncSession, actor: Actor) -> list[uuid.UUID] | None:
    return await visible_owner_ids(session, actor)


async def _visible(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, *, for_update: bool = False
) -> Customer:
    customer = await repo.get(session, customer_id, for_update=for_update)
    owners = await _scope(session, actor)
    if customer is None or (owners is not None and customer.owner_id not in owners):
        # Out of scope reads exactly like absent: no hint that the record exists.
        raise NotFound(ENTITY, customer_id)
    return customer


async def _check_owner(session: AsyncSession, actor: Actor, owner_id: uuid.UUID | None) -> None:
    if owner_id is None:
        return
    owner = await accounts_repo.user_by_id(session, owner_id)
    if owner is None or not owner.is_active:
        raise ValidationFailed([FieldError("owner_id", "unknown_owner", "is not an active staff member")])
    if actor.data_scope == SCOPE_ALL:
        return
    allowed = await _scope(session, actor) or []
    if owner_id not in allowed:
        raise ValidationFailed(
            [FieldError("owner_id", "owner_out_of_scope", "you may only assign customers within your scope")]
        )


async def _clean_with_custom(
    session: AsyncSession, data: CustomerInput, existing: dict[str, Any] | None, *, creating: bool
) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    """Built-in fields and custom-field values checked together: every bad field is reported at once."""
    errors: list[FieldError] = []
    try:
        values = clean(data, creating=creating)
    except ValidationFailed as exc:
        values, errors = {}, list(exc.errors)
    supplied = None if data.custom is UNSET else data.custom
    custom, problems, definitions = await custom_fields.clean_values(
        session, ENTITY, supplied, existing, creating=creating
    )
    if errors or problems:
        raise ValidationFailed([*errors, *problems])
    return values, custom, definitions


# -- reads ----------------------------------------------------------------------------------------


async def get_customer(session: AsyncSession, actor: Actor, customer_id: uuid.UUID) -> Customer:
    _require(actor, CUSTOMERS_READ)
    return await _visible(session, actor, customer_id)


async def list_customers(
    session: AsyncSession,
    actor: Actor,
    filters: CustomerFilter,
    *,
    order: CustomerOrder | None = None,
    first: int = 20,
    after: str | None = None,
) -> Page:
    _require(actor, CUSTOMERS_READ)
    settings = get_settings()
    order = order or CustomerOrder()
    errors: list[FieldError] = []
    if order.field not in SORT_FIELDS:
        errors.append(FieldError("orderBy", "invalid_choice", f"must be one of {', '.join(SORT_FIELDS)}"))
    if first < 1 or first > settings.page_size_max:
        errors.append(FieldError("first", "out_of_range", f"must be between 1 and {settings.page_size_max}"))
    if filters.search and len(filters.search) > 200:
        errors.append(FieldError("filter.search", "too_long", "must be at most 200 characters"))
    if filters.custom:
        conditions, problems = custom_fields.resolve_filters(
            await custom_fields.active_definitions(session, ENTITY), filters.custom
        )
        errors.extend(problems)
        filters = replace(filters, custom=conditions)
    if errors:
        raise ValidationFailed(errors)
    try:
        return await repo.list_page(
            session,
            filters,
            await _scope(session, actor),
            order,
            limit=first,
            after=after,
            count_cap=settings.search_count_cap,
        )
    except repo.BadCursor as exc:
        raise ValidationFailed([FieldError("after", "invalid_cursor", str(exc))]) from exc


async def tag_names(session: AsyncSession, customer_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    tags = await repo.tags_by_customer(session, customer_ids)
    return {cid: [t.name for t in ts] for cid, ts in tags.items()}


# -- writes ---------------------------------------------------------------------------------------


async def create_customer(session: AsyncSession, actor: Actor, data: CustomerInput) -> Customer:
    _require(actor, CUSTOMERS_CREATE)
    values, custom, definitions, stage = await _clean_with_stage(session, data, None, creating=True)
    values["status"] = stage
    tags = values.pop("tags", [])
    if values.get("owner_id") is None:
        values["owner_id"] = actor.user_id
    await _check_owner(session, actor, values["owner_id"])
    await quotas.ensure_room(session, "customers")
    customer = Customer(
        **values, version=1, created_by=actor.user_id, updated_by=actor.user_id, custom=custom
    )
    index_customer(customer, tags, custom_fields.search_texts(definitions, custom))
    session.add(customer)
    await session.flush()
    await repo.replace_tags(session, customer.id, tags)
    after = snapshot(customer, tags)
    audit.record(
        session, actor, entity=ENTITY, entity_id=customer.id, action="create", before=None, after=after
    )
    events.emit(session, "customer.created", {"id": str(customer.id)})
    await session.commit()
    return customer


async def update_customer(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, version: int, data: CustomerInput
) -> Customer:
    _require(actor, CUSTOMERS_EDIT)
    customer = await _visible(session, actor, customer_id, for_update=True)
    if customer.deleted_at is not None:
        raise NotFound(ENTITY, customer_id)
    # A stage change is a workflow move (``_move_by_edit``, once the other fields are set).
    existing = customer.custom
    values, custom, definitions, stage = await _clean_with_stage(session, data, existing, creating=False)
    if customer.version != version:
        changer = (
            await accounts_repo.user_by_id(session, customer.updated_by) if customer.updated_by else None
        )
        raise VersionConflict(
            customer_id, customer.version, changer.name if changer else None, customer.updated_at
        )
    if "owner_id" in values:
        if values["owner_id"] is None and actor.data_scope == SCOPE_OWN:
            values["owner_id"] = actor.user_id
        if values["owner_id"] != customer.owner_id:
            await _check_owner(session, actor, values["owner_id"])
    old_tags = (await tag_names(session, [customer.id]))[customer.id]
    before = snapshot(customer, old_tags)
    new_tags = values.pop("tags", old_tags)
    for name, value in values.items():
        setattr(customer, name, value)
    customer.custom = custom
    await _move_by_edit(session, actor, customer, stage)
    customer.version += 1
    customer.updated_at = datetime.now(UTC)
    customer.updated_by = actor.user_id
    index_customer(customer, new_tags, custom_fields.search_texts(definitions, custom))
    if new_tags != old_tags:
        await repo.replace_tags(session, customer.id, new_tags)
    after = snapshot(customer, new_tags)
    audit.record(
        session, actor, entity=ENTITY, entity_id=customer.id, action="update", before=before, after=after
    )
    events.emit(session, "customer.updated", {"id": str(customer.id), "version": customer.version})
    await session.commit()
    return customer


async def delete_customer(session: AsyncSession, actor: Actor, customer_id: uuid.UUID) -> Customer:
    """Soft delete: the customer moves to the recycle bin and can be restored."""
    return await _set_deleted(session, actor, customer_id, deleted=True)


async def restore_customer(session: AsyncSession, actor: Actor, customer_id: uuid.UUID) -> Customer:
    return await _set_deleted(session, actor, customer_id, deleted=False)


async def _set_deleted(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, *, deleted: bool
) -> Customer:
    _require(actor, CUSTOMERS_DELETE)
    customer = await _visible(session, actor, customer_id, for_update=True)
    if (customer.deleted_at is not None) == deleted:
        return customer  # already there: deleting twice or restoring a live record changes nothing
    if not deleted:
        await quotas.ensure_room(session, "customers")  # back from the recycle bin counts again
    now = datetime.now(UTC)
    customer.deleted_at = now if deleted else None
    customer.deleted_by = actor.user_id if deleted else None
    customer.version += 1
    customer.updated_at = now
    customer.updated_by = actor.user_id
    action = "delete" if deleted else "restore"
    audit.record(
        session,
        actor,
        entity=ENTITY,
        entity_id=customer.id,
        action=action,
        before={"deleted": not deleted},
        after={"deleted": deleted},
    )
    events.emit(session, f"customer.{action}d", {"id": str(customer.id)})
    await session.commit()
    return customer


async def all_tag_names(session: AsyncSession, actor: Actor) -> list[str]:
    """The tag names the actor may see, for tag filters and pickers: with scope "own" or "team" only
    those on customers in scope (another team's tag can name a deal or a person)."""
    _require(actor, CUSTOMERS_READ)
    return [t.name for t in await repo.all_tags(session, await _scope(session, actor))]


# -- the lifecycle stage: moves follow the tenant's workflow (app.workflows) -----------------------


async def _clean_with_stage(
    session: AsyncSession, data: CustomerInput, existing: dict[str, Any] | None, *, creating: bool
) -> tuple[dict[str, Any], dict[str, Any], list[Any], Any]:
    """``_clean_with_custom`` with the stage checked against the tenant's workflow rather than the
    four built-in ones (a tenant may add stages); every bad field is still reported at once.
    The stage comes back on its own: a new customer's (the workflow's first if none is asked for),
    or ``UNSET`` when an edit leaves it alone."""
    stage, problems = await _stage_checked(session, data.status, creating=creating)
    try:
        values, custom, definitions = await _clean_with_custom(
            session, replace(data, status=UNSET), existing, creating=creating
        )
    except ValidationFailed as exc:
        raise ValidationFailed([*exc.errors, *problems]) from None
    if problems:
        raise ValidationFailed(problems)
    return values, custom, definitions, stage


async def _stage_checked(
    session: AsyncSession, requested: Any, *, creating: bool
) -> tuple[Any, list[FieldError]]:
    if requested is UNSET and not creating:
        return UNSET, []
    if requested is UNSET or (creating and requested in (None, "")):
        return await workflows.initial_state(session, SPEC, None), []
    if requested in (None, ""):
        return UNSET, [FieldError("status", "required", "is required")]
    if not isinstance(requested, str):
        return UNSET, [FieldError("status", "invalid_choice", "is not a stage of this workflow")]
    try:
        return await workflows.initial_state(session, SPEC, requested), []
    except ValidationFailed as exc:
        return UNSET, list(exc.errors)


async def _move_by_edit(session: AsyncSession, actor: Actor, customer: Customer, requested: Any) -> None:
    """A stage changed in the edit form (or ``updateCustomer``) is a workflow move like any other:
    allowed from the current stage, guards met by the record as edited, entry actions and history.
    A refusal is a validation error on ``status``, so the form shows it beside the field."""
    if requested is UNSET or requested == customer.status:
        return
    if requested in (None, ""):
        raise ValidationFailed([FieldError("status", "required", "is required")])
    try:
        await workflows.enter_state(session, actor, SPEC, customer, customer.status, str(requested))
    except (NotAllowedTransition, GuardFailed) as exc:
        raise ValidationFailed([FieldError("status", exc.code, refusal_text(exc))]) from exc


async def transition_customer(
    session: AsyncSession,
    actor: Actor,
    customer_id: uuid.UUID,
    to: str,
    version: int,
    note: str | None = None,
) -> Customer:
    """Move a customer to another stage of the tenant's lifecycle (潜在 → 意向 → 成交 → 流失 by
    default), given the version the caller read. Refused with ``NotAllowedTransition`` (naming the
    allowed moves) or ``GuardFailed`` (naming the missing field or the role needed)."""
    _require(actor, CUSTOMERS_EDIT)
    customer = await _visible(session, actor, customer_id, for_update=True)
    if customer.deleted_at is not None:
        raise NotFound(ENTITY, customer_id)
    if customer.version != version:
        by = customer.updated_by
        changer = await accounts_repo.user_by_id(session, by) if by else None
        who = changer.name if changer else None
        raise VersionConflict(customer_id, customer.version, who, customer.updated_at)
    await workflows.transition(session, actor, SPEC, customer, to, version, note=note)
    await session.commit()
    return customer
