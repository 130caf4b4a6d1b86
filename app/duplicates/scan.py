"""The likely-duplicates list: pairs of live customers with the same mobile, the same name in the
same district, or the same company name once 有限公司, brackets and spaces are ignored.

Each group of alike customers becomes pairs of its oldest member with each of the others (merging
those pairs clears the group); groups with the most recently added member come first. Only
customers within the actor's data scope take part, so the list never shows anyone else's customer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, select, tuple_, union_all
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from app.customers.models import Customer
from app.customers.service import CustomerService
from app.domain import Actor, FieldError, ValidationFailed
from app.duplicates.models import company_key
from app.kit.enums import N_, LabeledEnum

MAX_PAIRS = 200


class DuplicateReason(LabeledEnum):
    SAME_MOBILE = "same_mobile", N_("Same mobile")
    SAME_NAME_DISTRICT = "same_name_district", N_("Same name in the same district")
    SAME_COMPANY = "same_company", N_("Same company name")


@dataclass(frozen=True)
class Candidate:
    reason: DuplicateReason
    older: Customer
    newer: Customer


@dataclass(frozen=True)
class Candidates:
    pairs: list[Candidate]
    groups: int  # how many groups of alike customers there are in all


def _groups(reason: DuplicateReason, visible: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    where: list[ColumnElement[bool]] = [Customer.deleted_at.is_(None), visible]
    keys: list[Any]
    if reason is DuplicateReason.SAME_MOBILE:
        keys = [Customer.mobile]
        where.append(Customer.mobile.is_not(None))
    elif reason is DuplicateReason.SAME_NAME_DISTRICT:
        keys = [Customer.name, Customer.province, Customer.city, Customer.district]
        where.append(Customer.district.is_not(None))
    else:
        keys = [company_key(Customer.name)]
        where.append(Customer.kind == "company")
    # The keys held more than once, counted first (an index-only scan of live customers in key
    # order, migration 0023); only their few groups then gather ids in order. Gathering every
    # group's ids, as nearly all are single customers, cost three times as much at 200,000.
    repeated = select(*keys).where(*where).group_by(*keys).having(func.count() > 1)
    return (
        select(
            literal(reason.value).label("reason"),
            func.array_agg(
                aggregate_order_by(Customer.id, Customer.created_at.asc(), Customer.id.asc())
            ).label("ids"),
            func.max(Customer.created_at).label("newest"),
        )
        .where(*where, tuple_(*keys).in_(repeated))
        .group_by(*keys)
    )


async def duplicate_candidates(
    session: AsyncSession,
    actor: Actor,
    *,
    reasons: Sequence[str] | None = None,
    first: int = 50,
) -> Candidates:
    """Up to ``first`` likely-duplicate pairs (1 to 200) among the customers the actor can see."""
    service = CustomerService(session, actor)
    service.require("read")
    errors: list[FieldError] = []
    if first < 1 or first > MAX_PAIRS:
        errors.append(FieldError("first", "out_of_range", f"must be between 1 and {MAX_PAIRS}"))
    chosen: list[DuplicateReason] = []
    for raw in reasons or DuplicateReason.values():
        reason = DuplicateReason.parse(raw)
        if reason is None:
            errors.append(
                FieldError(
                    "reasons", "invalid_choice", f"must be among {', '.join(DuplicateReason.values())}"
                )
            )
        else:
            chosen.append(reason)  # type: ignore[arg-type]
    if errors:
        raise ValidationFailed(errors)
    visible = service.scope.condition(Customer, await service.owners())
    groups = union_all(*(_groups(r, visible) for r in dict.fromkeys(chosen))).subquery("groups")
    rows = (
        await session.execute(
            select(groups.c.reason, groups.c.ids, func.count().over().label("total"))
            .order_by(groups.c.newest.desc(), groups.c.reason)
            .limit(first)
        )
    ).all()
    wanted: list[tuple[DuplicateReason, uuid.UUID, uuid.UUID]] = []
    for reason, ids, _total in rows:
        for other in ids[1:]:
            if len(wanted) < first:
                wanted.append((DuplicateReason(reason), ids[0], other))
    found = {
        c.id: c
        for c in (
            await session.scalars(
                select(Customer).where(Customer.id.in_({i for _, a, b in wanted for i in (a, b)}))
            )
        ).all()
    }
    return Candidates(
        pairs=[Candidate(reason, found[a], found[b]) for reason, a, b in wanted],
        groups=int(rows[0].total) if rows else 0,
    )
