"""H1 orders (issue 10): order-number search index, a delivery address on orders

The order list's search by an order number's tail (``reverse(number) LIKE 'C9A3%'``) gets an index
on ``reverse(number) text_pattern_ops``; a whole number already has the unique one.

Orders get a delivery address of their own: province, city and district (the official divisions'
names, as customer addresses hold them), street detail, recipient and phone. Until now a chosen
customer address was written as the note's first line, ``送货地址：<address>`` (or ``Delivery
address：`` for an English session), the address as one line: province, city, district and detail
run together, then a space and the recipient and phone. Where that line is exactly one of the
order's customer's addresses written that way, the address moves into the new columns and the line
leaves the note; any other note (the address edited since, free text) stays as it was.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenancy.migrations.common import tenant_schema
from tenancy.migrations.tenant.helpers import S, quoted_schema

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("delivery_province", 30),
    ("delivery_city", 30),
    ("delivery_district", 30),
    ("delivery_detail", 200),
    ("delivery_recipient", 60),
    ("delivery_phone", 20),
)
# The labels the order service wrote the line with (zh-CN, English), full-width colon.
LABELS = ("送货地址：", "Delivery address：")


def upgrade() -> None:
    op.create_index(
        "ix_orders_number_reverse", "orders", [sa.text("reverse(number) text_pattern_ops")], schema=S
    )
    for name, length in COLUMNS:
        # Column-level operations name the real schema (env.py).
        op.add_column(
            "orders", sa.Column(name, sa.String(length=length), nullable=True), schema=tenant_schema()
        )
    schema = quoted_schema()
    # The note's first line, the rest after it, and the address text after a known label.
    op.execute(
        sa.text(
            f"""
            WITH noted AS (
                SELECT o.id, o.customer_id,
                       split_part(o.note, E'\\n', 1) AS head,
                       CASE WHEN strpos(o.note, E'\\n') > 0
                            THEN substr(o.note, strpos(o.note, E'\\n') + 1) END AS rest
                FROM {schema}.orders o
                WHERE o.note LIKE :zh || '%' OR o.note LIKE :en || '%'
            ),
            parsed AS (
                SELECT id, customer_id, rest,
                       CASE WHEN head LIKE :zh || '%' THEN substr(head, char_length(:zh) + 1)
                            ELSE substr(head, char_length(:en) + 1) END AS line
                FROM noted
            ),
            matched AS (
                SELECT DISTINCT ON (p.id) p.id, p.rest, a.province, a.city, a.district, a.detail,
                       a.recipient, a.phone
                FROM parsed p
                JOIN {schema}.customer_addresses a ON a.customer_id = p.customer_id
                WHERE btrim(
                        concat(a.province, a.city, a.district, a.detail) || ' '
                        || concat_ws(' ', nullif(a.recipient, ''), nullif(a.phone, ''))
                      ) = p.line
                ORDER BY p.id, a.deleted_at NULLS FIRST, a.created_at
            )
            UPDATE {schema}.orders o
            SET delivery_province = m.province, delivery_city = m.city,
                delivery_district = m.district, delivery_detail = m.detail,
                delivery_recipient = m.recipient, delivery_phone = m.phone,
                note = nullif(m.rest, '')
            FROM matched m
            WHERE o.id = m.id
            """
        ).bindparams(zh=LABELS[0], en=LABELS[1])
    )


def downgrade() -> None:
    schema = quoted_schema()
    # The address back at the top of the note, as the service wrote it before.
    op.execute(
        sa.text(
            f"""
            UPDATE {schema}.orders
            SET note = left(
                :zh || btrim(
                    concat(delivery_province, delivery_city, delivery_district, delivery_detail) || ' '
                    || concat_ws(' ', nullif(delivery_recipient, ''), nullif(delivery_phone, ''))
                ) || coalesce(E'\\n' || note, ''), 1000)
            WHERE delivery_detail IS NOT NULL
            """
        ).bindparams(zh=LABELS[0])
    )
    for name, _length in reversed(COLUMNS):
        op.drop_column("orders", name, schema=tenant_schema())
    op.drop_index("ix_orders_number_reverse", table_name="orders", schema=S)
