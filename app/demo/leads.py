"""The demo tenant's leads and pools: a general pool and one per team, assignment rules (air
conditioners to team two by load, the rest round robin in team one), the return rule (30 days,
warned 3 days before), a dozen leads from the web form and from marketing, two of them converted,
and some customers released into the pools. Through the services, so audit and timeline are real;
done once (a tenant that has pools already is left alone)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from app.accounts import repository as accounts_repo
from app.accounts.models import Team
from app.accounts.service import actor_for
from app.customers.models import Customer
from app.domain import ValidationFailed
from app.leads.models import Pool
from app.leads.pools import PoolService
from app.leads.rules import add_rule
from app.leads.service import LeadService
from app.leads.settings import update_lead_settings
from app.leads.webform import WEB_FORM

# (name, mobile, city, product interest, message, from the web form)
LEADS = (
    ("赵女士", "13700001001", "杭州市", "空调", "新房装修，想买三台一级能效空调", True),
    ("钱先生", "13700001002", "杭州市", "冰箱", "旧冰箱以旧换新，预算五千左右", True),
    ("孙阿姨", "13700001003", "宁波市", "洗衣机", "想要洗烘一体机", True),
    ("李先生", "13700001004", "杭州市", "电视", "65寸电视，周末到店看看", False),
    ("周女士", "13700001005", "绍兴市", "空调", "商铺要装两台柜机", True),
    ("吴先生", "13700001006", "杭州市", "热水器", "燃气热水器坏了，急", True),
    ("郑女士", "13700001007", "嘉兴市", "净水器", "家里老人多，想装净水器", False),
    ("王先生", "13700001008", "杭州市", "空调", "公司会议室空调更换", True),
    ("冯女士", "13700001009", "湖州市", "油烟机", "厨房改造", False),
    ("陈先生", "13700001010", "杭州市", "冰箱", "对开门冰箱，比较西门子和海尔", True),
    ("褚女士", "13700001011", "杭州市", "洗衣机", "", True),
    ("卫先生", "13700001012", "温州市", "空调", "工厂宿舍批量采购空调", False),
)


async def ensure_demo_leads(
    db: Any, schema: str, users: dict[str, uuid.UUID], echo: Callable[[str], object] = print
) -> None:
    async with db.tenant_session(schema) as session:
        if await session.scalar(select(func.count()).select_from(Pool)):
            return
        owner_user = await accounts_repo.user_by_id(session, users["owner@demo.example"])
        marketing_user = await accounts_repo.user_by_id(session, users["marketing@demo.example"])
        assert owner_user is not None and marketing_user is not None
        owner = actor_for(owner_user, ip="127.0.0.1", request_id="demo-seed")
        marketing = actor_for(marketing_user, ip="127.0.0.1", request_id="demo-seed")
        teams = {t.name: t.id for t in (await session.scalars(select(Team))).all()}
        pools = PoolService(session, owner)
        general = await pools.create_pool("总公海", position=0)
        for n, name in enumerate(("门店一组", "门店二组"), start=1):
            if name in teams:
                await pools.create_pool(f"{name}公海", team_id=teams[name], position=n)
        await update_lead_settings(session, owner, {"return_days": 30, "warn_days": 3, "claim_cap": 30})
        if "门店二组" in teams:
            await add_rule(
                session,
                owner,
                {
                    "name": "空调线索",
                    "position": 1,
                    "team_id": str(teams["门店二组"]),
                    "product_category": "空调",
                    "strategy": "load",
                },  # fmt: skip
            )
        if "门店一组" in teams:
            await add_rule(
                session, owner, {"name": "其余轮流", "position": 2, "team_id": str(teams["门店一组"])}
            )
        made = []
        for name, mobile, city, interest, message, web in LEADS:
            values = {"name": name, "mobile": mobile, "province": "浙江省", "city": city,
                      "product_category": interest, "message": message or None}  # fmt: skip
            try:
                if web:
                    made.append(await LeadService(session, WEB_FORM).create({**values, "source": "web_form"}))
                else:
                    made.append(await LeadService(session, marketing).create(values))
            except ValidationFailed:
                continue  # a city the reference data spells differently: skip it
        converted = 0
        for lead in made[:2]:
            try:
                await LeadService(session, owner).convert(lead.id, lead.version)
                converted += 1
            except ValidationFailed:
                await session.rollback()  # a demo customer holds this mobile already (撞单)
        # Some customers nobody follows any more, in the pools: about one in a hundred, 3 to 15.
        book = int(await session.scalar(select(func.count()).select_from(Customer)) or 0)
        idle = (
            await session.scalars(
                select(Customer.id)
                .where(Customer.owner_id.is_not(None), Customer.deleted_at.is_(None))
                .limit(max(3, min(15, book // 100)))
            )
        ).all()
        for customer_id in idle:
            await pools.release(customer_id, general.id)
    echo(f"demo: {len(made)} leads ({converted} converted), 3 pools, {len(idle)} customers in the pools")
