"""Where ``/`` leads: sign-up on the base domain; on a tenant's host, the signed-in staff member's
home page, made of the cards the modules declare (``app.kit.home``) that their role may see."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, get
from litestar.di import Provide
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.http.auth import provide_actor, provide_optional_actor
from app.i18n import gettext as _
from app.kit.home import CHART, LIST, STAT, ShownCard, home_cards
from web.controllers.common import page

log = logging.getLogger("dealercrm.home")


async def provide_home_session(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession | None]:
    """The tenant's session on a tenant's host, None on the base domain (closed when the request ends)."""
    tenant = request.scope.get("state", {}).get("tenant")
    if tenant is None:
        yield None
        return
    async with request.app.state.db.tenant_session(tenant.schema_name) as session:
        yield session


def routable(request: Request[Any, Any, Any], url: str | None) -> bool:
    """Whether a card's link leads to a page this installation serves (modules come and go)."""
    if url is None:
        return True
    path = urlsplit(url).path.rstrip("/") or "/"
    return any(pattern.fullmatch(path) for pattern in _route_patterns(request.app))


_PATTERNS: dict[int, list[re.Pattern[str]]] = {}
_PARAMETER = re.compile(r"\{[^}:]+(?::([a-z]+))?\}")
_PARAMETER_PATTERNS = {"uuid": "[0-9a-fA-F-]{36}", "int": "[0-9]+", "path": ".*"}


def _route_pattern(path: str) -> re.Pattern[str]:
    """A route's path as a pattern ("/customers/{customer_id:uuid}" matches "/customers/<a uuid>")."""
    pattern, last = "", 0
    for parameter in _PARAMETER.finditer(path):
        pattern += re.escape(path[last : parameter.start()])
        pattern += _PARAMETER_PATTERNS.get(parameter.group(1) or "", "[^/]+")
        last = parameter.end()
    return re.compile(pattern + re.escape(path[last:]))


def _route_patterns(app: Any) -> list[re.Pattern[str]]:
    if id(app) not in _PATTERNS:
        _PATTERNS[id(app)] = [_route_pattern(route.path.rstrip("/") or "/") for route in app.routes]
    return _PATTERNS[id(app)]


class RedisCardCache:
    """Home cards' cached data in Redis. With Redis down the page still renders: a failed read is
    a miss and a failed write is skipped (Redis is never the only way to serve a read)."""

    def __init__(self, redis: Any) -> None:
        self.redis = redis

    async def get(self, key: str) -> str | None:
        try:
            found = await self.redis.get(key)
        except Exception:  # noqa: BLE001 (any Redis failure is a miss)
            log.warning("home card cache unavailable", exc_info=True)
            return None
        return found.decode() if isinstance(found, bytes) else found

    async def set(self, key: str, value: str, seconds: int) -> None:
        try:
            await self.redis.set(key, value, ex=seconds)
        except Exception:  # noqa: BLE001
            log.warning("home card cache unavailable", exc_info=True)


class HomeController(Controller):
    path = "/"
    dependencies = {"home_session": Provide(provide_home_session)}

    @get("/", operation_id="Home", name="home")
    async def home(
        self, request: Request[Any, Any, Any], home_session: AsyncSession | None
    ) -> Redirect | Template:
        """Staff see their home page; visitors to the base domain go to sign-up."""
        if home_session is None:
            return Redirect("/signup")
        actor = await provide_optional_actor(request, home_session)
        if actor is None:
            actor = await provide_actor(request, None)  # raises: to the login (or the second factor)
        cards = []
        tenant = request.scope["state"]["tenant"]
        cache = RedisCardCache(request.app.state.redis)
        cache_key = f"home:{tenant.schema_name}:{actor.user_id}"
        for shown in await home_cards(home_session, actor, cache, cache_key):
            data = replace(
                shown.data,
                rows=tuple(row for row in shown.data.rows if routable(request, row.url)),
                link=shown.data.link if routable(request, shown.data.link) else None,
            )
            if shown.card.kind == LIST and not data.rows and not data.empty:
                continue  # first steps whose pages this installation does not serve
            cards.append(ShownCard(shown.card, data))
        charts = {
            s.card.key: {
                "type": s.data.chart,
                "labels": [_(label) for label, _n in s.data.series],
                "values": [n for _label, n in s.data.series],
            }
            for s in cards
            if s.card.kind == CHART
        }
        return Template(
            "home/index.html",
            context=page(
                request, actor, nav="home", cards=cards, charts=charts, STAT=STAT, CHART=CHART, LIST=LIST
            ),
        )
