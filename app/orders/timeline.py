"""Orders on their customer's timeline: each audited change of an order of this customer (created,
edited, moved to another stage, paid), shown by the timeline's generic audit rendering
("新建 · 订单 · SO-20261127-7F3A9C")."""

from __future__ import annotations

from app.kit.enums import N_
from app.orders.models import Order
from app.timeline.sources import register_audited

KIND = "order"

# The number in both snapshots: the timeline names the order from them (a payment's or a move's
# audit record does not carry it), and it never reads as a changed field.
register_audited(
    KIND, Order, source="orders", label=N_("Orders"), icon="order", order=50, named={"number": Order.number}
)
