"""The demo tenant's pipeline: each salesperson and manager works a handful of their own customers'
deals spread over the stages (products of interest from the catalog, a competitor here and there,
lost deals with their reasons, expected closes over the coming quarter), this month's and the next
months' targets per person and team, and a signed contract for each won deal. Through the services,
so history, audit and numbers are real; done once (a tenant that has deals already is left alone)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from app.accounts import repository as accounts_repo
from app.accounts.service import actor_for
from app.catalog.models import Product
from app.customers.models import Customer
from app.opportunities.contracts import ContractService
from app.opportunities.forecast import SalesTargets, add_months
from app.opportunities.models import Opportunity
from app.opportunities.service import OpportunityService
from app.workflows import pipelines

DEALS_PER_PERSON = 8
NAMES = (
    "新房全屋家电",
    "厨房电器换新",
    "客厅中央空调",
    "以旧换新冰箱",
    "别墅热水系统",
    "办公室空调采购",
    "婚房家电套餐",
    "净水系统安装",
)
COMPETITORS = (None, None, "苏宁", "国美", "京东自营", "天猫旗舰店")
LOST_REASONS = ("价格比京东贵", "客户预算削减", "选择了竞品品牌", "装修延期，暂不采购")
# The path a deal walks to reach each final stage (the pipeline's guards are met on the way).
PATHS = {
    "qualify": (),
    "needs": ("needs",),
    "proposal": ("needs", "proposal"),
    "negotiation": ("needs", "proposal", "negotiation"),
    "won": ("needs", "proposal", "negotiation", "won"),
    "lost": ("needs", "lost"),
}
STAGES = ("qualify", "needs", "needs", "proposal", "proposal", "negotiation", "won", "lost")
# A second pipeline for projects and group buys (工程/团购): developers' fit-outs, a company's bulk order.
PROJECTS = "工程/团购"
PROJECT_NAMES = ("精装楼盘厨电配套", "酒店客房空调改造", "企业员工团购", "学校宿舍热水器工程")
PROJECT_STAGES = ("qualify", "needs", "proposal", "negotiation")


async def ensure_demo_pipeline(
    db: Any, schema: str, users: Mapping[str, uuid.UUID], echo: Callable[[str], object] = print
) -> None:
    rng = random.Random(20261127)
    today = date.today()
    async with db.tenant_session(schema) as session:
        if await session.scalar(select(func.count()).select_from(Opportunity)):
            return
        products = list(
            (await session.scalars(select(Product).where(Product.deleted_at.is_(None)).limit(20))).all()
        )
        actors = {}
        for user_id in users.values():
            user = await accounts_repo.user_by_id(session, user_id)
            if user is not None:
                actors[user_id] = actor_for(user, ip="127.0.0.1", request_id="demo-seed")
        made = 0
        for user_id, actor in actors.items():
            if actor.role_key not in ("sales", "manager"):
                continue
            customers = (
                await session.scalars(
                    select(Customer.id)
                    .where(Customer.owner_id == user_id, Customer.deleted_at.is_(None))
                    .order_by(Customer.created_at)
                    .limit(DEALS_PER_PERSON)
                )
            ).all()
            deals = OpportunityService(session, actor)
            for n, customer_id in enumerate(customers):
                await _deal(session, deals, actor, rng, products, customer_id, n, today)
                made += 1
        owner = next((a for a in actors.values() if a.role_key == "owner"), None)
        if owner is not None:
            made += await _projects(session, owner, actors, rng, today)
            targets = SalesTargets(session, owner)
            first = date(today.year, today.month, 1)
            for months in range(3):
                month = add_months(first, months).isoformat()
                for user_id, actor in actors.items():
                    if actor.role_key == "sales":
                        amount = rng.randrange(60_000, 160_000, 10_000)
                        await targets.set_target({"month": month, "user_id": user_id, "amount": amount})
                for team_id in {a.team_id for a in actors.values() if a.team_id is not None}:
                    await targets.set_target({"month": month, "team_id": team_id, "amount": 400_000})
    echo(f"demo: {made} opportunities on two pipelines, with targets for three months")


async def _deal(
    session: Any,
    deals: OpportunityService,
    actor: Any,
    rng: random.Random,
    products: list[Product],
    customer_id: uuid.UUID,
    n: int,
    today: date,
) -> Opportunity:
    """One deal of the sales pipeline, walked to its stage (a signed contract when it is won)."""
    chosen = [(p, rng.randint(1, 3)) for p in rng.sample(products, k=min(len(products), rng.randint(1, 3)))]
    lines = [{"product_id": p.id, "quantity": quantity} for p, quantity in chosen]
    amount = sum((p.list_price or 0) * quantity for p, quantity in chosen)
    deal = await deals.create(
        {
            "name": rng.choice(NAMES),
            "amount": str(amount or rng.randrange(3_000, 60_000, 100)),
            "customer_id": customer_id,
            "products": lines,
            "competitor": rng.choice(COMPETITORS),
            "expected_close": today + timedelta(days=rng.randint(3, 85)),
            "probability": 70 if n == 2 else None,
        }
    )
    deal = await _walk(deals, deal, STAGES[n % len(STAGES)], rng)
    if deal.stage == "won":
        await ContractService(session, actor).create(
            {
                "title": f"{deal.name}采购合同",
                "customer_id": customer_id,
                "opportunity_id": deal.id,
                "amount": deal.amount,
                "signed_on": today,
                "starts_on": today,
                "ends_on": today + timedelta(days=365),
            }
        )
    return deal


async def _walk(deals: OpportunityService, deal: Opportunity, stage: str, rng: random.Random) -> Opportunity:
    version = deal.version
    for step in PATHS[stage]:
        reason = rng.choice(LOST_REASONS) if step == "lost" else None
        deal = await deals.move(deal.id, step, version, lost_reason=reason)
        version = deal.version
    return deal


async def _projects(
    session: Any, owner: Any, actors: Mapping[uuid.UUID, Any], rng: random.Random, today: date
) -> int:
    """The 工程/团购 pipeline (a copy of the sales one) with each manager's big project deals."""
    pipeline = await pipelines.create_pipeline(session, owner, "opportunity", PROJECTS, copy_from="default")
    made = 0
    for user_id, actor in actors.items():
        if actor.role_key != "manager":
            continue
        customers = (
            await session.scalars(
                select(Customer.id)
                .where(Customer.owner_id == user_id, Customer.deleted_at.is_(None))
                .order_by(Customer.created_at.desc())
                .limit(len(PROJECT_NAMES))
            )
        ).all()
        deals = OpportunityService(session, actor)
        for n, customer_id in enumerate(customers):
            deal = await deals.create(
                {
                    "name": PROJECT_NAMES[n % len(PROJECT_NAMES)],
                    "amount": str(rng.randrange(80_000, 600_000, 1_000)),
                    "customer_id": customer_id,
                    "pipeline": pipeline.key,
                    "expected_close": today + timedelta(days=rng.randint(20, 120)),
                }
            )
            await _walk(deals, deal, PROJECT_STAGES[n % len(PROJECT_STAGES)], rng)
            made += 1
    return made
