"""Two dealers, A and B. B holds records whose text must never reach anyone from A."""

from __future__ import annotations

import importlib
import pkgutil
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from crm_testkit import Browser, Integrator, TenantKit, actor, integrator, logged_in, make_tenant, token_for
from litestar import Litestar
from sqlalchemy import select

from app.accounts import repository as accounts_repo
from app.accounts.models import ApiToken, Role, UserSession
from app.addresses.models import Address
from app.addresses.service import AddressService
from app.contacts.models import Contact
from app.contacts.service import ContactService
from app.customers import service as customers
from app.customers.models import Customer
from app.customers.repository import CustomerFilter
from app.customers.validation import CustomerInput
from app.customfields import service as custom_fields
from app.customfields.models import CustomFieldDefinition
from app.exports import service as exports
from app.exports.models import ExportJob
from app.roles import service as roles

TENANT, PLATFORM, PUBLIC, GRAPHQL = "tenant", "platform", "public", "graphql"


@dataclass(frozen=True)
class RouteCase:
    """How the suite attacks one admin route: as which kind of page, with which form."""

    kind: str
    form: dict[str, str] = field(default_factory=dict)


# Unusual strings: finding one in a response means B's data leaked.
MARKER_NAME = "乙方机密客户欧阳秘密"
MARKER_MOBILE = "13987654321"
MARKER_TAG = "乙方机密标签"


@dataclass
class World:
    a: TenantKit
    b: TenantKit
    b_customer: uuid.UUID
    b_deleted_customer: uuid.UUID
    b_token_id: uuid.UUID
    b_session_id: uuid.UUID
    b_export_id: uuid.UUID
    a_admin: Browser
    a_integrator: Integrator
    b_admin: Browser
    b_field_id: uuid.UUID | None = None  # a custom field of B's, labelled with the marker
    b_role_id: uuid.UUID | None = None  # a custom role of B's, named with the marker
    b_contact_id: uuid.UUID | None = None  # a contact and an address of B's customer (kit children)
    b_address_id: uuid.UUID | None = None
    # B's records made by the modules' seeds (tests/isolation/isolation_cases/): path parameter -> id
    extra: dict[str, str] = field(default_factory=dict)

    def ids(self) -> dict[str, str]:
        """Path parameters of the admin's routes, filled with B's ids."""
        return self.extra | {
            "customer_id": str(self.b_customer),
            "token_id": str(self.b_token_id),
            "session_id": str(self.b_session_id),
            "export_id": str(self.b_export_id),
            "slug": self.b.slug,
            "file_path": "css/app.css",
            "field_id": str(self.b_field_id),
            "role_id": str(self.b_role_id),
            "contact_id": str(self.b_contact_id),
            "address_id": str(self.b_address_id),
            "entity": "customer",  # workflows: A's own customer workflow (there is no B's to name)
        }


def case_modules() -> list[ModuleType]:
    """The per-module isolation cases: every ``tests/isolation/isolation_cases/<module>.py``.

    A module that adds routes or GraphQL fields puts its cases there instead of editing the suite:
    ``ROUTE_CASES`` and ``GRAPHQL_CASES`` (same shapes as the suite's), and optionally
    ``async def seed(app, world, session, b_owner) -> dict[str, str]`` (creates B's records inside B's
    schema, returns path parameters such as ``{"product_id": ...}``, available as ``world.ids()`` and
    ``world.extra``) and ``async def untouched(session, world) -> list[str]`` (what an attack changed).
    """
    import isolation_cases

    return [
        importlib.import_module(f"isolation_cases.{info.name}")
        for info in sorted(pkgutil.iter_modules(isolation_cases.__path__), key=lambda i: i.name)
    ]


# GraphQL field -> (operation, variables from the world). B's ids everywhere.
GraphQLCase = tuple[str, Callable[["World"], dict[str, Any]]]
Seed = Callable[[Litestar, "World", Any, Any], Awaitable[dict[str, str]]]


async def build_world(app: Litestar, suffix: str) -> World:
    a = await make_tenant(app, f"iso-a-{suffix}")
    b = await make_tenant(app, f"iso-b-{suffix}")
    b_owner = await actor(app, b, "owner")
    async with app.state.db.tenant_session(b.schema) as session:
        secret = await customers.create_customer(
            session,
            b_owner,
            CustomerInput(
                name=MARKER_NAME, kind="company", mobile=MARKER_MOBILE, tags=[MARKER_TAG], notes=MARKER_NAME
            ),
        )
        deleted = await customers.create_customer(session, b_owner, CustomerInput(name=MARKER_NAME + "已删"))
        await customers.delete_customer(session, b_owner, deleted.id)
        job = await exports.request_customer_export(session, b_owner, CustomerFilter(search="欧阳"), "csv")
        field = await custom_fields.define_field(
            session,
            b_owner,
            "customer",
            custom_fields.FieldDraft(key="secret", label_zh=MARKER_NAME, type="text"),
        )
        contact = await ContactService(session, b_owner).create(
            {"customer_id": secret.id, "name": MARKER_NAME, "mobile": MARKER_MOBILE}
        )
        address = await AddressService(session, b_owner).create(
            {
                "customer_id": secret.id,
                "province": "浙江省",
                "city": "杭州市",
                "district": "西湖区",
                "detail": MARKER_NAME,
            }
        )
        role = await roles.create_role(session, b_owner, roles.RoleInput(name=MARKER_NAME, permissions=[]))
    b_token = await token_for(app, b, "owner")
    b_admin = await logged_in(app, b, "owner")
    async with app.state.db.tenant_session(b.schema) as session:
        token_id = await session.scalar(select(ApiToken.id).order_by(ApiToken.created_at.desc()))
        session_id = await session.scalar(select(UserSession.id).where(UserSession.revoked_at.is_(None)))
    assert b_token and token_id and session_id
    world = World(
        a=a,
        b=b,
        b_customer=secret.id,
        b_deleted_customer=deleted.id,
        b_token_id=token_id,
        b_session_id=session_id,
        b_export_id=job.id if isinstance(job, ExportJob) else job,
        a_admin=await logged_in(app, a, "owner"),
        a_integrator=integrator(app, a.host, await token_for(app, a, "owner")),
        b_admin=b_admin,
        b_field_id=field.id,
        b_role_id=role.id,
        b_contact_id=contact.id,
        b_address_id=address.id,
    )
    for module in case_modules():
        seed: Seed | None = getattr(module, "seed", None)
        if seed is not None:
            async with app.state.db.tenant_session(b.schema) as session:
                world.extra.update(await seed(app, world, session, b_owner))
                await session.commit()
    return world


async def b_is_untouched(app: Litestar, world: World) -> list[str]:
    """Everything an attack could have changed in B, checked after each attack."""
    problems: list[str] = []
    async with app.state.db.tenant_session(world.b.schema) as session:
        customer = await session.get(Customer, world.b_customer)
        if (
            customer is None
            or customer.deleted_at is not None
            or customer.name != MARKER_NAME
            or customer.version != 1
        ):
            problems.append("B's customer changed")
        deleted = await session.get(Customer, world.b_deleted_customer)
        if deleted is None or deleted.deleted_at is None:
            problems.append("B's deleted customer was restored")
        token = await session.get(ApiToken, world.b_token_id)
        if token is None or token.revoked_at is not None:
            problems.append("B's token was revoked")
        record = await session.get(UserSession, world.b_session_id)
        if record is None or record.revoked_at is not None:
            problems.append("B's session was revoked")
        job = await session.get(ExportJob, world.b_export_id)
        if job is None or job.attempts != 0:
            problems.append("B's export was touched")
        field = await session.get(CustomFieldDefinition, world.b_field_id)
        if field is None or field.version != 1 or field.archived_at is not None:
            problems.append("B's custom field changed")
        role = await session.get(Role, world.b_role_id)
        if role is None or role.version != 1 or role.name != MARKER_NAME:
            problems.append("B's role changed")
        for model, child_id in ((Contact, world.b_contact_id), (Address, world.b_address_id)):
            child = await session.get(model, child_id)
            if child is None or child.version != 1 or child.deleted_at is not None:
                problems.append(f"B's {model.__tablename__} changed")
        for module in case_modules():
            untouched = getattr(module, "untouched", None)
            if untouched is not None:
                problems.extend(await untouched(session, world))
        owner = await accounts_repo.user_by_id(session, world.b.people["owner"])
        if owner is None or owner.totp_enabled_at is not None:
            problems.append("B's owner changed")
        session.expunge_all()
    return problems


def leaked(text: str) -> bool:
    return MARKER_NAME in text or MARKER_MOBILE in text or MARKER_TAG in text
