"""Support access on a dealer's host: the admin's page to grant and revoke it, and the support
session's way in (the one-time link from the operators' console) and out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, PermissionDenied, ValidationFailed
from app.http.auth import client_ip, current_tenant
from app.i18n import gettext as _
from app.platform import support
from app.platform.tokens import TokenRefused
from web.controllers.common import page

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]

ENTRY_REFUSALS = {
    "invalid": "This support link is not valid.",
    "expired": "This support link has expired; support links work for two minutes. Start again from the console.",  # noqa: E501
    "used": "This support link has already been used. Start again from the console.",
    "no_grant": "The dealer has not granted support access.",
    "tenant_unavailable": "The dealer has not granted support access.",
    "ip_not_allowed": "The dealer only allows access from approved networks, and this address is not on the platform's list either.",  # noqa: E501
}


def _hours(data: dict[str, str]) -> int:
    try:
        return int(data.get("hours", ""))
    except ValueError:
        return 0  # out of range: the service says so on the field


class SupportSettingsController(Controller):
    """``/settings/support``: owners and admins let DealerCRM support in for a limited time."""

    path = "/settings/support"

    async def _page(
        self,
        request: Request[Any, Any, Any],
        session: AsyncSession,
        actor: Actor,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        grant = await support.current_grant(session)
        values: dict[str, Any] = {
            "nav": "support",
            "grant": grant,
            "active": bool(grant and grant.active()),
            "min_hours": support.MIN_HOURS,
            "max_hours": support.MAX_HOURS,
            "errors": {},
            "hours": "24",
        }
        values.update(extra)
        return Template("settings/support.html", context=page(request, actor, **values), status_code=status)

    @staticmethod
    def _admin_only(actor: Actor) -> None:
        if not actor.can("staff:manage") or actor.via == "support":
            raise NotFoundException()

    @get("/", operation_id="SupportAccessPage", name="support_settings")
    async def overview(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """The current grant (if any), a form to grant access and a button to revoke it."""
        self._admin_only(actor)
        return await self._page(request, db_session, actor)

    @post("/", operation_id="GrantSupportAccess")
    async def grant(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: Form
    ) -> Template | Redirect:
        """Grant support access for 1 to 72 hours from now."""
        self._admin_only(actor)
        try:
            grant = await support.grant_access(db_session, actor, _hours(data))
        except PermissionDenied as exc:
            raise NotFoundException() from exc
        except ValidationFailed:
            message = _("Choose between {min} and {max} hours.").format(
                min=support.MIN_HOURS, max=support.MAX_HOURS
            )
            return await self._page(
                request, db_session, actor, status=422, errors={"hours": message}, hours=data.get("hours", "")
            )
        await support.publish(request.app.state.db.engine, current_tenant(request).slug, grant)
        return Redirect("/settings/support?granted=1", status_code=303)

    @post("/revoke", operation_id="RevokeSupportAccess")
    async def revoke(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Redirect:
        """End support access now (a support session in progress ends at its next click)."""
        self._admin_only(actor)
        try:
            await support.revoke_access(db_session, actor)
        except PermissionDenied as exc:
            raise NotFoundException() from exc
        await support.publish(request.app.state.db.engine, current_tenant(request).slug, None)
        return Redirect("/settings/support?revoked=1", status_code=303)


class SupportSessionController(Controller):
    """``/support/...``: the way in for an operator holding a one-time link, and the way out."""

    path = "/support"

    @get("/enter", operation_id="SupportEnter")
    async def enter(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, token: str = ""
    ) -> Template | Redirect:
        """Redeem the console's one-time link and start a support session on this host."""
        tenant = current_tenant(request)
        state = request.app.state
        try:
            cookie, session = await support.enter(
                state.db,
                state.redis,
                state.settings,
                tenant,
                db_session,
                token,
                ip=client_ip(request),
                request_id=request.scope["state"].get("request_id"),
            )
        except (TokenRefused, support.SupportRefused) as exc:
            status = 400 if exc.code == "invalid" else 403
            return Template(
                "settings/support_refused.html",
                context={"tenant": tenant, "message": _(ENTRY_REFUSALS[exc.code]), "code": exc.code},
                status_code=status,
            )
        response = Redirect("/", status_code=303)
        response.set_cookie(
            support.SUPPORT_COOKIE,
            cookie,
            path="/",
            httponly=True,
            secure=state.settings.secure_cookies,
            samesite="lax",
            max_age=max(1, int((session.until - datetime.now(UTC)).total_seconds())),
        )
        return response

    @get("/ended", operation_id="SupportEnded")
    async def ended(self, request: Request[Any, Any, Any], left: str = "") -> Template:
        """Where a support session lands when it is over (left, revoked or run out)."""
        message = (
            _("You left the support session.")
            if left
            else _("Support access to this account has ended: the dealer revoked it or it ran out.")
        )
        response = Template(
            "settings/support_refused.html",
            context={
                "tenant": current_tenant(request),
                "message": message,
                "code": "left" if left else "ended",
            },
            status_code=403,
        )
        response.delete_cookie(support.SUPPORT_COOKIE, path="/")
        return response

    @post("/leave", operation_id="SupportLeave")
    async def leave(self, request: Request[Any, Any, Any], actor_or_none: Actor | None) -> Redirect:
        """End this support session."""
        state = request.app.state
        await support.leave(
            state.db,
            state.redis,
            current_tenant(request),
            request.cookies.get(support.SUPPORT_COOKIE),
            actor_or_none,
        )
        response = Redirect("/support/ended?left=1", status_code=303)
        response.delete_cookie(support.SUPPORT_COOKIE, path="/")
        return response
