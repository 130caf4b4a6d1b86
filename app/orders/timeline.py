"""Orders on their customer's timeline: each audited change of an order of this customer (created,
edited, moved to another stage, paid), shown by the timeline's generic audit rendering
("新建 · 订单 · SO-20261127-7F3A9C")."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, String, cast, func, literal, select

from app.audit.models import AuditRecord
from app.kit.enums import N_
from app.orders.models import Order
from app.timeline.registry import EntryKind, TimelineSource, register_kind, register_source
from app.timeline.sources import entry_id

KIND = "order"


def _order_rows(customer_id: uuid.UUID, wanted: frozenset[str]) -> Select[Any]:
    number = func.jsonb_build_object("number", Order.number)
    return (
        select()
        .select_from(AuditRecord)
        .join(Order, cast(Order.id, String) == AuditRecord.entity_id)
        .where(AuditRecord.entity == KIND, Order.customer_id == customer_id)
        .add_columns(
            entry_id("order:", AuditRecord.id).label("id"),
            AuditRecord.at.label("at"),
            literal(KIND).label("kind"),
            AuditRecord.actor_id.label("actor_id"),
            AuditRecord.actor_label.label("actor_label"),
            func.jsonb_build_object(
                "entity",
                AuditRecord.entity,
                "entity_id",
                AuditRecord.entity_id,
                "action",
                AuditRecord.action,
                # The number in both snapshots: the timeline names the order from them (a payment's or a
                # move's audit record does not carry it), and it never reads as a changed field.
                "before",
                AuditRecord.before.op("||")(number),
                "after",
                AuditRecord.after.op("||")(number),
            ).label("data"),
        )
    )


register_source(TimelineSource("orders", _order_rows))
register_kind(EntryKind(KIND, N_("Orders"), "order", source="orders", order=50))
