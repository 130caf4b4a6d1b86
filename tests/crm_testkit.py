"""Test helpers: named people in every test tenant, and clients that behave like a browser or an integrator.

Every test tenant has the same cast, so a failing test tells a story:

| key | name | role | team |
|---|---|---|---|
| owner | 王建国 | owner | — |
| admin | 李静 | admin | — |
| manager_a | 刘洋 | manager | 门店一组 |
| sales_a | 张伟 | sales | 门店一组 |
| sales_a2 | 王芳 | sales | 门店一组 |
| manager_b | 陈静 | manager | 门店二组 |
| sales_b | 李娜 | sales | 门店二组 |
| service | 郑丽 | service | — |
| technician | 孙强 | technician | — |
| marketing | 吴磊 | marketing | — |
| viewer | 周敏 | viewer | — |
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from litestar import Litestar

from app.accounts import repository as accounts_repo
from app.accounts import service as accounts
from app.domain import Actor
from app.platform.service import SignUp, sign_up
from app.security import hash_password

PASSWORD = "correct-horse-9"
TEAM_A, TEAM_B = "门店一组", "门店二组"

PEOPLE: dict[str, tuple[str, str, str | None]] = {
    "admin": ("李静", "admin", None),
    "manager_a": ("刘洋", "manager", TEAM_A),
    "sales_a": ("张伟", "sales", TEAM_A),
    "sales_a2": ("王芳", "sales", TEAM_A),
    "manager_b": ("陈静", "manager", TEAM_B),
    "sales_b": ("李娜", "sales", TEAM_B),
    "service": ("郑丽", "service", None),
    "technician": ("孙强", "technician", None),
    "marketing": ("吴磊", "marketing", None),
    "viewer": ("周敏", "viewer", None),
}


def email_of(slug: str, key: str) -> str:
    return f"{key.replace('_', '.')}@{slug}.example"


@dataclass
class TenantKit:
    slug: str
    schema: str
    host: str
    people: dict[str, uuid.UUID] = field(default_factory=dict)

    def email(self, key: str) -> str:
        return email_of(self.slug, key)


_shared_hash: list[str] = []


def _password_hash() -> str:
    # One real argon2 hash of PASSWORD for the whole cast: logins still verify a real hash.
    if not _shared_hash:
        _shared_hash.append(hash_password(PASSWORD))
    return _shared_hash[0]


async def make_tenant(app: Litestar, slug: str, base_domain: str = "localhost") -> TenantKit:
    """Sign a tenant up and hire the whole cast."""
    db = app.state.db
    tenant = await sign_up(
        db.engine,
        SignUp(
            company_name=f"{slug} 家电",
            slug=slug,
            admin_email=email_of(slug, "owner"),
            admin_password=PASSWORD,
            admin_name="王建国",
        ),
    )
    kit = TenantKit(slug=slug, schema=tenant.schema_name, host=f"{slug}.{base_domain}")
    async with db.tenant_session(tenant.schema_name) as session:
        owner = await accounts_repo.user_by_email(session, kit.email("owner"))
        assert owner is not None
        kit.people["owner"] = owner.id
        for key, (name, role, team) in PEOPLE.items():
            user = await accounts.create_user(
                session,
                email=kit.email(key),
                name=name,
                password=PASSWORD,
                role_key=role,
                team_name=team,
                password_hash=_password_hash(),
            )
            kit.people[key] = user.id
        await session.commit()
    return kit


async def actor(app: Litestar, kit: TenantKit, key: str) -> Actor:
    """The person as a service-layer actor (for tests of services without HTTP)."""
    async with app.state.db.tenant_session(kit.schema) as session:
        user = await accounts_repo.user_by_id(session, kit.people[key])
        assert user is not None
        return accounts.actor_for(user, ip="127.0.0.1", request_id="test")


class Browser(httpx.AsyncClient):
    """An httpx client on one host that sends the CSRF token the way the admin's pages do."""

    def csrf(self) -> str:
        for cookie in self.cookies.jar:
            if cookie.name == "dcrm_csrf":
                return cookie.value
        return ""

    async def ensure_csrf(self) -> str:
        if not self.csrf():
            await self.get("/healthz")
            await self.get("/login")
        return self.csrf()

    async def post_form(self, url: str, data: dict[str, Any], **kwargs: Any) -> httpx.Response:
        token = await self.ensure_csrf()
        return await self.post(url, data={**data, "_csrf": token}, **kwargs)

    async def htmx(
        self, method: str, url: str, data: dict[str, Any] | None = None, **kwargs: Any
    ) -> httpx.Response:
        token = await self.ensure_csrf()
        headers = {"HX-Request": "true", "X-CSRF-Token": token, **kwargs.pop("headers", {})}
        return await self.request(method, url, data=data, headers=headers, **kwargs)

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        token = await self.ensure_csrf()
        response = await self.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers={"X-CSRF-Token": token}
        )
        assert response.status_code in (200, 400), response.text
        return response.json()


class Integrator(httpx.AsyncClient):
    """An API client holding a personal access token (no cookies, no CSRF)."""

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.post("/graphql", json={"query": query, "variables": variables or {}})
        assert response.status_code in (200, 400), response.text
        return response.json()


def browser(app: Litestar, host: str) -> Browser:
    return Browser(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 5000)),
        base_url=f"https://{host}",
        follow_redirects=False,
    )


def integrator(app: Litestar, host: str, token: str) -> Integrator:
    return Integrator(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.2", 5000)),
        base_url=f"https://{host}",
        headers={"Authorization": f"Bearer {token}"},
    )


async def logged_in(app: Litestar, kit: TenantKit, key: str) -> Browser:
    client = browser(app, kit.host)
    response = await client.post_form("/login", {"email": kit.email(key), "password": PASSWORD, "next": "/"})
    assert response.status_code == 303, response.text
    return client


async def token_for(app: Litestar, kit: TenantKit, key: str) -> str:
    async with app.state.db.tenant_session(kit.schema) as session:
        user = await accounts_repo.user_by_id(session, kit.people[key])
        assert user is not None
        plaintext, _ = await accounts.create_api_token(session, user, tenant_slug=kit.slug, name="test")
    return plaintext


def form_errors(html: str) -> list[str]:
    """The inline error messages a page shows (elements with class "message")."""
    return re.findall(r'class="message"[^>]*>([^<]+)<', html)
