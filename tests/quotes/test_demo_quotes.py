"""The demo tenant's quotes: two price lists, a letterhead and quotes across the stages, two of
them orders; seeding again adds nothing."""

from __future__ import annotations

from crm_testkit import TenantKit, actor
from litestar import Litestar
from quote_world import open_shop
from sqlalchemy import func, select

from app.demo.quotes import QUOTES, ensure_demo_quotes
from app.pricing.models import PriceList
from app.quotes.letterhead import letterhead
from app.quotes.models import Quote


async def test_the_demo_dealer_has_quotes_on_every_stage(app: Litestar, tenant: TenantKit) -> None:
    await open_shop(app, tenant, fridges=["HR001"])
    owner = await actor(app, tenant, "owner")
    said: list[str] = []
    await ensure_demo_quotes(app.state.db, tenant.schema, owner.user_id, echo=said.append)
    await ensure_demo_quotes(app.state.db, tenant.schema, owner.user_id, echo=said.append)
    assert said == [f"demo quotes: {QUOTES} quotes, 2 price lists"]
    async with app.state.db.tenant_session(tenant.schema) as session:
        stages = dict(
            (await session.execute(select(Quote.status, func.count()).group_by(Quote.status))).all()
        )
        assert stages == {"draft": 3, "sent": 4, "accepted": 4, "rejected": 1}
        converted = await session.scalar(
            select(func.count()).select_from(Quote).where(Quote.order_id.is_not(None))
        )
        assert converted == 2
        assert await session.scalar(select(func.count()).select_from(PriceList)) == 2
        assert (await letterhead(session)).phone == "0571-8765 4321"
