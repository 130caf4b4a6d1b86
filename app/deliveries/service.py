"""Booking verbs: book a visit for an order, reschedule it, move it along (on the way, done, failed
with a reason, cancelled), notes and photos on site, team capacity; the technician's day and the
service manager's calendar.

Capacity: a team takes ``per_slot`` visits per date and slot. Booking locks the team's capacity row
first, so two bookings of the last place take turns and the second is told ``slot_full``. Every
booking and every move tells the customer by SMS (the notification centre's customer messages,
committed with the change) and the assigned technicians in the app.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import Any

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.dialects.postgresql import insert

from app.accounts.models import Team, User
from app.addresses.models import Address
from app.customers.models import Customer
from app.deliveries.entity import BOOKING, BOOKING_ASSIGNED
from app.deliveries.fields import ACTIVE_STATUSES, BookingKind, BookingStatus, TimeSlot
from app.deliveries.models import Booking, TeamSlotCapacity
from app.domain import FieldError, NotFound, ValidationFailed
from app.events import service as events
from app.kit.fields import LOCAL_TZ, Choice, Day, Errors, Fields, Text
from app.kit.numbers import Whole
from app.kit.service import EntityService, json_ready, unit_of_work
from app.notifications.customers import message_customer
from app.notifications.service import notify
from app.orders.lines import delivery_text
from app.orders.models import Order
from app.settings import get_settings
from app.storage import tenant_files
from app.units.service import register_delivered

PHOTOS_AREA = "booking-photos"
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
MAX_TECHNICIANS = 5
# Where an order must stand to be booked (or its goods must be reserved or shipped).
BOOKABLE_STAGES = ("approved", "shipped", "delivered")
BOOKABLE_STOCK = ("reserved", "shipped")
NOT_BOOKABLE_STAGES = ("draft", "cancelled", "returned", "completed")

# Status → the statuses a visit may move to from it.
MOVES: dict[str, tuple[str, ...]] = {
    BookingStatus.BOOKED.value: ("on_the_way", "failed", "cancelled"),
    BookingStatus.RESCHEDULED.value: ("on_the_way", "failed", "cancelled"),
    BookingStatus.ON_THE_WAY.value: ("done", "failed"),
    BookingStatus.FAILED.value: (),
    BookingStatus.DONE.value: (),
    BookingStatus.CANCELLED.value: (),
}

# Texts to the customer, in the tenant's language (zh-CN): customers have no preference of their own.
SMS_TEXTS = {
    "booked": "【{dealer}】您的{kind}已预约：{day} {slot}，地址：{address}。单号 {number}。",
    "rescheduled": "【{dealer}】您的{kind}已改约：{day} {slot}。单号 {number}。",
    "on_the_way": "【{dealer}】师傅已出发，预计{slot}上门，请保持电话畅通。单号 {number}。",
    "done": "【{dealer}】{kind}已完成，感谢您的信任。单号 {number}。",
    "failed": "【{dealer}】很抱歉，本次上门未能完成（{reason}），我们会尽快与您联系改约。单号 {number}。",
    "cancelled": "【{dealer}】您的{kind}预约已取消。单号 {number}。",
}
KIND_WORDS = {"delivery": "送货", "installation": "安装", "both": "送货安装"}
SLOT_WORDS = {"morning": "上午9:00-12:00", "afternoon": "下午13:00-17:00", "evening": "晚上18:00-20:00"}


def new_number() -> str:
    """AZ-20261127-7F3A9C (安装/送货): the dealer's day and six random hex digits."""
    return f"AZ-{datetime.now(LOCAL_TZ):%Y%m%d}-{secrets.token_hex(3).upper()}"


def today() -> date:
    return datetime.now(LOCAL_TZ).date()


@dataclass(frozen=True)
class TechnicianScope:
    """A visit is seen by its technicians (own), their team's manager (team), everyone (all)."""

    def condition(self, model: Any, owners: Sequence[uuid.UUID] | None) -> ColumnElement[bool]:
        if owners is None:
            return true()
        return model.technician_ids.overlap(list(owners))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str | None
    data: bytes


class BookingService(EntityService[Booking]):
    spec = BOOKING
    model = Booking
    fields = Fields(
        {
            "kind": Choice(required=True, enum=BookingKind),
            "scheduled_on": Day(required=True),
            "slot": Choice(required=True, enum=TimeSlot),
            "notes": Text(max_length=2000, multiline=True),
        },
        defaults={"kind": BookingKind.BOTH.value},
    )
    scope = TechnicianScope()
    sort_fields = ("created_at", "updated_at", "scheduled_on")

    dealer_name: str = ""  # the tenant's name, for the customer's SMS

    async def visible(self, query: Any) -> Any:
        # A booking's creator (sales, service desk) keeps seeing what they booked.
        owners = await self.owners()
        if owners is None:
            return query
        return query.where(self.scope.condition(self.model, owners) | Booking.created_by.in_(list(owners)))

    # -- reads --------------------------------------------------------------------------------------

    async def day(self, on: date, *, mine: bool = False, team_id: uuid.UUID | None = None) -> list[Booking]:
        """Visits of one day by slot; ``mine``: only those the actor is assigned to."""
        return await self.between(on, on, mine=mine, team_id=team_id)

    async def between(
        self, first: date, last: date, *, mine: bool = False, team_id: uuid.UUID | None = None
    ) -> list[Booking]:
        """Visits from ``first`` to ``last`` (at most 31 days), by date and slot."""
        self.require("read")
        if (last - first).days > 31 or last < first:
            raise ValidationFailed([FieldError("to", "out_of_range", "at most 31 days from the first")])
        query = select(Booking).where(
            Booking.deleted_at.is_(None), Booking.scheduled_on >= first, Booking.scheduled_on <= last
        )
        if mine:
            query = query.where(Booking.technician_ids.contains([self.actor.user_id]))
        if team_id is not None:
            query = query.where(Booking.team_id == team_id)
        slot_order = func.array_position(list(TimeSlot.values()), Booking.slot)
        query = (await self.visible(query)).order_by(Booking.scheduled_on, slot_order, Booking.number)
        return list((await self.session.scalars(query.limit(500))).all())

    async def for_order(self, order_id: uuid.UUID) -> list[Booking]:
        self.require("read")
        query = await self.visible(
            select(Booking).where(Booking.order_id == order_id, Booking.deleted_at.is_(None))
        )
        return list((await self.session.scalars(query.order_by(Booking.created_at))).all())

    async def names(self, bookings: Sequence[Booking]) -> dict[uuid.UUID, str]:
        """Names of the customers, teams, technicians and order numbers of visits the actor has seen."""
        ids = {b.customer_id for b in bookings} | {b.team_id for b in bookings}
        people = {t for b in bookings for t in b.technician_ids}
        found: dict[uuid.UUID, str] = {}
        if bookings:
            for model, column in ((Customer, Customer.name), (Team, Team.name)):
                rows = await self.session.execute(select(model.id, column).where(model.id.in_(list(ids))))
                found.update({row[0]: row[1] for row in rows.all()})
            rows = await self.session.execute(select(User.id, User.name).where(User.id.in_(list(people))))
            found.update({row[0]: row[1] for row in rows.all()})
            orders = {b.order_id for b in bookings}
            rows = await self.session.execute(
                select(Order.id, Order.number).where(Order.id.in_(list(orders)))
            )
            found.update({row[0]: row[1] for row in rows.all()})
        return found

    # -- verbs --------------------------------------------------------------------------------------

    async def book(self, raw: dict[str, Any]) -> Booking:
        """Book a visit for an order: date and slot, team and technicians, the order's delivery
        address, or one of the customer's addresses when chosen (or when the order has none: the
        installation address, else the default one)."""
        self.require("create")
        async with unit_of_work(self.session):
            errors = Errors()
            values = self.fields.collect(
                {k: raw.get(k) for k in ("kind", "scheduled_on", "slot", "notes") if k in raw},
                creating=True,
                errors=errors,
            )
            order = await self._order(errors, raw.get("order_id"))
            team = await self._team(errors, raw.get("team_id"))
            technicians = await self._technicians(errors, raw.get("technician_ids"), team)
            # The order's own delivery address unless one of the customer's addresses is chosen.
            chosen = raw.get("address_id") not in (None, "")
            own = delivery_text(order) if order is not None and not chosen else ""
            address = None if own else await self._address(errors, raw.get("address_id"), order)
            self._not_past(errors, values.get("scheduled_on"))
            errors.raise_if_any()
            assert order is not None and team is not None and (address is not None or own)
            await self._room(team.id, values["scheduled_on"], values["slot"])
            booking = Booking(
                number=new_number(),
                order_id=order.id,
                customer_id=order.customer_id,
                kind=values["kind"],
                scheduled_on=values["scheduled_on"],
                slot=values["slot"],
                team_id=team.id,
                technician_ids=technicians,
                address_id=address.id if address is not None else None,
                address=_address_text(address) if address is not None else own[:300],
                contact_phone=(address.phone if address is not None else order.delivery_phone)
                or await self._mobile(order.customer_id),
                status=BookingStatus.BOOKED.value,
                notes=values.get("notes"),
                photos=[],
                created_by=self.actor.user_id,
                updated_by=self.actor.user_id,
            )
            self.session.add(booking)
            await self.session.flush()
            self._audit(booking, "create", None, await self.snapshot(booking))
            self._emit(booking, "created", order_id=str(order.id))
            await self._tell(booking, "booked", technicians)
        return booking

    async def reschedule(self, booking_id: uuid.UUID, version: int, raw: dict[str, Any]) -> Booking:
        """Move a visit to another date/slot (and team or technicians), if that slot has room."""
        self.require("create")
        async with unit_of_work(self.session):
            booking = await self._load(booking_id, for_update=True)
            await self._check_version(booking, version)
            errors = Errors()
            if booking.status not in (BookingStatus.BOOKED.value, BookingStatus.RESCHEDULED.value):
                errors.add("status", "not_allowed_status", "only a visit not yet started can be rescheduled")
            on = Day(required=True).clean(errors, "scheduled_on", raw.get("scheduled_on"))
            slot = Choice(required=True, enum=TimeSlot).clean(errors, "slot", raw.get("slot"))
            team = await self._team(errors, raw.get("team_id") or booking.team_id)
            given = raw.get("technician_ids")
            technicians = await self._technicians(
                errors, booking.technician_ids if given is None else given, team
            )
            self._not_past(errors, on)
            errors.raise_if_any()
            assert team is not None and on is not None and slot is not None
            before = await self.snapshot(booking)
            if (team.id, on, slot) != (booking.team_id, booking.scheduled_on, booking.slot):
                await self._room(team.id, on, slot, leaving=booking.id)
            booking.team_id, booking.scheduled_on, booking.slot = team.id, on, slot
            added = [t for t in technicians if t not in booking.technician_ids]
            booking.technician_ids = technicians
            booking.status = BookingStatus.RESCHEDULED.value
            self._touch(booking)
            await self.session.flush()
            self._audit(booking, "reschedule", before, await self.snapshot(booking))
            self._emit(booking, "rescheduled")
            await self._tell(booking, "rescheduled", added or technicians)
        return booking

    async def set_status(
        self, booking_id: uuid.UUID, version: int, status: Any, reason: Any = None
    ) -> Booking:
        """On the way, done, failed (a reason is required) or cancelled, from where it stands."""
        self.require("edit")
        async with unit_of_work(self.session):
            booking = await self._load(booking_id, for_update=True)
            await self._check_version(booking, version)
            errors = Errors()
            target = Choice(required=True, enum=BookingStatus).clean(errors, "status", status)
            why = Text(max_length=200).clean(errors, "reason", reason)
            if target is not None and target not in MOVES.get(booking.status, ()):
                errors.add("status", "not_allowed_status", f"a {booking.status} visit cannot become {target}")
            if target == BookingStatus.FAILED.value and not why:
                errors.add("reason", "reason_required", "say why the visit failed")
            errors.raise_if_any()
            before = await self.snapshot(booking)
            booking.status = str(target)
            now = datetime.now(UTC)
            if target == BookingStatus.ON_THE_WAY.value:
                booking.started_at = now
            if target in (BookingStatus.DONE.value, BookingStatus.FAILED.value):
                booking.finished_at = now
            if target == BookingStatus.FAILED.value:
                booking.failure_reason = why
            self._touch(booking)
            await self.session.flush()
            self._audit(booking, "status", before, await self.snapshot(booking))
            self._emit(booking, str(target), order_id=str(booking.order_id))
            if target == BookingStatus.DONE.value:
                # What the visit delivered or installed is registered to the customer (once).
                await register_delivered(
                    self.session,
                    self.actor,
                    order_id=booking.order_id,
                    kind=booking.kind,
                    done_on=now.astimezone(LOCAL_TZ).date(),
                    address=booking.address,
                )
            await self._tell(booking, str(target), [], reason=why or "")
        return booking

    async def add_note(self, booking_id: uuid.UUID, text: Any) -> Booking:
        """A technician's note on site, appended with the time and their name."""
        self.require("edit")
        async with unit_of_work(self.session):
            booking = await self._load(booking_id, for_update=True)
            errors = Errors()
            note = Text(required=True, max_length=500, multiline=True).clean(errors, "notes", text)
            errors.raise_if_any()
            before = await self.snapshot(booking)
            stamp = f"{datetime.now(LOCAL_TZ):%m-%d %H:%M} {self.actor.name}"
            booking.notes = "\n".join(p for p in (booking.notes, f"[{stamp}] {note}") if p)[-2000:]
            self._touch(booking)
            await self.session.flush()
            self._audit(booking, "update", before, await self.snapshot(booking))
        return booking

    async def add_photo(self, booking_id: uuid.UUID, schema: str, upload: Upload) -> Booking:
        """A photo from the site, stored under the tenant's files (removed again if refused)."""
        self.require("edit")
        errors = Errors()
        if not upload.data:
            errors.add("photo", "required", "choose a photo")
        elif len(upload.data) > MAX_PHOTO_BYTES:
            errors.add("photo", "file_too_large", "must be at most 10 MB")
        suffix = PHOTO_TYPES.get((upload.content_type or "").lower())
        if upload.data and suffix is None:
            errors.add("photo", "not_an_image", "must be a JPEG, PNG or WebP photo")
        errors.raise_if_any()
        store = tenant_files(schema, PHOTOS_AREA)
        name = secrets.token_hex(16) + str(suffix)
        try:
            async with unit_of_work(self.session):
                booking = await self._load(booking_id, for_update=True)
                with store.write_atomic(name) as handle:
                    handle.write(upload.data)
                item = {
                    "name": PurePath(upload.filename.replace("\\", "/")).name[:200] or name,
                    "file": name,
                    "size": len(upload.data),
                    "type": upload.content_type,
                }
                booking.photos = [*booking.photos, item]
                self._touch(booking)
                await self.session.flush()
                self._audit(booking, "photo", None, {"photo": item["name"], "version": booking.version})
        except BaseException:
            store.remove(name)
            raise
        return booking

    async def photo(self, booking_id: uuid.UUID, schema: str, index: int) -> tuple[dict[str, Any], Any]:
        """One photo of a visit the actor can see: its description and an open binary file."""
        booking = await self.get(booking_id)
        if not 0 <= index < len(booking.photos or []):
            raise NotFound("booking", booking_id)
        item = booking.photos[index]
        try:
            return item, tenant_files(schema, PHOTOS_AREA).open(item["file"])
        except FileNotFoundError as exc:
            raise NotFound("booking", booking_id) from exc

    async def set_capacity(self, team_id: Any, per_slot: Any) -> int:
        """How many visits a team takes per slot (None: the configured default)."""
        self.require("manage")
        async with unit_of_work(self.session):
            errors = Errors()
            team = await self._team(errors, team_id)
            value = Whole(minimum=0, maximum=100).clean(errors, "per_slot", per_slot)
            errors.raise_if_any()
            assert team is not None
            statement = insert(TeamSlotCapacity).values(team_id=team.id, per_slot=value)
            await self.session.execute(
                statement.on_conflict_do_update(
                    index_elements=["team_id"], set_={"per_slot": value, "updated_at": func.now()}
                )
            )
            self._audit_team(team.id, value)
        return value if value is not None else get_settings().booking_slot_capacity

    async def capacity(self, team_id: uuid.UUID) -> int:
        per_slot = await self.session.scalar(
            select(TeamSlotCapacity.per_slot).where(TeamSlotCapacity.team_id == team_id)
        )
        return per_slot if per_slot is not None else get_settings().booking_slot_capacity

    async def teams(self) -> list[Team]:
        return list((await self.session.scalars(select(Team).order_by(Team.name))).all())

    # -- checks -------------------------------------------------------------------------------------

    async def _order(self, errors: Errors, raw: Any) -> Order | None:
        from app.orders.service import OrderService  # orders import stock; stock never imports bookings

        ident = _uuid(raw)
        order = None
        if ident is not None:
            try:
                order = await OrderService(self.session, self.actor).get(ident)
            except NotFound:
                order = None
        if order is None or order.deleted_at is not None:
            errors.add("order_id", "unknown_order", "is not an order you can see")
            return None
        bookable = order.status in BOOKABLE_STAGES or (
            order.stock in BOOKABLE_STOCK and order.status not in NOT_BOOKABLE_STAGES
        )
        if not bookable:
            errors.add("order_id", "order_not_bookable", f"a {order.status} order cannot be booked")
            return None
        return order

    async def _team(self, errors: Errors, raw: Any) -> Team | None:
        ident = _uuid(raw)
        team = await self.session.get(Team, ident) if ident else None
        if team is None:
            errors.add("team_id", "unknown_team", "is not a team of this dealer")
        return team

    async def _technicians(self, errors: Errors, raw: Any, team: Team | None) -> list[uuid.UUID]:
        given = list(raw or []) if isinstance(raw, list | tuple) else ([raw] if raw else [])
        if not given:
            errors.add("technician_ids", "required", "assign at least one technician")
            return []
        if len(given) > MAX_TECHNICIANS:
            errors.add("technician_ids", "too_many", f"at most {MAX_TECHNICIANS} technicians")
            return []
        ids = [_uuid(v) for v in given]
        known = {
            row[0]: row[1]
            for row in (
                await self.session.execute(
                    select(User.id, User.team_id).where(
                        User.id.in_([i for i in ids if i]), User.is_active.is_(True)
                    )
                )
            ).all()
        }
        for index, ident in enumerate(ids):
            if ident is None or ident not in known:
                errors.add(f"technician_ids.{index}", "unknown_owner", "is not an active staff member")
            elif team is not None and known[ident] != team.id:
                errors.add(f"technician_ids.{index}", "technician_not_in_team", "is not in the chosen team")
        return list(dict.fromkeys(i for i in ids if i is not None))

    async def _address(self, errors: Errors, raw: Any, order: Order | None) -> Address | None:
        if order is None:
            return None
        query = select(Address).where(Address.customer_id == order.customer_id, Address.deleted_at.is_(None))
        if raw not in (None, ""):
            ident = _uuid(raw)
            found = await self.session.scalar(query.where(Address.id == ident)) if ident else None
            if found is None:
                errors.add("address_id", "unknown_address", "is not an address of the order's customer")
            return found
        # The customer's installation address first, then the default one, then any.
        kind_first = func.array_position(["installation", "delivery"], Address.kind)
        found = await self.session.scalar(
            query.order_by(kind_first.nulls_last(), Address.is_default.desc(), Address.created_at).limit(1)
        )
        if found is None:
            errors.add("address_id", "no_address", "the customer has no address")
        return found

    def _not_past(self, errors: Errors, on: date | None) -> None:
        if on is not None and on < today():
            errors.add("scheduled_on", "in_the_past", "must be today or later")

    async def _room(self, team_id: uuid.UUID, on: date, slot: str, leaving: uuid.UUID | None = None) -> None:
        """Refuse when the team's slot is full. The capacity row is locked first: concurrent
        bookings of one team take turns, so the count below is the committed truth."""
        await self.session.execute(
            insert(TeamSlotCapacity).values(team_id=team_id, per_slot=None).on_conflict_do_nothing()
        )
        per_slot = await self.session.scalar(
            select(TeamSlotCapacity.per_slot).where(TeamSlotCapacity.team_id == team_id).with_for_update()
        )
        limit = per_slot if per_slot is not None else get_settings().booking_slot_capacity
        taken = await self.session.scalar(
            select(func.count())
            .select_from(Booking)
            .where(
                Booking.team_id == team_id,
                Booking.scheduled_on == on,
                Booking.slot == slot,
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.deleted_at.is_(None),
                *([Booking.id != leaving] if leaving else []),
            )
        )
        if int(taken or 0) >= limit:
            raise ValidationFailed(
                [
                    FieldError(
                        "slot", "slot_full", f"the team has {limit} visits per slot and this one is full"
                    )
                ]
            )

    async def _mobile(self, customer_id: uuid.UUID) -> str | None:
        return await self.session.scalar(select(Customer.mobile).where(Customer.id == customer_id))

    def _touch(self, booking: Booking) -> None:
        booking.version += 1
        booking.updated_by = self.actor.user_id
        booking.updated_at = datetime.now(UTC)

    def _audit_team(self, team_id: uuid.UUID, per_slot: int | None) -> None:
        from app.audit import service as audit

        audit.record(
            self.session,
            self.actor,
            entity="team",
            entity_id=team_id,
            action="update",
            before=None,
            after={"per_slot": per_slot},
        )

    async def snapshot(self, record: Booking) -> dict[str, Any]:
        names = ("number", "order_id", "kind", "scheduled_on", "slot", "team_id", "address", "status")
        data = {name: json_ready(getattr(record, name)) for name in names}
        data["technician_ids"] = [str(t) for t in record.technician_ids]
        data["failure_reason"] = record.failure_reason
        data["notes"] = record.notes
        data["version"] = record.version
        return data

    async def _tell(
        self, booking: Booking, what: str, technicians: Sequence[uuid.UUID], reason: str = ""
    ) -> None:
        """The customer by SMS (once per visit, move and version); new technicians in the app."""
        text = SMS_TEXTS.get(what)
        if text:
            body = text.format(
                dealer=self.dealer_name or "",
                kind=KIND_WORDS.get(booking.kind, ""),
                day=f"{booking.scheduled_on:%m月%d日}",
                slot=SLOT_WORDS.get(booking.slot, booking.slot),
                address=booking.address,
                number=booking.number,
                reason=reason,
            )
            await message_customer(
                self.session,
                booking.customer_id,
                booking.contact_phone,
                body,
                kind=f"booking.{what}",
                dedupe_key=f"booking:{booking.id}:{what}:{booking.version}",
            )
        if technicians:
            await notify(
                self.session,
                technicians,
                BOOKING_ASSIGNED,
                "Visit %(number)s on %(day)s",
                params={"number": booking.number, "day": booking.scheduled_on.isoformat()},
                link=f"/deliveries/{booking.id}",
                dedupe_key=f"booking:{booking.id}:{booking.version}",
            )
        events.emit(self.session, "booking.notified", {"id": str(booking.id), "what": what})


def _address_text(address: Address) -> str:
    parts = [address.province, address.city, address.district, address.detail]
    head = "".join(p for p in parts if p)
    who = " ".join(p for p in (address.recipient, address.phone) if p)
    return f"{head} {who}".strip()[:300]


def _uuid(raw: Any) -> uuid.UUID | None:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except (TypeError, ValueError):
        return None
