"""The generic entity test case: what every business entity must do, declared once.

An entity's test module subclasses ``EntityServiceCases`` and fills in its data (how to call its
service, a valid input, bad inputs and the errors they must give). It then inherits the cases that
every entity owes: create/read/update/soft-delete/restore with an audit record each, every bad
input refused with field errors and nothing written, the permission and data-scope rules of the
roles, stale versions refused, and another tenant seeing nothing. New modules (orders, tickets...)
declare their data the same way, so nothing new ships untested by accident.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditRecord
from app.domain import Actor, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from app.kit.service import EntityService

Service = Callable[..., Awaitable[Any]]


class EntityServiceCases:
    entity: ClassVar[str]
    model: ClassVar[type]
    input_type: ClassVar[type]
    create: ClassVar[Service]  # (session, actor, input) -> obj
    get: ClassVar[Service]  # (session, actor, id) -> obj
    update: ClassVar[Service]  # (session, actor, id, version, input) -> obj
    delete: ClassVar[Service]  # (session, actor, id) -> obj
    restore: ClassVar[Service]  # (session, actor, id) -> obj
    list_ids: ClassVar[Callable[[AsyncSession, Actor], Awaitable[set[uuid.UUID]]]]
    valid_input: ClassVar[dict[str, Any]]
    update_input: ClassVar[dict[str, Any]]
    bad_inputs: ClassVar[list[tuple[dict[str, Any], set[tuple[str, str]]]]]
    # Who may do what, by the cast's keys (see crm_testkit).
    writer: ClassVar[str] = "sales_a"
    deleter: ClassVar[str] = "manager_a"
    read_only: ClassVar[str] = "viewer"
    # The writer's record is visible to these and invisible to those.
    sees_writers_record: ClassVar[tuple[str, ...]] = ("sales_a", "manager_a", "admin", "owner")
    blind_to_writers_record: ClassVar[tuple[str, ...]] = ("sales_b", "manager_b")

    async def _call(self, app: Litestar, kit: TenantKit, who: str, fn: Service, *args: Any) -> Any:
        async with app.state.db.tenant_session(kit.schema) as session:
            return await fn(session, await actor(app, kit, who), *args)

    async def context(self, app: Litestar, kit: TenantKit) -> dict[str, Any]:
        """Values every input needs that exist only per tenant (a child's parent record)."""
        return {}

    async def _valid(self, app: Litestar, kit: TenantKit, **changes: Any) -> Any:
        return self.input_type(**{**self.valid_input, **await self.context(app, kit), **changes})

    async def _make(self, app: Litestar, kit: TenantKit) -> Any:
        return await self._call(app, kit, self.writer, type(self).create, await self._valid(app, kit))

    async def _rows(self, app: Litestar, kit: TenantKit) -> int:
        async with app.state.db.tenant_session(kit.schema) as session:
            return int(await session.scalar(select(func.count()).select_from(self.model)) or 0)

    async def _actions(self, app: Litestar, kit: TenantKit, entity_id: uuid.UUID) -> list[str]:
        async with app.state.db.tenant_session(kit.schema) as session:
            query = select(AuditRecord.action).where(
                AuditRecord.entity == self.entity, AuditRecord.entity_id == str(entity_id)
            )
            return list((await session.scalars(query.order_by(AuditRecord.id))).all())

    async def test_lifecycle_is_audited_step_by_step(self, app: Litestar, tenant: TenantKit) -> None:
        obj = await self._make(app, tenant)
        fetched = await self._call(app, tenant, self.writer, type(self).get, obj.id)
        assert fetched.id == obj.id
        updated = await self._call(
            app,
            tenant,
            self.writer,
            type(self).update,
            obj.id,
            obj.version,
            self.input_type(**self.update_input),
        )
        assert updated.version == obj.version + 1
        for name, value in self.update_input.items():
            assert getattr(updated, name) == value, name
        await self._call(app, tenant, self.deleter, type(self).delete, obj.id)
        await self._call(app, tenant, self.deleter, type(self).restore, obj.id)
        assert await self._actions(app, tenant, obj.id) == ["create", "update", "delete", "restore"]

    async def test_bad_input_is_refused_field_by_field_and_nothing_is_written(
        self, app: Litestar, tenant: TenantKit
    ) -> None:
        before = await self._rows(app, tenant)
        for fields, expected in self.bad_inputs:
            with pytest.raises(ValidationFailed) as caught:
                await self._call(
                    app,
                    tenant,
                    self.writer,
                    type(self).create,
                    await self._valid(app, tenant, **fields),
                )
            assert {(e.field, e.code) for e in caught.value.errors} == expected, fields
        assert await self._rows(app, tenant) == before

    async def test_read_only_roles_cannot_write(self, app: Litestar, tenant: TenantKit) -> None:
        with pytest.raises(PermissionDenied):
            await self._call(app, tenant, self.read_only, type(self).create, await self._valid(app, tenant))
        obj = await self._make(app, tenant)
        with pytest.raises(PermissionDenied):
            await self._call(
                app,
                tenant,
                self.writer if self.writer != self.deleter else self.read_only,
                type(self).delete,
                obj.id,
            )

    async def test_data_scope_decides_who_sees_the_record(self, app: Litestar, tenant: TenantKit) -> None:
        obj = await self._make(app, tenant)
        for who in self.sees_writers_record:
            async with app.state.db.tenant_session(tenant.schema) as session:
                assert obj.id in await type(self).list_ids(session, await actor(app, tenant, who)), who
            assert (await self._call(app, tenant, who, type(self).get, obj.id)).id == obj.id
        for who in self.blind_to_writers_record:
            async with app.state.db.tenant_session(tenant.schema) as session:
                assert obj.id not in await type(self).list_ids(session, await actor(app, tenant, who)), who
            with pytest.raises(NotFound):
                await self._call(app, tenant, who, type(self).get, obj.id)
            with pytest.raises(NotFound):
                await self._call(
                    app,
                    tenant,
                    who,
                    type(self).update,
                    obj.id,
                    obj.version,
                    self.input_type(**self.update_input),
                )

    async def test_a_stale_version_is_refused(self, app: Litestar, tenant: TenantKit) -> None:
        obj = await self._make(app, tenant)
        await self._call(
            app,
            tenant,
            self.writer,
            type(self).update,
            obj.id,
            obj.version,
            self.input_type(**self.update_input),
        )
        with pytest.raises(VersionConflict):
            await self._call(
                app,
                tenant,
                self.writer,
                type(self).update,
                obj.id,
                obj.version,
                self.input_type(**self.update_input),
            )

    async def test_another_tenant_sees_nothing(
        self, app: Litestar, tenant: TenantKit, other_tenant: TenantKit
    ) -> None:
        obj = await self._make(app, tenant)
        with pytest.raises(NotFound):
            await self._call(app, other_tenant, "owner", type(self).get, obj.id)
        async with app.state.db.tenant_session(other_tenant.schema) as session:
            assert obj.id not in await type(self).list_ids(session, await actor(app, other_tenant, "owner"))


class KitEntityCases(EntityServiceCases):
    """The same cases for an entity declared on the kit: set ``service`` (an ``EntityService``
    subclass) and the data; the verbs, model and entity key come from it."""

    service: ClassVar[type[EntityService[Any]]]
    input_type = dict

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        svc = cls.__dict__.get("service")
        if svc is None:
            return
        cls.entity = svc.spec.key
        cls.model = svc.model

        async def create(session: AsyncSession, who: Actor, data: dict[str, Any]) -> Any:
            return await svc(session, who).create(data)

        async def get(session: AsyncSession, who: Actor, record_id: uuid.UUID) -> Any:
            return await svc(session, who).get(record_id)

        async def update(
            session: AsyncSession, who: Actor, record_id: uuid.UUID, version: int, data: dict[str, Any]
        ) -> Any:
            return await svc(session, who).update(record_id, version, data)

        async def delete(session: AsyncSession, who: Actor, record_id: uuid.UUID) -> Any:
            return await svc(session, who).delete(record_id)

        async def restore(session: AsyncSession, who: Actor, record_id: uuid.UUID) -> Any:
            return await svc(session, who).restore(record_id)

        async def list_ids(session: AsyncSession, who: Actor) -> set[uuid.UUID]:
            page = await svc(session, who).page(first=100)
            return {r.id for r in page.items}

        for verb in (create, get, update, delete, restore, list_ids):
            setattr(cls, verb.__name__, staticmethod(verb))
