"""Global search: the top bar's results page and the Ctrl-K palette's fragment.

Both ask ``app.kit.search``, which searches every entity that registered itself, with the
caller's permissions and data scope; this module only renders the groups.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, ValidationFailed
from app.i18n import gettext as _
from app.kit import search as global_search
from web.controllers.common import DOMAIN_ERROR_HANDLERS, page

PAGE_PER_ENTITY = 20


def problem_text(exc: ValidationFailed) -> str:
    codes = {error.code for error in exc.errors}
    if "too_long" in codes:
        return _("The search is too long (at most %(limit)s characters).") % {
            "limit": global_search.MAX_QUERY_LENGTH
        }
    return _("The search contains control characters; type a name, a phone number or initials.")


async def _groups(
    session: AsyncSession, actor: Actor, query: str, per_entity: int
) -> tuple[list[global_search.SearchGroup], str | None]:
    try:
        return await global_search.search(session, actor, query, per_entity=per_entity), None
    except ValidationFailed as exc:
        return [], problem_text(exc)


class SearchController(Controller):
    path = "/search"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="GlobalSearchPage", name="search.page")
    async def search_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, q: str = ""
    ) -> Template:
        """Every entity's matches for ``q``, grouped (the top bar's search without JavaScript)."""
        groups, problem = await _groups(db_session, actor, q, PAGE_PER_ENTITY)
        return Template(
            "search/page.html",
            context=page(request, actor, nav="search", q=q, groups=groups, problem=problem),
            status_code=400 if problem else 200,
        )

    @get("/palette", operation_id="GlobalSearchPalette", name="search.palette")
    async def palette(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, q: str = ""
    ) -> Template:
        """The palette's results: a few matches per entity, as links the keyboard moves through."""
        groups, problem = await _groups(db_session, actor, q, global_search.DEFAULT_PER_ENTITY)
        # 200 even for a refused text: the palette shows the message in place of results.
        return Template(
            "search/_results.html", context={"q": q, "groups": groups, "problem": problem, "palette": True}
        )
