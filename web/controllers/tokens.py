"""Personal access tokens in the admin: list, create (shown once), revoke."""

from __future__ import annotations

import json
import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.accounts.permissions import STAFF_MANAGE, TOKENS_CREATE
from app.domain import Actor, ValidationFailed
from app.http.auth import current_tenant
from app.i18n import gettext as _
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, field_errors, is_htmx, page


async def _render(
    request: Request[Any, Any, Any], session: AsyncSession, actor: Actor, status: int = 200, **extra: Any
) -> Template:
    headers = extra.pop("headers", None)
    settings = request.app.state.settings
    tokens = await accounts.list_api_tokens(session, actor)
    everyone = actor.can(STAFF_MANAGE)
    ctx = page(
        request,
        actor,
        nav="tokens",
        tokens=tokens,
        show_owner=everyone,
        names=await accounts.staff_names(session, [t.user_id for t in tokens]) if everyone else {},
        can_create=actor.can(TOKENS_CREATE) or everyone,
        lifetimes=settings.api_token_lifetimes_days,
        now=accounts.now_utc(),
        **{
            "errors": {},
            "name": "",
            "days": settings.api_token_default_days,
            "scopes": "read write",
            "created": None,
            **extra,
        },
    )
    return Template("tokens/list.html", context=ctx, status_code=status, headers=headers)


class TokensController(Controller):
    path = "/tokens"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="ApiTokensPage", name="tokens.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """The actor's tokens (an admin sees everyone's)."""
        return await _render(request, db_session, actor)

    @post("/", operation_id="CreateApiToken", name="tokens.create")
    async def create(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template:
        """Create a token for the actor and show its plaintext this once."""
        user = await accounts.staff_member(db_session, actor.user_id)
        settings = request.app.state.settings
        name = data.get("name", "")
        scopes = data.get("scopes", "read write")
        try:
            days = int(data.get("days") or settings.api_token_default_days)
        except ValueError:
            days = -1  # refused below as not one of the offered lifetimes
        try:
            plaintext, record = await accounts.create_api_token(
                db_session,
                user,
                tenant_slug=current_tenant(request).slug,
                name=name,
                actor=actor,
                days=days,
                scopes=scopes,
                allowed_days=settings.api_token_lifetimes_days,
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            errors = field_errors(exc)
            if any(e.code == "too_long" for e in exc.errors):
                errors["name"] = _("At most %(n)s characters.") % {"n": accounts.API_TOKEN_NAME_MAX}
            if "days" in errors:
                errors["days"] = _("Please choose one of the options.")
            if "scopes" in errors:
                errors["scopes"] = _("Please choose one of the options.")
            return await _render(
                request, db_session, actor, status=422, errors=errors, name=name, days=days, scopes=scopes
            )
        return await _render(
            request, db_session, actor, status=201, created={"token": plaintext, "name": record.name}
        )

    @post("/{token_id:uuid}/revoke", operation_id="RevokeApiToken", name="tokens.revoke")
    async def revoke(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, token_id: uuid.UUID
    ) -> Template | Redirect:
        """Revoke a token at once; API calls with it are refused from now on."""
        record = await accounts.revoke_api_token(db_session, actor, token_id)
        if not is_htmx(request):
            return Redirect("/tokens", status_code=303)
        toast = _("Token %(name)s revoked.") % {"name": record.name}
        return await _render(request, db_session, actor, headers={"HX-Trigger": json.dumps({"toast": toast})})
