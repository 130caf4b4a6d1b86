"""The verbs every entity has, written once: get, list, create, update, delete, restore.

Each verb owns its unit of work: permission check, scope, validation, write, audit record, domain
event, commit — and rollback when anything raises, so no caller rolls back by hand and the web
admin and GraphQL answer alike (an out-of-scope record is ``NotFound`` in both).

An entity subclasses ``EntityService`` with its declarations (spec, model, fields, scope) and
overrides only the hooks where its rules differ (``before_create``, ``before_update``,
``after_write``, ``snapshot``, ``index``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repo
from app.audit import service as audit
from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from app.events import service as events
from app.kit.fields import Fields
from app.kit.paging import BadCursor, Order, Page, keyset_page
from app.kit.registry import EntitySpec
from app.kit.scope import OwnerScope, ParentScope, Scope, owners_for
from app.settings import get_settings

M = TypeVar("M")


@asynccontextmanager
async def unit_of_work(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """Commit when the block ends; roll back when it raises (domain errors included)."""
    try:
        yield session
    except BaseException:
        await session.rollback()
        raise
    await session.commit()


def json_ready(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


_services: dict[str, type[EntityService[Any]]] = {}


def service_for(key: str) -> type[EntityService[Any]]:
    """The service class declared for entity ``key`` (web and GraphQL kits build on it)."""
    return _services[key]


class EntityService(Generic[M]):
    spec: ClassVar[EntitySpec]
    model: ClassVar[type]
    fields: ClassVar[Fields]
    scope: ClassVar[Scope] = OwnerScope()
    # Fields set at creation only (a contact's customer): ignored on update.
    create_only: ClassVar[tuple[str, ...]] = ()
    sort_fields: ClassVar[tuple[str, ...]] = ("created_at", "updated_at")

    # How a parent's page lists this entity's records (children only).
    section_order_by: ClassVar[tuple[str, ...]] = ("created_at",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "spec" in cls.__dict__:
            _services[cls.spec.key] = cls

    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self._owners: list[uuid.UUID] | None | bool = False  # False: not looked up yet

    # -- permission and scope --------------------------------------------------------------------

    def require(self, action: str) -> None:
        permission = f"{self.spec.module}:{action}"
        if not self.actor.can(permission):
            raise PermissionDenied(permission)

    async def owners(self) -> list[uuid.UUID] | None:
        if self._owners is False:
            self._owners = await owners_for(self.session, self.actor)
        return self._owners  # type: ignore[return-value]

    async def visible(self, query: Select[Any]) -> Select[Any]:
        return query.where(self.scope.condition(self.model, await self.owners()))

    async def _load(self, record_id: uuid.UUID, *, for_update: bool = False) -> M:
        query = await self.visible(select(self.model).where(self.model.id == record_id))  # type: ignore[attr-defined]
        if for_update:
            query = query.with_for_update()
        record = await self.session.scalar(query)
        if record is None:
            # Out of scope reads exactly like absent: no hint that the record exists.
            raise NotFound(self.spec.key, record_id)
        return record  # type: ignore[no-any-return]

    async def live_parent(self, parent_id: Any) -> Any:
        """The live parent record the actor can see (``ParentScope`` entities), or a field error on
        the foreign key: an invisible parent reads exactly like an absent one."""
        scope = self.scope
        assert isinstance(scope, ParentScope), "only entities scoped through a parent have one"
        parent_model = scope.parent_model
        parent = await self.session.scalar(
            select(parent_model).where(
                parent_model.id == parent_id, scope.parent_scope.condition(parent_model, await self.owners())
            )
        )
        if parent is None or getattr(parent, "deleted_at", None) is not None:
            raise ValidationFailed(
                [FieldError(scope.foreign_key, f"unknown_{scope.parent_key}", "is not a record you can see")]
            )
        return parent

    # -- reads -----------------------------------------------------------------------------------

    async def for_parent(self, parent_id: Any) -> list[M]:
        """The live records of one parent (a customer's contacts), in section order."""
        return (await self.for_parents([parent_id]))[parent_id]

    async def for_parents(self, parent_ids: Sequence[Any]) -> dict[Any, list[M]]:
        """The live records of many parents in one query (GraphQL lists batch through this)."""
        self.require("read")
        assert self.spec.parent_field, f"{self.spec.key} has no parent"
        column = getattr(self.model, self.spec.parent_field)
        query = await self.visible(
            select(self.model).where(column.in_(list(parent_ids)), self.model.deleted_at.is_(None))  # type: ignore[attr-defined]
        )
        order = []
        for name in self.section_order_by:
            col = getattr(self.model, name.lstrip("-"))
            order.append(col.desc() if name.startswith("-") else col.asc())
        found: dict[Any, list[M]] = {parent_id: [] for parent_id in parent_ids}
        for record in (await self.session.scalars(query.order_by(*order))).all():
            found.setdefault(getattr(record, self.spec.parent_field), []).append(record)
        return found

    async def get(self, record_id: uuid.UUID) -> M:
        self.require("read")
        return await self._load(record_id)

    async def page(
        self,
        conditions: Sequence[ColumnElement[bool]] = (),
        *,
        order: Order | None = None,
        first: int = 20,
        after: str | None = None,
        trashed: bool = False,
    ) -> Page[M]:
        """One page of visible records matching ``conditions``; bad paging input is a field error."""
        self.require("read")
        settings = get_settings()
        order = order or Order()
        errors: list[FieldError] = []
        if order.field not in self.sort_fields:
            errors.append(
                FieldError("orderBy", "invalid_choice", f"must be one of {', '.join(self.sort_fields)}")
            )
        if first < 1 or first > settings.page_size_max:
            errors.append(
                FieldError("first", "out_of_range", f"must be between 1 and {settings.page_size_max}")
            )
        if errors:
            raise ValidationFailed(errors)
        deleted = self.model.deleted_at  # type: ignore[attr-defined]
        query = await self.visible(
            select(self.model).where(deleted.is_not(None) if trashed else deleted.is_(None), *conditions)
        )
        try:
            return await keyset_page(
                self.session,
                query,
                self.model,
                order,
                limit=first,
                after=after,
                count_cap=settings.search_count_cap,
            )
        except BadCursor as exc:
            raise ValidationFailed([FieldError("after", "invalid_cursor", str(exc))]) from exc

    # -- hooks -----------------------------------------------------------------------------------

    async def before_create(self, values: dict[str, Any]) -> None:
        """Check references and fill in what the actor did not supply (raise ValidationFailed)."""

    async def before_update(self, record: M, values: dict[str, Any]) -> None:
        """Check a change before it is applied."""

    async def after_write(self, record: M, values: dict[str, Any], *, creating: bool) -> None:
        """Keep invariants across records (one primary contact...), inside the same transaction."""

    def index(self, record: M) -> None:
        """Fill search columns (entities with ``SearchMixin``)."""

    def snapshot(self, record: M) -> dict[str, Any]:
        """The audited view: the declared fields and custom values, JSON-ready."""
        data = {name: json_ready(getattr(record, name)) for name in self.fields.types}
        if self.fields.division:
            data.update({k: getattr(record, k) for k in ("province", "city", "district")})
        custom = getattr(record, "custom", None)
        if custom:
            data.update({f"custom.{k}": v for k, v in custom.items()})
        data["version"] = getattr(record, "version", None)
        return data

    # -- writes ----------------------------------------------------------------------------------

    def _audit(
        self, record: Any, action: str, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> None:
        audit.record(
            self.session,
            self.actor,
            entity=self.spec.key,
            entity_id=record.id,
            action=action,
            before=before,
            after=after,
        )

    def _emit(self, record: Any, verb: str, **extra: Any) -> None:
        events.emit(self.session, f"{self.spec.key}.{verb}", {"id": str(record.id), **extra})

    async def create(self, raw: Mapping[str, Any]) -> M:
        self.require("create")
        async with unit_of_work(self.session):
            values = self.fields.clean(raw, creating=True)
            await self.before_create(values)
            record = self.model(
                **values, version=1, created_by=self.actor.user_id, updated_by=self.actor.user_id
            )
            self.index(record)
            self.session.add(record)
            await self.session.flush()
            await self.after_write(record, values, creating=True)
            self._audit(record, "create", None, self.snapshot(record))
            self._emit(record, "created")
        return record

    async def update(self, record_id: uuid.UUID, version: int, raw: Mapping[str, Any]) -> M:
        self.require("edit")
        async with unit_of_work(self.session):
            changes = {k: v for k, v in raw.items() if k not in self.create_only}
            values = self.fields.clean(changes, creating=False)
            record: Any = await self._load(record_id, for_update=True)
            if record.deleted_at is not None:
                raise NotFound(self.spec.key, record_id)
            if record.version != version:
                changer = (
                    await accounts_repo.user_by_id(self.session, record.updated_by)
                    if record.updated_by
                    else None
                )
                raise VersionConflict(
                    record_id, record.version, changer.name if changer else None, record.updated_at
                )
            await self.before_update(record, values)
            before = self.snapshot(record)
            for name, value in values.items():
                setattr(record, name, value)
            record.version += 1
            record.updated_at = datetime.now(UTC)
            record.updated_by = self.actor.user_id
            self.index(record)
            await self.after_write(record, values, creating=False)
            self._audit(record, "update", before, self.snapshot(record))
            self._emit(record, "updated", version=record.version)
        return record  # type: ignore[no-any-return]

    async def delete(self, record_id: uuid.UUID) -> M:
        """Soft delete: the record moves to the recycle bin and can be restored."""
        return await self._set_deleted(record_id, deleted=True)

    async def restore(self, record_id: uuid.UUID) -> M:
        return await self._set_deleted(record_id, deleted=False)

    async def before_delete(self, record: M, *, deleted: bool) -> None:
        """Refuse or prepare a move to or from the recycle bin."""

    async def _set_deleted(self, record_id: uuid.UUID, *, deleted: bool) -> M:
        self.require("delete")
        async with unit_of_work(self.session):
            record: Any = await self._load(record_id, for_update=True)
            if (record.deleted_at is not None) == deleted:
                return record  # type: ignore[no-any-return]  # already there: nothing changes
            await self.before_delete(record, deleted=deleted)
            now = datetime.now(UTC)
            record.deleted_at = now if deleted else None
            record.deleted_by = self.actor.user_id if deleted else None
            record.version += 1
            record.updated_at = now
            record.updated_by = self.actor.user_id
            action = "delete" if deleted else "restore"
            self._audit(record, action, {"deleted": not deleted}, {"deleted": deleted})
            self._emit(record, f"{action}d")
        return record  # type: ignore[no-any-return]
