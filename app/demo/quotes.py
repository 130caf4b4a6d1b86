"""The demo tenant's quotes: this month's retail price list (a little under list price) and a VIP
member list, the dealer's letterhead, and a dozen quotes to the owner's customers across the stages
(drafts, sent, accepted, rejected, two converted to orders). Through the services, so numbers,
history and audit are real; done once (a tenant that has quotes already is left alone)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from app.accounts import repository as accounts_repo
from app.accounts.service import actor_for
from app.catalog.models import Product
from app.customers.models import Customer
from app.inventory.models import Warehouse
from app.pricing.service import PriceListService, today
from app.quotes.letterhead import set_letterhead
from app.quotes.models import Quote
from app.quotes.service import QuoteService

QUOTES = 12
# Final stage of each demo quote, in order ("order": sent, then converted).
STAGES = (
    "draft",
    "draft",
    "sent",
    "sent",
    "sent",
    "accepted",
    "accepted",
    "rejected",
    "order",
    "order",
    "draft",
    "sent",
)


async def ensure_demo_quotes(
    db: object, schema: str, owner_id: uuid.UUID, echo: Callable[[str], object] = print
) -> None:
    rng = random.Random(20261128)
    async with db.tenant_session(schema) as session:  # type: ignore[attr-defined]
        if await session.scalar(select(func.count()).select_from(Quote)):
            return
        user = await accounts_repo.user_by_id(session, owner_id)
        assert user is not None
        owner = actor_for(user, ip="127.0.0.1", request_id="demo-seed")
        products = list(
            (
                await session.scalars(
                    select(Product)
                    .where(Product.deleted_at.is_(None), Product.list_price.is_not(None))
                    .order_by(Product.created_at)
                    .limit(30)
                )
            ).all()
        )
        customers = list(
            (await session.scalars(select(Customer.id).where(Customer.deleted_at.is_(None)).limit(40))).all()
        )
        warehouse = await session.scalar(select(Warehouse.id).where(Warehouse.deleted_at.is_(None)).limit(1))
        if not products or not customers:
            return
        day = today()
        lists = PriceListService(session, owner)

        def off(price: Decimal, percent: int) -> str:
            return str((price * (100 - percent) / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))

        await lists.create(
            {
                "name": f"{day:%m}月零售价",
                "kind": "retail",
                "valid_from": day.replace(day=1),
                "valid_to": day.replace(day=1) + timedelta(days=60),
                "items": [
                    {"product_id": p.id, "price": off(p.list_price, 3)} for p in products if p.list_price
                ],
            }
        )
        await lists.create(
            {
                "name": "VIP会员价",
                "kind": "member",
                "tier": "vip",
                "valid_from": day - timedelta(days=30),
                "items": [
                    {"product_id": p.id, "price": off(p.list_price, 8)} for p in products if p.list_price
                ],
            }
        )
        await set_letterhead(
            session, owner, "浙江省杭州市西湖区文三路 478 号华星时代广场 1 楼", "0571-8765 4321"
        )
        quotes = QuoteService(session, owner)
        made = 0
        for i in range(QUOTES):
            chosen = rng.sample(products, k=min(len(products), rng.randint(1, 3)))
            lines = [
                {
                    "product_id": p.id,
                    "quantity": rng.choice((1, 1, 1, 2)),
                    "discount": rng.choice(("", "", "3", "5")),
                }
                for p in chosen
            ]
            quote = await quotes.create(
                {
                    "customer_id": rng.choice(customers),
                    "lines": lines,
                    "note": rng.choice((None, "含送货上门及安装")),
                }
            )
            stage = STAGES[i % len(STAGES)]
            if stage != "draft":
                quote = await quotes.transition(quote.id, "sent", quote.version)
            if stage in ("accepted", "rejected"):
                quote = await quotes.transition(quote.id, stage, quote.version)
            if stage == "order" and warehouse is not None:
                await quotes.convert_to_order(quote.id, quote.version, {"warehouse_id": warehouse})
            made += 1
        echo(f"demo quotes: {made} quotes, 2 price lists")
