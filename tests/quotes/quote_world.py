"""The quote stories' shop: the order stories' 西湖门店 (a 海尔 fridge at ¥5,999, PP filters at ¥39,
张伟's customer 赵敏), and a retail price list this month that sells the fridge for ¥5,799."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from crm_testkit import TenantKit, actor
from litestar import Litestar
from orders.order_world import Shop, open_shop

from app.pricing.service import PriceListService, today
from app.quotes.service import QuoteService

__all__ = ["Shop", "open_shop", "quotes", "retail_list", "fridge_quote"]


async def retail_list(app: Litestar, kit: TenantKit, shop: Shop, **extra: Any) -> uuid.UUID:
    """刘洋 keeps this month's retail list: the fridge at ¥5,799 (the filters are not on it)."""
    async with app.state.db.tenant_session(kit.schema) as session:
        found = await PriceListService(session, await actor(app, kit, "manager_a")).create(
            {
                "name": "十一月零售价",
                "kind": "retail",
                "valid_from": today() - timedelta(days=3),
                "valid_to": today() + timedelta(days=27),
                "items": [{"product_id": shop.fridge, "price": "5799.00"}],
                **extra,
            }
        )
        return found.id


async def quotes(app: Litestar, kit: TenantKit, who: str) -> QuoteService:
    """A quote service on its own session (close it with ``await s.session.close()``)."""
    return QuoteService(app.state.db.tenant_session(kit.schema), await actor(app, kit, who))


def fridge_quote(shop: Shop, **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": shop.customer,
        "lines": [{"product_id": shop.fridge, "quantity": 1}, {"product_id": shop.filters, "quantity": 4}],
        **extra,
    }
