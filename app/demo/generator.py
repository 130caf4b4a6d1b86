"""Realistic customers of a home-appliance dealer, and the dealer's named staff.

``fake_customers`` gives the same rows for the same seed, ``now`` and owners, quickly enough for
benchmark tables of hundreds of thousands of rows: vocabulary comes from Faker's zh_CN providers
(surnames with their real frequencies, given names by gender, company name stems), read once, and
every choice is made by one ``random.Random(seed)`` instead of a Faker call per field.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from itertools import accumulate
from typing import TypedDict

from faker.providers.company.zh_CN import Provider as CompanyProvider
from faker.providers.person.zh_CN import Provider as PersonProvider
from pypinyin import lazy_pinyin

from app.reference import divisions

STATUSES = ("lead", "interested", "won", "lost")  # 潜在 意向 成交 流失
KINDS = ("individual", "company")
GENDERS = ("male", "female", "unknown")
TIERS = ("normal", "silver", "gold", "vip")
# 门店到访 老客户转介绍 线上 电话 展会 社区活动 老客户复购
SOURCES = ("walk_in", "referral", "online", "phone", "exhibition", "community", "old_customer")
TAG_NAMES = [
    "以旧换新",
    "装修客户",
    "高端意向",
    "团购",
    "空调",
    "冰箱",
    "洗衣机",
    "热水器",
    "厨电",
    "售后关注",
    "会员",
    "回头客",
]

DEMO_PASSWORD = "demo12345"
TEAMS = ("门店一组", "门店二组")


class StaffMember(TypedDict):
    email: str
    name: str
    role: str  # a key of app.accounts.permissions.DEFAULT_ROLES
    team: str | None


# The demo dealer's people; tests and seeds refer to them by name. All log in with DEMO_PASSWORD.
STAFF: list[StaffMember] = [
    {"email": "owner@demo.example", "name": "王建国", "role": "owner", "team": None},
    {"email": "admin@demo.example", "name": "李静", "role": "admin", "team": None},
    {"email": "manager1@demo.example", "name": "刘洋", "role": "manager", "team": "门店一组"},
    {"email": "manager2@demo.example", "name": "陈丽华", "role": "manager", "team": "门店二组"},
    {"email": "sales1@demo.example", "name": "张伟", "role": "sales", "team": "门店一组"},
    {"email": "sales2@demo.example", "name": "赵敏", "role": "sales", "team": "门店一组"},
    {"email": "sales3@demo.example", "name": "孙浩", "role": "sales", "team": "门店二组"},
    {"email": "sales4@demo.example", "name": "周婷", "role": "sales", "team": "门店二组"},
    {"email": "service1@demo.example", "name": "吴芳", "role": "service", "team": None},
    {"email": "service2@demo.example", "name": "郑凯", "role": "service", "team": None},
    {"email": "tech1@demo.example", "name": "黄志强", "role": "technician", "team": None},
    {"email": "tech2@demo.example", "name": "马建军", "role": "technician", "team": None},
    {"email": "marketing@demo.example", "name": "林晓雪", "role": "marketing", "team": None},
    {"email": "viewer@demo.example", "name": "何文博", "role": "viewer", "team": None},
]


class FakeCustomer(TypedDict):
    name: str
    kind: str
    gender: str | None
    mobile: str
    email: str | None
    province: str | None
    city: str | None
    district: str | None
    address_detail: str | None
    source: str
    status: str
    tier: str
    owner_id: object | None
    birthday: date | None
    notes: str | None
    tags: list[str]
    created_at: datetime


CHINA_TIME = timezone(timedelta(hours=8), "CST")
COMPANY_SHARE = 0.12

# Mainland mobile prefixes that phonenumbers accepts for any eight digits that follow, weighted
# toward the long-established 13x/15x/18x ranges.
_MOBILE_PREFIXES = {
    **dict.fromkeys(["130", "131", "132", "133", "134", "135", "136", "137", "138", "139"], 4),
    **dict.fromkeys(["150", "151", "152", "153", "155", "156", "157", "158", "159"], 3),
    **dict.fromkeys(["180", "181", "182", "183", "184", "185", "186", "187", "188", "189"], 3),
    **dict.fromkeys(["173", "175", "176", "177", "178", "166", "147"], 1),
    **dict.fromkeys(["191", "193", "195", "198", "199"], 1),
}
_EMAIL_DOMAINS = {
    "qq.com": 35,
    "163.com": 25,
    "126.com": 10,
    "sina.com": 5,
    "foxmail.com": 5,
    "139.com": 5,
    "outlook.com": 5,
    "gmail.com": 4,
    "hotmail.com": 3,
}
_STATUS_WEIGHTS = (40, 30, 22, 8)
# Tiers follow purchases: most won customers stay normal, a few become VIP.
_TIER_WEIGHTS_WON = (55, 25, 14, 6)
_TIER_WEIGHTS_OTHER = (88, 8, 3, 1)
_SOURCE_WEIGHTS = (30, 15, 20, 10, 5, 8, 12)
_TAG_COUNT_WEIGHTS = (35, 35, 20, 10)

_ROADS = (
    "人民 解放 中山 建设 和平 新华 胜利 文化 朝阳 长江 黄河 幸福 光明 迎宾 滨河 东风 青年 学府"
    " 科技 工业 友谊 团结 振兴 金桥 天山 江南 湖滨 五一 育才 花园"
).split()
_ROAD_SUFFIXES = ("路", "路", "大街", "大道", "街", "东路", "西路", "南路", "北路")
_ESTATES = (
    "阳光 锦绣 金色 翠湖 御景 春天 幸福 绿城 华府 名都 世纪 枫林 香榭 梧桐 丽景 紫荆 海棠 滨江"
    " 东方 康乐 书香 未来 盛世 怡景"
).split()
_ESTATE_SUFFIXES = ("花园", "小区", "家园", "华庭", "公寓", "苑", "新村", "名苑", "雅居", "府")
_VILLAGE_WORDS = "东 西 南 北 新 大 小 上 下 前 后 王 李 张 刘 陈 杨".split()
_COMPANY_TRADES = (
    "装饰工程有限公司",
    "物业管理有限公司",
    "酒店管理有限公司",
    "餐饮管理有限公司",
    "房地产开发有限公司",
    "建筑装饰有限公司",
    "商贸有限公司",
    "科技有限公司",
    "教育咨询有限公司",
    "健身服务有限公司",
)
_TRADE_WORDS = ("公司", "电子", "计算机", "网络", "国际", "科技", "信息", "软件", "电脑", "数字")
_CJK_ONLY = re.compile("[\u4e00-\u9fff]+")
_COMPANY_EMAIL_USERS = ("info", "service", "hr", "admin", "purchase", "contact")

_NOTES_INDIVIDUAL = (
    "考虑换购变频空调，预算{budget}左右",
    "新房{month}月交房，全屋家电一起看",
    "想要一级能效的冰箱，对比了海尔和美的",
    "老人家用，热水器要操作简单",
    "洗衣机想换洗烘一体，阳台空间有限",
    "对价格比较敏感，等618活动再定",
    "已上门量尺寸，烟灶套装待报价",
    "关注以旧换新补贴，旧空调{units}台",
    "周末才有空，送货安装约周六上午",
    "中央空调意向，需要设计师出方案",
    "上次买的热水器有异响，已安排师傅回访",
    "孩子房间要装空调，预算{budget}以内",
    "净水器滤芯快到期，可推荐软水机",
    "老客户介绍来的，想看嵌入式洗碗机",
)
_NOTES_COMPANY = (
    "公司福利采购，需要{count}台空气净化器，要开专票",
    "酒店客房改造，询价挂机空调{count}台",
    "物业项目批量采购热水器，要求{month}月前到货",
    "新店开业，商用冰柜和空调一起报价",
    "年会礼品采购，预算{budget}左右",
)
_BUDGETS = (3000, 4000, 5000, 6000, 8000, 10000, 15000, 20000)


class _Vocabulary:
    """Faker's zh_CN vocabulary and the divisions, with pinyin, read once per process."""

    def __init__(self) -> None:
        last_names = PersonProvider.last_names
        self.surnames = list(last_names)
        self.surname_cum_weights = list(accumulate(last_names.values()))
        self.given_names = {
            "male": list(PersonProvider.first_names_male),
            "female": list(PersonProvider.first_names_female),
        }
        words = {*self.surnames, *self.given_names["male"], *self.given_names["female"]}
        self.pinyin = {word: "".join(lazy_pinyin(word)) for word in words}
        # Stems naming a trade (菊风公司, 图龙信息) would read oddly before 物业管理有限公司.
        self.company_stems = [
            stem
            for stem in dict.fromkeys(CompanyProvider.company_prefixes)
            if len(stem) <= 4 and _CJK_ONLY.fullmatch(stem) and not any(word in stem for word in _TRADE_WORDS)
        ]
        self.stem_pinyin = {stem: "".join(lazy_pinyin(stem)) for stem in self.company_stems}
        self.places = [
            (province, city, district)
            for province in divisions.provinces()
            for city in divisions.cities(province)
            for district in divisions.districts(province, city)
        ]
        self.mobile_prefixes = list(_MOBILE_PREFIXES)
        self.mobile_cum_weights = list(accumulate(_MOBILE_PREFIXES.values()))
        self.email_domains = list(_EMAIL_DOMAINS)
        self.email_cum_weights = list(accumulate(_EMAIL_DOMAINS.values()))


@lru_cache(maxsize=1)
def _vocabulary() -> _Vocabulary:
    return _Vocabulary()


# Where the demo dealer's shop is: most of a dealer's customers live nearby.
DEMO_HOME = ("浙江省", "杭州市")


def fake_customers(
    n: int,
    seed: int,
    owner_ids: Sequence[object],
    *,
    now: datetime | None = None,
    home: tuple[str, str] | None = None,
) -> Iterator[FakeCustomer]:
    """Yield ``n`` customers of a dealer, the same ones for the same arguments.

    Args:
        n: How many customers.
        seed: Fixes every choice.
        owner_ids: Staff ids to assign customers to; about 5% are left unassigned (the public pool).
        now: The end of the three years over which ``created_at`` is spread, in creation order and
            at shop hours, China time. Defaults to the start of today, so runs on the same day agree.
        home: (province, city) of the shop: then about 70% of addresses are in that city, 20% elsewhere
            in the province and 10% anywhere. None spreads addresses over the whole country.
    """
    vocabulary = _vocabulary()
    rng = random.Random(seed)
    if now is None:
        now = datetime.combine(datetime.now(CHINA_TIME).date(), time(), CHINA_TIME)
    elif now.tzinfo is None:
        msg = "now must be timezone-aware"
        raise ValueError(msg)
    start = now - timedelta(days=3 * 365)
    seen_mobiles: set[str] = set()
    for index in range(n):
        # Creation dates rise with the index, as in a real table, at shop hours.
        day = start + (now - start) * ((index + rng.random()) / n)
        at_shop_hours = time(rng.randint(9, 20), rng.randrange(60), rng.randrange(60), tzinfo=CHINA_TIME)
        created_at = min(now, datetime.combine(day.astimezone(CHINA_TIME).date(), at_shop_hours))
        yield _fake_customer(rng, vocabulary, owner_ids, created_at, now.date(), seen_mobiles, home)


def _fake_customer(
    rng: random.Random,
    vocabulary: _Vocabulary,
    owner_ids: Sequence[object],
    created_at: datetime,
    today: date,
    seen_mobiles: set[str],
    home: tuple[str, str] | None = None,
) -> FakeCustomer:
    is_company = rng.random() < COMPANY_SHARE
    # Some leads leave only a phone number.
    place = _place(rng, vocabulary, home) if rng.random() < 0.92 else (None, None, None)
    province, city, district = place
    gender: str | None = None
    if is_company:
        stem = rng.choice(vocabulary.company_stems)
        town = divisions.display_city(province, city).removesuffix("市") if province and city else ""
        name = f"{town}{stem}{rng.choice(_COMPANY_TRADES)}"
        email = _company_email(rng, vocabulary, stem) if rng.random() < 0.3 else None
    else:
        gender = "male" if rng.random() < 0.5 else "female"
        surname = rng.choices(vocabulary.surnames, cum_weights=vocabulary.surname_cum_weights)[0]
        given = rng.choice(vocabulary.given_names[gender])
        name = surname + given
        email = _personal_email(rng, vocabulary, surname, given) if rng.random() < 0.3 else None
    status = rng.choices(STATUSES, weights=_STATUS_WEIGHTS)[0]
    tier_weights = _TIER_WEIGHTS_WON if status == "won" else _TIER_WEIGHTS_OTHER
    birthday = _birthday(rng, today) if not is_company and rng.random() < 0.6 else None
    return {
        "name": name,
        "kind": "company" if is_company else "individual",
        "gender": gender,
        "mobile": _unique_mobile(rng, vocabulary, seen_mobiles),
        "email": email,
        "province": province,
        "city": city,
        "district": district,
        "address_detail": _address_detail(rng, district) if district else None,
        "source": rng.choices(SOURCES, weights=_SOURCE_WEIGHTS)[0],
        "status": status,
        "tier": rng.choices(TIERS, weights=tier_weights)[0],
        "owner_id": rng.choice(owner_ids) if owner_ids and rng.random() >= 0.05 else None,
        "birthday": birthday,
        "notes": _note(rng, is_company) if rng.random() < 0.2 else None,
        "tags": rng.sample(TAG_NAMES, rng.choices(range(4), weights=_TAG_COUNT_WEIGHTS)[0]),
        "created_at": created_at,
    }


def _place(
    rng: random.Random, vocabulary: _Vocabulary, home: tuple[str, str] | None
) -> tuple[str | None, str | None, str | None]:
    if home is not None:
        roll = rng.random()
        if roll < 0.9:
            nearby = _nearby(home, whole_province=roll >= 0.7)
            if nearby:
                return rng.choice(nearby)
    return rng.choice(vocabulary.places)


@lru_cache(maxsize=16)
def _nearby(home: tuple[str, str], *, whole_province: bool) -> tuple[tuple[str, str, str], ...]:
    province, city = home
    return tuple(p for p in _vocabulary().places if p[0] == province and (whole_province or p[1] == city))


def _birthday(rng: random.Random, today: date) -> date:
    """A birthday for someone aged 22 to 75 today."""
    age = rng.randint(22, 75)
    latest = _years_before(today, age)
    earliest = _years_before(today, age + 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def _unique_mobile(rng: random.Random, vocabulary: _Vocabulary, seen: set[str]) -> str:
    while True:
        prefix = rng.choices(vocabulary.mobile_prefixes, cum_weights=vocabulary.mobile_cum_weights)[0]
        mobile = f"{prefix}{rng.randrange(10**8):08d}"
        if mobile not in seen:
            seen.add(mobile)
            return mobile


def _personal_email(rng: random.Random, vocabulary: _Vocabulary, surname: str, given: str) -> str:
    domain = rng.choices(vocabulary.email_domains, cum_weights=vocabulary.email_cum_weights)[0]
    if domain == "qq.com" and rng.random() < 0.6:
        return f"{rng.randrange(10**5, 10**10)}@qq.com"  # a QQ number
    family, personal = vocabulary.pinyin[surname], vocabulary.pinyin[given]
    local = rng.choice(
        (
            f"{family}{personal}",
            f"{family}.{personal}",
            f"{personal}{family}",
            f"{family}{personal}{rng.randrange(1, 100)}",
            f"{family}{personal}{rng.randrange(1960, 2004)}",
            f"{family[0]}{personal}{rng.randrange(100, 1000)}",
        )
    )
    return f"{local}@{domain}"


def _company_email(rng: random.Random, vocabulary: _Vocabulary, stem: str) -> str:
    domain = f"{vocabulary.stem_pinyin[stem]}.{rng.choice(('com', 'cn', 'com.cn'))}"
    return f"{rng.choice(_COMPANY_EMAIL_USERS)}@{domain}"


def _address_detail(rng: random.Random, district: str) -> str:
    if district.endswith("县") and rng.random() < 0.4:
        village = rng.choice(_VILLAGE_WORDS) + rng.choice(("庄", "村", "营", "湾"))
        return f"{rng.choice(_ROADS)}镇{village}{rng.randint(1, 12)}组{rng.randint(1, 80)}号"
    road = f"{rng.choice(_ROADS)}{rng.choice(_ROAD_SUFFIXES)}{rng.randint(1, 999)}号"
    if rng.random() < 0.15:
        return road  # a shop or a house on the street
    estate = rng.choice(_ESTATES) + rng.choice(_ESTATE_SUFFIXES)
    floor, room = rng.randint(1, 33), rng.randint(1, 4)
    return f"{road}{estate}{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{floor}{room:02d}室"


def _note(rng: random.Random, is_company: bool) -> str:
    template = rng.choice(_NOTES_COMPANY if is_company else _NOTES_INDIVIDUAL)
    return template.format(
        budget=rng.choice(_BUDGETS),
        month=rng.randint(1, 12),
        units=rng.randint(1, 3),
        count=rng.randint(5, 40),
    )
