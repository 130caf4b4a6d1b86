"""Customers: the kit's verbs (app.kit.service) with what is the customer's own, and the module
functions the admin, the API and the workers call."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repo
from app.accounts.permissions import SCOPE_ALL, SCOPE_OWN
from app.customers import repository as repo
from app.customers.entity import SPEC
from app.customers.fields import (
    LIMITS,
    MAX_TAGS,
    RECORD_FIELDS,
    SORT_FIELDS,
    CustomerKind,
    CustomerSource,
    CustomerTier,
    Gender,
)
from app.customers.filters import CUSTOMER_FILTERS
from app.customers.models import Customer
from app.customers.repository import CustomerFilter, CustomerOrder, Page
from app.customers.validation import CustomerInput
from app.customfields import service as custom_fields
from app.domain import Actor, FieldError, ValidationFailed
from app.duplicates.rules import CUSTOMER_RULES
from app.kit.fields import Choice, Day, Email, Fields, Mobile, Ref, Tags, Text
from app.kit.memo import remembered
from app.kit.service import Built, EntityService
from app.platform import quotas
from app.search.grams import build_document
from app.settings import get_settings

ENTITY = "customer"


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
    """Fill the search columns from the customer's fields; tags in name order, whatever order they
    came in. ``custom_text``: the values of searchable custom fields (``custom_fields.search_texts``)."""
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


class CustomerService(EntityService[Customer]):
    """Customers on the entity kit: the verbs come from it; what is the customer's own is here
    (tags, the owner and who may assign it, the plan's customer quota, the search document)."""

    spec = SPEC
    model = Customer
    fields = Fields(
        {
            "name": Text(required=True, max_length=LIMITS["name"]),
            "kind": Choice(required=True, enum=CustomerKind),
            "gender": Choice(enum=Gender),
            "mobile": Mobile(),
            "email": Email(),
            "address_detail": Text(max_length=LIMITS["address_detail"]),
            "source": Choice(enum=CustomerSource),
            "tier": Choice(enum=CustomerTier),
            "owner_id": Ref(),
            "birthday": Day(past_only=True),
            "notes": Text(max_length=LIMITS["notes"], multiline=True),
            "tags": Tags(max_length=LIMITS["tag"], max_count=MAX_TAGS),
        },
        defaults={"kind": CustomerKind.INDIVIDUAL.value},
        division=True,
    )
    sort_fields = SORT_FIELDS
    # 撞单: mobile, e-mail and company name checked on create and edit (app.duplicates.rules).
    duplicate_rules = CUSTOMER_RULES
    # Imports build a chunk's customers before writing them: no hook reads other customers.
    bulk_creates = True

    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        super().__init__(session, actor)
        self._tags: list[str] | None = None  # the record's tags while a verb runs

    async def _record_tags(self, record: Customer) -> list[str]:
        if self._tags is None:
            self._tags = (await tag_names(self.session, [record.id])).get(record.id, [])
        return self._tags

    async def _check_owner(self, owner_id: uuid.UUID | None) -> None:
        if owner_id is None:
            return
        # Once per owner in an import's chunk (app.kit.memo), where every row names one.
        owner = await remembered(
            self.session, ("owner", owner_id), lambda: accounts_repo.user_by_id(self.session, owner_id)
        )
        if owner is None or not owner.is_active:
            raise ValidationFailed([FieldError("owner_id", "unknown_owner", "is not an active staff member")])
        if self.actor.data_scope == SCOPE_ALL:
            return
        if owner_id not in (await self.owners() or []):
            raise ValidationFailed(
                [
                    FieldError(
                        "owner_id", "owner_out_of_scope", "you may only assign customers within your scope"
                    )
                ]
            )

    async def before_create(self, values: dict[str, Any]) -> None:
        self._tags = values.get("tags") or []
        if values.get("tier"):
            values["tier_source"] = "manual"  # set by a person: the tier rules keep it (app.tiers)
        if values.get("owner_id") is None:
            values["owner_id"] = self.actor.user_id
        await self._check_owner(values["owner_id"])
        await quotas.ensure_room(self.session, "customers")

    async def before_update(self, record: Customer, values: dict[str, Any]) -> None:
        # A tier a person sets is kept by the tenant's tier rules (app.tiers): marked manual.
        if "tier" in values and values["tier"] != record.tier:
            record.tier_source = "manual"
        if "owner_id" in values:
            if values["owner_id"] is None and self.actor.data_scope == SCOPE_OWN:
                values["owner_id"] = self.actor.user_id
            if values["owner_id"] != record.owner_id:
                await self._check_owner(values["owner_id"])
        self._before_tags = list(await self._record_tags(record))
        if "tags" in values:
            self._tags = values["tags"]

    async def after_write(self, record: Customer, values: dict[str, Any], *, creating: bool) -> None:
        if creating or ("tags" in values and values["tags"] != getattr(self, "_before_tags", None)):
            await repo.replace_tags(self.session, record.id, values.get("tags") or [])

    async def after_create_many(self, built: Sequence[Built]) -> None:
        await repo.add_tags_many(self.session, {b.record.id: b.values.get("tags") or [] for b in built})

    async def before_delete(self, record: Customer, *, deleted: bool) -> None:
        if not deleted:
            await quotas.ensure_room(self.session, "customers")  # back from the recycle bin counts again

    def index(self, record: Customer, extra_text: Sequence[str] = ()) -> None:
        index_customer(record, self._tags or [], list(extra_text))

    async def snapshot(self, record: Customer) -> dict[str, Any]:
        return snapshot(record, await self._record_tags(record) if record.id else self._tags)


def _raw(data: CustomerInput) -> dict[str, Any]:
    """A form's or mutation's input as the verbs take it (only what was supplied)."""
    return data.supplied()


# -- reads ----------------------------------------------------------------------------------------


async def get_customer(session: AsyncSession, actor: Actor, customer_id: uuid.UUID) -> Customer:
    return await CustomerService(session, actor).get(customer_id)


async def list_customers(
    session: AsyncSession,
    actor: Actor,
    filters: CustomerFilter,
    *,
    order: CustomerOrder | None = None,
    first: int = 20,
    after: str | None = None,
    before: str | None = None,
) -> Page[Customer]:
    service = CustomerService(session, actor)
    service.require("read")
    settings = get_settings()
    order = order or CustomerOrder()
    errors = service.paging_errors(order, first)
    # Whichever face built the filter, its values pass the entity's one filter spec.
    errors.extend(CUSTOMER_FILTERS.parse(vars(filters)).errors)
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
            await service.owners(),
            order,
            limit=first,
            after=after,
            before=before,
            count_cap=settings.search_text_count_cap if filters.search else settings.search_count_cap,
        )
    except repo.BadCursor as exc:
        raise ValidationFailed([FieldError("after", "invalid_cursor", str(exc))]) from exc


async def tag_names(session: AsyncSession, customer_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    tags = await repo.tags_by_customer(session, customer_ids)
    return {cid: [t.name for t in ts] for cid, ts in tags.items()}


# -- writes: the kit's verbs ------------------------------------------------------------------------


async def create_customer(
    session: AsyncSession, actor: Actor, data: CustomerInput, *, confirm_duplicates: bool = False
) -> Customer:
    """Create a customer; a match with an existing one (撞单) raises ``DuplicateFound`` unless the
    tenant's policy is "warn" and ``confirm_duplicates`` says the actor saw the warning."""
    service = CustomerService(session, actor)
    service.accept_duplicates = confirm_duplicates
    return await service.create(_raw(data))


async def update_customer(
    session: AsyncSession,
    actor: Actor,
    customer_id: uuid.UUID,
    version: int,
    data: CustomerInput,
    *,
    confirm_duplicates: bool = False,
) -> Customer:
    service = CustomerService(session, actor)
    service.accept_duplicates = confirm_duplicates
    return await service.update(customer_id, version, _raw(data))


async def delete_customer(session: AsyncSession, actor: Actor, customer_id: uuid.UUID) -> Customer:
    """Soft delete: the customer moves to the recycle bin and can be restored."""
    return await CustomerService(session, actor).delete(customer_id)


async def restore_customer(session: AsyncSession, actor: Actor, customer_id: uuid.UUID) -> Customer:
    return await CustomerService(session, actor).restore(customer_id)


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
    return await CustomerService(session, actor).transition(customer_id, to, version, note)


async def all_tag_names(session: AsyncSession, actor: Actor) -> list[str]:
    """The tag names the actor may see, for tag filters and pickers: with scope "own" or "team" only
    those on customers in scope (another team's tag can name a deal or a person)."""
    service = CustomerService(session, actor)
    service.require("read")
    return [t.name for t in await repo.all_tags(session, await service.owners())]
