"""Deliveries and installations in the admin: the service manager's week (visits by day and slot),
a technician's day on the phone (one-tap status, notes, photos), one visit's page.

Thin: parse the query or form, call the booking service, render. A refused move shows the visit
again with the reason (422); nothing half-moved. Visits are booked from the API (bookDelivery).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Stream, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.deliveries.entity import BOOKING, DELIVERIES_CREATE, DELIVERIES_EDIT
from app.deliveries.fields import BookingStatus, TimeSlot
from app.deliveries.service import MAX_PHOTO_BYTES, MOVES, BookingService, Upload, today
from app.domain import Actor, ValidationFailed, VersionConflict
from app.http.auth import current_tenant
from app.i18n import gettext as _
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, is_htmx, page
from web.kit.forms import messages

MultipartData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
PHOTO_BODY_LIMIT = MAX_PHOTO_BYTES + 1024 * 1024


def _day(raw: str | None, fallback: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else fallback
    except ValueError:
        return fallback


class DeliveriesController(Controller):
    path = "/deliveries"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="DeliveriesWeekPage", name="deliveries.week")
    async def week(self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor) -> Template:
        """Seven days of visits from ``from`` (default today), by day and slot; filter by team."""
        first = _day(request.query_params.get("from"), today())
        service = BookingService(db_session, actor)
        teams = await service.teams()
        team_raw = request.query_params.get("team") or ""
        team = next((t for t in teams if str(t.id) == team_raw), None)
        found = await service.between(first, first + timedelta(days=6), team_id=team.id if team else None)
        days = [first + timedelta(days=i) for i in range(7)]
        ctx = page(
            request,
            actor,
            nav="deliveries",
            visits=found,
            names=await service.names(found),
            days=days,
            first=first,
            previous=first - timedelta(days=7),
            following=first + timedelta(days=7),
            teams=teams,
            team=team,
            slots=TimeSlot.labels(),
            statuses=BookingStatus.labels(),
            spec=BOOKING,
            can_book=actor.can(DELIVERIES_CREATE),
            capacities={t.id: await service.capacity(t.id) for t in teams},
        )
        return Template("deliveries/week.html", context=ctx)

    @get("/my-day", operation_id="TechnicianDayPage", name="deliveries.my_day")
    async def my_day(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """The technician's visits of a day (default today), in slot order, with one-tap moves."""
        day = _day(request.query_params.get("day"), today())
        service = BookingService(db_session, actor)
        found = await service.day(day, mine=True)
        ctx = page(
            request,
            actor,
            nav="deliveries",
            visits=found,
            names=await service.names(found),
            day=day,
            previous=day - timedelta(days=1),
            following=day + timedelta(days=1),
            moves=MOVES,
            slots=TimeSlot.labels(),
            statuses=BookingStatus.labels(),
            can_edit=actor.can(DELIVERIES_EDIT),
            spec=BOOKING,
        )
        return Template("deliveries/my_day.html", context=ctx)

    async def _detail(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        booking_id: uuid.UUID,
        *,
        problem: str | None = None,
        status_code: int = 200,
    ) -> Template:
        service = BookingService(db_session, actor)
        visit = await service.get(booking_id)
        ctx = page(
            request,
            actor,
            nav="deliveries",
            v=visit,
            names=await service.names([visit]),
            moves=MOVES,
            slots=TimeSlot.labels(),
            statuses=BookingStatus.labels(),
            can_edit=actor.can(DELIVERIES_EDIT),
            spec=BOOKING,
            problem=problem,
            back=request.query_params.get("back") or "",
        )
        return Template("deliveries/detail.html", context=ctx, status_code=status_code)

    @get("/{booking_id:uuid}", operation_id="VisitPage", name="deliveries.detail")
    async def detail(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, booking_id: uuid.UUID
    ) -> Template:
        """One visit: customer, address, slot, technicians, status, notes and photos."""
        return await self._detail(request, db_session, actor, booking_id)

    @post("/{booking_id:uuid}/status", operation_id="MoveVisit", name="deliveries.status")
    async def move(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        booking_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """On the way, done or failed (with a reason), given the version the page showed."""
        try:
            version = int(data.get("version") or 0)
        except ValueError:
            version = 0
        try:
            await BookingService(db_session, actor).set_status(
                booking_id, version, data.get("status"), (data.get("reason") or "").strip() or None
            )
        except VersionConflict as exc:
            await db_session.rollback()
            text = _("Changed by %(who)s meanwhile; here is the visit as it is now.") % {
                "who": exc.changed_by or "—"
            }
            return await self._detail(request, db_session, actor, booking_id, problem=text, status_code=409)
        except ValidationFailed as exc:
            await db_session.rollback()
            text = "；".join(dict.fromkeys(messages(BOOKING, exc).values()))
            return await self._detail(request, db_session, actor, booking_id, problem=text, status_code=422)
        return Redirect(_back(data, booking_id), status_code=303)

    @post("/{booking_id:uuid}/notes", operation_id="AddVisitNote", name="deliveries.note")
    async def add_note(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        booking_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """A note from the site, stamped with the time and the technician's name."""
        try:
            await BookingService(db_session, actor).add_note(booking_id, data.get("notes"))
        except ValidationFailed as exc:
            await db_session.rollback()
            text = "；".join(dict.fromkeys(messages(BOOKING, exc).values()))
            return await self._detail(request, db_session, actor, booking_id, problem=text, status_code=422)
        return Redirect(_back(data, booking_id), status_code=303)

    @post(
        "/{booking_id:uuid}/photos",
        operation_id="AddVisitPhoto",
        name="deliveries.photo",
        request_max_body_size=PHOTO_BODY_LIMIT,
    )
    async def add_photo(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        booking_id: uuid.UUID,
        data: MultipartData,
    ) -> Template | Redirect | Response[str]:
        """A photo from the phone's camera, kept with the visit."""
        raw = data.get("photo")
        upload = (
            Upload(raw.filename or "", raw.content_type or "", await raw.read())
            if isinstance(raw, UploadFile)
            else Upload("", "", b"")
        )
        try:
            await BookingService(db_session, actor).add_photo(
                booking_id, current_tenant(request).schema_name, upload
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            text = "；".join(dict.fromkeys(messages(BOOKING, exc).values()))
            return await self._detail(request, db_session, actor, booking_id, problem=text, status_code=422)
        if is_htmx(request):  # the form posts through HTMX, which carries the CSRF header
            return Response("", headers={"HX-Redirect": _back(data, booking_id)}, media_type="text/html")
        return Redirect(_back(data, booking_id), status_code=303)

    @get("/{booking_id:uuid}/photos/{index:int}", operation_id="VisitPhoto", name="deliveries.photo_file")
    async def photo(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        booking_id: uuid.UUID,
        index: int,
    ) -> Stream:
        """One photo of a visit the actor can see."""
        described, handle = await BookingService(db_session, actor).photo(
            booking_id, current_tenant(request).schema_name, index
        )

        def chunks() -> Any:
            with handle:
                while chunk := handle.read(64 * 1024):
                    yield chunk

        name = str(described.get("name") or "photo").replace('"', "")
        return Stream(
            chunks(),
            media_type=str(described.get("type") or "application/octet-stream"),
            headers={
                "Content-Disposition": f"inline; filename*=UTF-8''{quote(name, safe='')}",
            },
        )


def _back(data: Any, booking_id: uuid.UUID) -> str:
    """Back to the technician's day when the form came from it; else the visit's page."""
    back = str(data.get("back") or "")
    return back if back.startswith("/deliveries/my-day") else f"/deliveries/{booking_id}"
