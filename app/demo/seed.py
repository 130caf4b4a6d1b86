"""The demo tenant ``demo``: a dealer with named staff and thousands of realistic customers.

``seed_demo`` is what ``dealercrm seed-demo`` and ``dealercrm demo`` run. It is idempotent: the
tenant, each staff member and the platform operator are created only when missing, and customers are
topped up to the requested number, never duplicated.

Customers go in by PostgreSQL ``COPY`` on the tenant session's own connection, a few thousand per
transaction, each with the search text and grams ``app.customers.service`` gives a customer it
creates (``index_customer``), so search finds seeded customers exactly as it finds typed-in ones. The
benchmarks in ``bench/`` fill their 200,000-customer tenant through ``top_up_customers``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repo
from app.accounts.service import create_user
from app.customers.models import Customer, CustomerTag, Tag
from app.customers.service import index_customer
from app.db import Database
from app.demo.generator import (
    DEMO_HOME,
    DEMO_PASSWORD,
    STAFF,
    TAG_NAMES,
    FakeCustomer,
    StaffMember,
    fake_customers,
)
from app.demo.leads import ensure_demo_leads
from app.demo.pipeline import ensure_demo_pipeline
from app.demo.privacy import ensure_demo_privacy
from app.demo.quotes import ensure_demo_quotes
from app.demo.stock import ensure_demo_stock
from app.kit.pinyin_sort import sort_key
from app.platform.audit import PlatformActor
from app.platform.lifecycle import change_plan
from app.platform.models import PlatformOperator
from app.platform.service import SignUp, create_operator, sign_up
from app.settings import get_settings
from tenancy import registry
from tenancy.migrate import drop_schema, quote_ident, upgrade_platform
from tenancy.models import Tenant

Echo = Callable[[str], object]

DEMO_SLUG = "demo"
DEMO_NAME = "惠民家电城（演示）"
DEMO_SEED = 20240601
OPERATOR_EMAIL = "operator@dealercrm.example"
OPERATOR_NAME = "平台运维"
OPERATOR_PASSWORD = "operator12345"
# Rows per transaction: big enough for COPY to pay off, small enough that an interrupted seed
# keeps most of its work (the next run tops up from what was committed).
BATCH_SIZE = 5_000
# Salespeople carry most of the book; each team's manager keeps a few key accounts.
OWNER_WEIGHTS = {"sales": 3, "manager": 1}

_FIELDS = [name for name in FakeCustomer.__annotations__ if name not in ("tags", "created_at")]
_CUSTOMER_COLUMNS = (
    "id",
    *_FIELDS,
    "search_grams",
    "search_text",
    "name_pinyin",
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
)

DEMO_PLAN = "enterprise"


@dataclass(frozen=True)
class TopUp:
    existing: int
    added: int
    seconds: float


async def seed_demo(db: Database, *, customers: int = 2500, reset: bool = False, echo: Echo = print) -> None:
    """Create or top up the demo tenant, its staff, its customers and the platform operator.

    Args:
        db: The process's database.
        customers: How many customers the demo tenant should hold at least.
        reset: Drop the demo tenant (schema and registry row) first and seed it afresh.
        echo: Where progress lines go.
    """
    if customers < 0:
        msg = "customers must not be negative"
        raise ValueError(msg)
    await upgrade_platform(db.engine)
    if reset and await drop_tenant(db, DEMO_SLUG):
        echo(f"demo: dropped tenant {DEMO_SLUG!r}")
    tenant = await ensure_tenant(db, DEMO_SLUG, DEMO_NAME, STAFF[0], echo=echo)
    users = await ensure_staff(db, tenant, STAFF, echo=echo)
    await ensure_operator(db, echo=echo)
    owners = weighted_owners(users, STAFF)
    result = await top_up_customers(
        db,
        tenant.schema_name,
        customers,
        owners,
        seed=DEMO_SEED,
        created_by=users[STAFF[0]["email"]],
        home=DEMO_HOME,
        echo=echo,
    )
    await ensure_demo_stock(db, tenant.schema_name, users[STAFF[0]["email"]], echo=echo)
    await ensure_demo_privacy(db, tenant.schema_name, users[STAFF[0]["email"]], echo=echo)
    # The pipeline first: it is seeded only into a tenant without deals, and converted leads make some.
    await ensure_demo_pipeline(db, tenant.schema_name, users, echo=echo)
    await ensure_demo_leads(db, tenant.schema_name, users, echo=echo)
    await ensure_demo_quotes(db, tenant.schema_name, users[STAFF[0]["email"]], echo=echo)
    echo(
        f"demo: {result.existing + result.added} customers ({result.added} added in {result.seconds:.1f}s); "
        f"log in at demo.{get_settings().base_domain} as {STAFF[0]['email']} / {DEMO_PASSWORD}"
    )


async def drop_tenant(db: Database, slug: str) -> bool:
    """Remove a tenant's schema and registry row together; False when there was no such tenant."""
    async with db.engine.begin() as conn:
        tenant = await registry.get_tenant(conn, slug)
        if tenant is None:
            return False
        await drop_schema(conn, tenant.schema_name)
        await conn.execute(delete(Tenant).where(Tenant.slug == slug))
    return True


async def ensure_tenant(
    db: Database, slug: str, name: str, owner: StaffMember, *, echo: Echo = print
) -> Tenant:
    """The tenant ``slug``, signed up with ``owner`` as its owner when it does not exist yet."""
    async with db.engine.connect() as conn:
        tenant = await registry.get_tenant(conn, slug)
    if tenant is not None:
        echo(f"{slug}: tenant exists (schema {tenant.schema_name})")
        return tenant
    started = time.perf_counter()
    tenant = await sign_up(
        db.engine,
        SignUp(
            company_name=name,
            slug=slug,
            admin_email=owner["email"],
            admin_password=DEMO_PASSWORD,
            admin_name=owner["name"],
        ),
    )
    echo(f"{slug}: tenant created (schema {tenant.schema_name}) in {time.perf_counter() - started:.2f}s")
    # A demo that suspends itself when the 14-day trial ends would surprise its visitor.
    tenant = await change_plan(db.engine, get_settings(), slug, DEMO_PLAN, PlatformActor.system())
    echo(f"{slug}: plan {DEMO_PLAN}")
    return tenant


async def ensure_staff(
    db: Database, tenant: Tenant, staff: Sequence[StaffMember], *, echo: Echo = print
) -> dict[str, uuid.UUID]:
    """Hire every staff member who is not there yet; returns everyone's id by email."""
    ids: dict[str, uuid.UUID] = {}
    hired: list[str] = []
    async with db.tenant_session(tenant.schema_name) as session:
        for member in staff:
            user = await accounts_repo.user_by_email(session, member["email"])
            if user is None:
                user = await create_user(
                    session,
                    email=member["email"],
                    name=member["name"],
                    password=DEMO_PASSWORD,
                    role_key=member["role"],
                    team_name=member["team"],
                )
                hired.append(f"{member['name']}（{member['role']}）")
            ids[member["email"]] = user.id
        await session.commit()
    if hired:
        echo(f"{tenant.slug}: hired {len(hired)} staff: {'、'.join(hired)}")
    else:
        echo(f"{tenant.slug}: all {len(staff)} staff present")
    return ids


async def ensure_operator(db: Database, *, echo: Echo = print) -> None:
    """The platform operator of the demo set-up, created once (a changed password is kept)."""
    async with db.platform_session() as session:
        existing = await session.scalar(
            select(PlatformOperator.id).where(PlatformOperator.email == OPERATOR_EMAIL)
        )
        if existing is not None:
            echo(f"platform: operator {OPERATOR_EMAIL} exists")
            return
        await create_operator(session, email=OPERATOR_EMAIL, name=OPERATOR_NAME, password=OPERATOR_PASSWORD)
    echo(f"platform: operator {OPERATOR_EMAIL} created")


def weighted_owners(user_ids: dict[str, uuid.UUID], staff: Sequence[StaffMember]) -> list[uuid.UUID]:
    """Owner ids to draw customers' owners from: salespeople several times, managers once."""
    owners: list[uuid.UUID] = []
    for member in staff:
        owners += [user_ids[member["email"]]] * OWNER_WEIGHTS.get(member["role"], 0)
    return owners


async def top_up_customers(
    db: Database,
    schema: str,
    target: int,
    owner_ids: Sequence[uuid.UUID],
    *,
    seed: int,
    created_by: uuid.UUID | None = None,
    batch_size: int = BATCH_SIZE,
    home: tuple[str, str] | None = None,
    echo: Echo = print,
) -> TopUp:
    """Add generated customers to the tenant in ``schema`` until it holds ``target`` of them.

    The rows are those of ``fake_customers(target, seed, owner_ids, home=home)`` after the ones already there
    (``home``: the shop's province and city, or None for addresses across the country),
    so a top-up continues the same book of customers; a generated mobile that an existing customer
    already has is skipped and made up for from a follow-on seed.
    """
    started = time.perf_counter()
    async with db.tenant_session(schema) as session:
        existing = int(await session.scalar(select(func.count()).select_from(Customer)) or 0)
        if existing >= target:
            echo(f"customers: {existing} present, none to add")
            return TopUp(existing, 0, time.perf_counter() - started)
        taken: set[str] = set()
        if existing:
            mobiles = await session.scalars(select(Customer.mobile).where(Customer.mobile.is_not(None)))
            taken = {mobile for mobile in mobiles if mobile}
        tag_ids = await _ensure_tags(session, TAG_NAMES)
        await session.commit()
        rows = _fresh_customers(target, existing, owner_ids, seed, taken, home)
        added = 0
        needed = target - existing
        while batch := list(islice(rows, min(batch_size, needed - added))):
            await _copy_batch(session, schema, batch, tag_ids, created_by)
            await session.commit()
            added += len(batch)
            rate = added / max(time.perf_counter() - started, 1e-9)
            echo(f"customers: {existing + added}/{target} ({rate:,.0f} rows/s)")
        await session.execute(text(f"ANALYZE {quote_ident(schema)}.customers"))
        await session.execute(text(f"ANALYZE {quote_ident(schema)}.customer_tags"))
        await session.commit()
    return TopUp(existing, added, time.perf_counter() - started)


def _fresh_customers(
    target: int,
    existing: int,
    owner_ids: Sequence[uuid.UUID],
    seed: int,
    taken: set[str],
    home: tuple[str, str] | None = None,
) -> Iterator[FakeCustomer]:
    """Generated customers after the first ``existing``, none with a mobile in ``taken``."""
    needed = target - existing
    sources: Iterable[Iterator[FakeCustomer]] = (
        islice(fake_customers(target, seed, owner_ids, home=home), existing, None),
        *(fake_customers(needed, seed + attempt, owner_ids, home=home) for attempt in range(1, 10)),
    )
    given = 0
    for source in sources:
        for row in source:
            if row["mobile"] in taken:
                continue
            taken.add(row["mobile"])
            yield row
            given += 1
            if given == needed:
                return


# The demo's tags in colour, as a dealer would set them on the tag page (/settings/tags).
_TAG_COLOURS = ("green", "blue", "gold", "purple", "cyan", "orange", "magenta", "red")


async def _ensure_tags(session: AsyncSession, names: Sequence[str]) -> dict[str, uuid.UUID]:
    await session.execute(
        pg_insert(Tag)
        .values(
            [{"name": name, "color": _TAG_COLOURS[i % len(_TAG_COLOURS)]} for i, name in enumerate(names)]
        )
        .on_conflict_do_nothing()
    )
    rows = await session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(names)))
    return {name: tag_id for name, tag_id in rows.all()}


async def _copy_batch(
    session: AsyncSession,
    schema: str,
    batch: Sequence[FakeCustomer],
    tag_ids: dict[str, uuid.UUID],
    created_by: uuid.UUID | None,
) -> None:
    """COPY one batch of customers and their tags inside the session's current transaction."""
    records: list[tuple[object, ...]] = []
    links: list[tuple[uuid.UUID, uuid.UUID]] = []
    for row in batch:
        customer = Customer(id=uuid.uuid4(), **{name: row[name] for name in _FIELDS})  # type: ignore[literal-required]
        # Tags in the order the service reads them back (by name), as an update would index them.
        index_customer(customer, sorted(row["tags"]))
        author = created_by or row["owner_id"]
        records.append(
            (
                customer.id,
                *(row[name] for name in _FIELDS),  # type: ignore[literal-required]
                customer.search_grams,
                customer.search_text,
                sort_key(customer.name),  # COPY fills no column defaults: the pinyin sort key
                1,
                row["created_at"],
                author,
                row["created_at"],
                author,
            )
        )
        links += [(customer.id, tag_ids[name]) for name in row["tags"]]
    # The raw asyncpg connection of the session's transaction: COPY names the schema itself, as
    # the schema_translate_map only applies to SQL that SQLAlchemy renders.
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    await raw.copy_records_to_table(
        Customer.__tablename__, schema_name=schema, columns=_CUSTOMER_COLUMNS, records=records
    )
    if links:
        await raw.copy_records_to_table(
            CustomerTag.__tablename__, schema_name=schema, columns=("customer_id", "tag_id"), records=links
        )
