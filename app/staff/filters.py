"""The staff list's filters, declared once (app.kit.filters): on staff, deactivated or everyone, a
team, a search over name and e-mail. Staff are few (a plan's seats), so ``list_staff_page`` takes
the staff service's whole list and pages it by keyset in memory (``app.kit.paging.page_of``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.domain import Actor, FieldError, ValidationFailed
from app.kit.enums import N_, LabeledEnum
from app.kit.filters import FilterSpec, OneOf, Owner, Search
from app.kit.paging import BadCursor, Order, Page, page_of
from app.search.grams import normalize
from app.staff import service as staff

SORT_FIELDS = ("name", "email", "last_login_at", "created_at")


class StaffShow(LabeledEnum):
    ACTIVE = "active", N_("On staff")
    DEACTIVATED = "deactivated", N_("Deactivated")
    ALL = "all", N_("All")


STAFF_FILTERS = FilterSpec(
    Search("search", N_("Search"), param="q", max_length=100),
    OneOf("show", N_("Status"), enum=StaffShow),
    Owner("team_id", N_("Staff team"), param="team"),
)


@dataclass(frozen=True)
class StaffFilter:
    search: str | None = None
    show: str | None = None  # none: on staff
    team_id: uuid.UUID | None = None


async def list_staff_page(
    session: AsyncSession,
    actor: Actor,
    filters: StaffFilter,
    *,
    order: Order,
    first: int,
    after: str | None = None,
    before: str | None = None,
) -> Page[User]:
    """One page of staff (managers of staff only): on staff unless ``show`` says otherwise, a team,
    every word of the search in the name or e-mail."""
    if order.field not in SORT_FIELDS:
        raise ValidationFailed(
            [FieldError("orderBy", "invalid_choice", f"must be one of {', '.join(SORT_FIELDS)}")]
        )
    active = {"deactivated": False, "all": None}.get(filters.show or "active", True)
    people = await staff.list_staff(session, actor, active=active, team_id=filters.team_id)
    words = normalize(filters.search or "").split()
    if words:
        people = [p for p in people if all(w in normalize(f"{p.name or ''} {p.email}") for w in words)]
    try:
        return page_of(people, order, first=first, after=after, before=before)
    except BadCursor as exc:
        raise ValidationFailed(
            [FieldError("after" if after else "before", "invalid_cursor", str(exc))]
        ) from exc
