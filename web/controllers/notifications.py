"""The notification centre in the admin: the bell, the list, marking read, preferences."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, ValidationFailed
from app.notifications import service as notifications
from app.notifications.kinds import channel_labels
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, page
from web.kit.responses import htmx_done

PAGE_SIZE = 30


def _safe_link(link: str | None) -> str:
    """Only paths inside this admin (never another site): a stored link is followed as a redirect."""
    if link and link.startswith("/") and not link.startswith("//"):
        return link
    return "/notifications"


class NotificationsController(Controller):
    path = "/notifications"
    request_class = HTMXRequest
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="Notifications", name="notifications.list")
    async def list_page(
        self,
        request: HTMXRequest,
        db_session: AsyncSession,
        actor: Actor,
        after: str | None = None,
        unread: bool = False,
    ) -> Template:
        """The actor's notifications, newest first, a page at a time."""
        try:
            found = await notifications.page(
                db_session, actor, first=PAGE_SIZE, after=after, unread_only=unread
            )
        except ValidationFailed:
            found = await notifications.page(db_session, actor, first=PAGE_SIZE, unread_only=unread)
        unread_count = await notifications.unread_count(db_session, actor)
        ctx = page(
            request,
            actor,
            nav="notifications",
            items=found.items,
            has_next=found.has_next,
            end_cursor=found.end_cursor,
            unread=unread,
            unread_count=unread_count,
            render=notifications.render,
        )
        return Template("notifications/list.html", context=ctx)

    @get("/bell", operation_id="NotificationBell", name="notifications.bell")
    async def bell(self, request: HTMXRequest, db_session: AsyncSession, actor: Actor) -> Template:
        """The bell with the unread count (the top bar polls it)."""
        count = await notifications.unread_count(db_session, actor)
        return Template("notifications/_bell.html", context=page(request, actor, unread_count=count))

    @post("/read", operation_id="MarkNotificationsRead", name="notifications.read")
    async def mark_read(
        self, request: HTMXRequest, db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Response[Any] | Redirect:
        """Mark one (``id``) or all (``all``) of the actor's notifications read."""
        ids: list[uuid.UUID] | None = None
        if not data.get("all"):
            try:
                ids = [uuid.UUID(data.get("id", ""))]
            except ValueError:
                ids = []
        await notifications.mark_read(db_session, actor, ids)
        if request.htmx:
            return htmx_done(None, **{"notifications-changed": "1"})
        return Redirect("/notifications", status_code=303)

    @get("/{notification_id:uuid}", operation_id="OpenNotification", name="notifications.open")
    async def open(
        self, request: HTMXRequest, db_session: AsyncSession, actor: Actor, notification_id: uuid.UUID
    ) -> Redirect:
        """Mark it read and go to what it is about (someone else's reads as absent)."""
        link = await notifications.open_one(db_session, actor, notification_id)
        if link is None:
            raise NotFoundException()
        return Redirect(_safe_link(link), status_code=303)

    @get("/preferences", operation_id="NotificationPreferences", name="notifications.preferences")
    async def preferences(self, request: HTMXRequest, db_session: AsyncSession, actor: Actor) -> Template:
        """Which kinds reach the actor on which channels."""
        rows = await notifications.preferences(db_session, actor)
        ctx = page(request, actor, nav="notifications", rows=rows, channels=channel_labels(), saved=False)
        return Template("notifications/preferences.html", context=ctx)

    @post("/preferences", operation_id="SaveNotificationPreferences", name="notifications.save_preferences")
    async def save_preferences(
        self, request: HTMXRequest, db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template:
        """Save the whole matrix: a ticked box is on, an unticked one off."""
        choices = {
            (row.kind.key, channel): bool(data.get(f"{row.kind.key}:{channel}"))
            for row in await notifications.preferences(db_session, actor)
            for channel in channel_labels()
        }
        await notifications.set_preferences(db_session, actor, choices)
        rows = await notifications.preferences(db_session, actor)
        ctx = page(request, actor, nav="notifications", rows=rows, channels=channel_labels(), saved=True)
        return Template("notifications/preferences.html", context=ctx)
