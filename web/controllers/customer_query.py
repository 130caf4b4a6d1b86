"""The customer list's query string: filters, sort and page, parsed leniently with a message per bad value."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from app.customers.fields import SORT_FIELDS, SOURCES, STATUSES, TIERS
from app.customers.repository import CustomerFilter, CustomerOrder
from app.i18n import gettext as _
from web.controllers.labels import FIELD_LABELS, N_, field_label

PAGE_SIZE = 20
SORT_LABELS = {"created_at": N_("Created"), "updated_at": N_("Updated"), "name": N_("Name")}


@dataclass
class ListQuery:
    """The list's query string, checked: what is valid filters the list, the rest becomes a message."""

    filters: CustomerFilter
    order: CustomerOrder
    size: int
    after: str | None
    kept: dict[str, str] = field(default_factory=dict)  # valid params, for links and the URL
    problems: list[str] = field(default_factory=list)

    def url(self, **changes: str | None) -> str:
        params = {**self.kept, **changes}
        query = urlencode({k: v for k, v in params.items() if v})
        return "/customers" + (f"?{query}" if query else "")


def parse_list_query(params: Any, size_max: int) -> ListQuery:
    kept: dict[str, str] = {}
    problems: list[str] = []

    def ignored(name: str, value: str) -> None:
        problems.append(
            _("“%(value)s” is not a valid %(field)s; it was ignored.")
            % {
                "value": value[:40],
                "field": field_label(name) if name in FIELD_LABELS else _(SORT_LABELS.get(name, name)),
            }
        )

    def text(name: str) -> str | None:
        value = (params.get(name) or "").strip()
        if value:
            kept[name] = value
        return value or None

    search = text("q")
    tag = text("tag")
    chosen: dict[str, str | None] = {}
    for name, allowed in (("status", STATUSES), ("tier", TIERS), ("source", SOURCES)):
        value = (params.get(name) or "").strip()
        if value and value not in allowed:
            ignored(name, value)
            value = ""
        chosen[name] = value or None
        if value:
            kept[name] = value
    owner_id = None
    if raw_owner := (params.get("owner") or "").strip():
        try:
            owner_id = uuid.UUID(raw_owner)
            kept["owner"] = raw_owner
        except ValueError:
            ignored("owner_id", raw_owner)
    sort = (params.get("sort") or "created_at").strip()
    if sort not in SORT_FIELDS:
        problems.append(_("Unknown sort order; sorted by creation time instead."))
        sort = "created_at"
    elif sort != "created_at":
        kept["sort"] = sort
    direction = (params.get("dir") or "").strip()
    if direction not in ("", "asc", "desc"):
        problems.append(_("Unknown sort order; sorted by creation time instead."))
        direction = ""
    default_descending = sort != "name"  # newest first; names A to Z
    descending = direction == "desc" if direction else default_descending
    if descending != default_descending:
        kept["dir"] = direction
    size = PAGE_SIZE
    if raw_size := (params.get("size") or "").strip():
        if raw_size.isdigit() and 1 <= int(raw_size) <= size_max:
            size = int(raw_size)
            if size != PAGE_SIZE:
                kept["size"] = raw_size
        else:
            problems.append(
                _("Page size must be a number from 1 to %(max)s; showing %(size)s per page.")
                % {"max": size_max, "size": PAGE_SIZE}
            )
    trashed = params.get("trashed") in ("1", "true")
    if trashed:
        kept["trashed"] = "1"
    return ListQuery(
        filters=CustomerFilter(
            search=search,
            owner_id=owner_id,
            tag=tag,
            status=chosen["status"],
            tier=chosen["tier"],
            source=chosen["source"],
            trashed=trashed,
        ),
        order=CustomerOrder(field=sort, descending=descending),
        size=size,
        after=(params.get("after") or "").strip() or None,
        kept=kept,
        problems=problems,
    )
