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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repo
from app.audit import service as audit
from app.customfields import service as custom_fields
from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from app.duplicates.policy import DuplicatePolicy, duplicate_policy
from app.events import service as events
from app.kit.duplicates import DuplicateFound, MatchCache, MatchRule, find_matches
from app.kit.fields import UNSET, Errors, Fields
from app.kit.memo import remembered
from app.kit.paging import BadCursor, Order, Page, keyset_page
from app.kit.registry import EntitySpec
from app.kit.scope import OwnerScope, ParentScope, Scope, owners_for
from app.settings import get_settings
from app.workflows import pipelines
from app.workflows import service as workflows
from app.workflows.errors import GuardFailed, NotAllowedTransition, refusal_text
from app.workflows.models import DEFAULT_KEY

M = TypeVar("M")


# Set on a session while ``batch`` runs: each verb is a savepoint and the batch commits.
BATCH = "kit.batch"


@asynccontextmanager
async def unit_of_work(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """Commit when the block ends; roll back when it raises (domain errors included). Inside a
    ``batch`` the verb is a savepoint instead: a failed one leaves the batch's other verbs intact."""
    if session.info.get(BATCH):
        async with session.begin_nested():
            yield session
        return
    try:
        yield session
    except BaseException:
        await session.rollback()
        raise
    await session.commit()


@asynccontextmanager
async def batch(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """Many verbs as one transaction (an import's chunk of rows): every verb that succeeded commits
    together when the block ends, nothing does when it raises."""
    session.info[BATCH] = True
    try:
        yield session
    except BaseException:
        await session.rollback()
        raise
    else:
        await session.commit()
    finally:
        session.info.pop(BATCH, None)


@dataclass
class Cleaned:
    """Checked input: declared fields, custom values with their search text, the stage."""

    values: dict[str, Any]
    custom: dict[str, Any] = field(default_factory=dict)
    search_text: list[str] = field(default_factory=list)
    stage: Any = UNSET
    workflow_key: str | None = None  # a new record's pipeline (``EntitySpec.workflow_key_field``)


@dataclass
class Built:
    """A new record as ``EntityService.build`` made it, not yet written."""

    record: Any
    values: dict[str, Any]
    duplicates_accepted: list[Any] = field(default_factory=list)
    snapshot: dict[str, Any] | None = None  # the audited view (bulk only)


def json_ready(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def unsaved(model: type, values: Mapping[str, Any]) -> Any:
    """A new ``model`` record holding ``values``, as ``model(**values)`` would hold them, without
    the ORM's change tracking of each attribute set (a tenth of an import's CPU): for the records
    ``build(bulk=True)`` makes, which ``app.kit.bulk_create`` writes from the values as set and
    which are never added to a session (a row updating one reads it back from the database)."""
    record = model.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    record.__dict__.update(values)
    return record


_columns: dict[type, frozenset[str]] = {}
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
    # A flag that exactly one live record per parent carries (a customer's primary contact, its
    # default address): the first record gets it, and a record given it takes it from the others.
    one_per_parent: ClassVar[str | None] = None
    # Duplicate control (app.kit.duplicates): rules checked on create and edit under the tenant's
    # policy; a service built with ``accept_duplicates`` saves past a "warn" policy's matches.
    duplicate_rules: ClassVar[tuple[MatchRule, ...]] = ()
    # An import may create this entity's records in bulk (``writes_in_bulk``): every row of a chunk
    # is built before any is written, so the entity opts in only when its hooks read nothing of its
    # own table that an earlier row of the chunk would have added (a least-loaded owner would).
    bulk_creates: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "spec" in cls.__dict__:
            _services[cls.spec.key] = cls

    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self._owners: list[uuid.UUID] | None | bool = False  # False: not looked up yet
        self.parent: Any = None  # a child's parent record, once create has checked it
        self.accept_duplicates = False  # the actor saw the duplicate warning and confirmed
        self.duplicates_accepted: list[Any] = []  # matches saved past a warning (audited)
        # An import's chunk: the duplicate rules' answers for all its rows, read at once.
        self.duplicate_cache: MatchCache | None = None

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

    def paging_errors(self, order: Order, first: int) -> list[FieldError]:
        """What is wrong with a list's sort order and page size (field errors, every list alike)."""
        size_max = get_settings().page_size_max
        errors: list[FieldError] = []
        if order.field not in self.sort_fields:
            allowed = ", ".join(self.sort_fields)
            errors.append(FieldError("orderBy", "invalid_choice", f"must be one of {allowed}"))
        if first < 1 or first > size_max:
            errors.append(FieldError("first", "out_of_range", f"must be between 1 and {size_max}"))
        return errors

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
        before: str | None = None,
    ) -> Page[M]:
        """One page of visible records matching ``conditions`` (after ``after``, or the page just
        before ``before``); bad paging input is a field error."""
        self.require("read")
        settings = get_settings()
        order = order or Order()
        errors = self.paging_errors(order, first)
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
                before=before,
                count_cap=settings.search_count_cap,
            )
        except BadCursor as exc:
            field = "before" if before and not after else "after"
            raise ValidationFailed([FieldError(field, "invalid_cursor", str(exc))]) from exc

    # -- hooks -----------------------------------------------------------------------------------

    async def before_create(self, values: dict[str, Any]) -> None:
        """Check references and fill in what the actor did not supply (raise ValidationFailed)."""

    async def before_update(self, record: M, values: dict[str, Any]) -> None:
        """Check a change before it is applied."""

    async def after_write(self, record: M, values: dict[str, Any], *, creating: bool) -> None:
        """Keep invariants across records (one primary contact...), inside the same transaction."""

    async def check_duplicates(self, values: dict[str, Any], record: M | None = None) -> None:
        """Refuse, or warn about (``DuplicateFound``), values that match another live record under
        ``duplicate_rules``; with the "warn" policy a confirmed write goes through and the audit
        record names what it matched."""
        if not self.duplicate_rules:
            return
        matches = await find_matches(
            self.session,
            self.duplicate_rules,
            values,
            record,
            await self.owners(),
            self.spec.title_of,
            self.model,
            cache=self.duplicate_cache,
        )
        if not matches:
            return
        policy = await remembered(self.session, "duplicate_policy", lambda: duplicate_policy(self.session))
        confirmable = policy is DuplicatePolicy.WARN
        if not (confirmable and self.accept_duplicates):
            raise DuplicateFound(matches, confirmable=confirmable)
        self.duplicates_accepted = matches

    async def options(self, name: str, parent_id: Any) -> list[tuple[str, str]] | None:
        """The records a reference field ``name`` may point to under this parent, as (id, title),
        for forms; None: the field is not offered on forms (the API still takes it)."""
        return None

    def index(self, record: M, extra_text: Sequence[str] = ()) -> None:
        """Fill search columns (entities with ``SearchMixin``); ``extra_text``: searchable custom values."""

    async def snapshot(self, record: M) -> dict[str, Any]:
        """The audited view: the declared fields and custom values, JSON-ready."""
        data = {name: json_ready(getattr(record, name)) for name in self.fields.types}
        if self.fields.division:
            data.update({k: getattr(record, k) for k in self.fields.division_keys})
        if self.spec.workflow_field:
            data[self.spec.workflow_field] = getattr(record, self.spec.workflow_field)
        for key, value in sorted((getattr(record, "custom", None) or {}).items()):
            data[f"custom.{key}"] = value
        data["version"] = getattr(record, "version", None)
        return data

    # -- input: declared fields, custom fields and the workflow stage, checked together ----------

    async def clean(self, raw: Mapping[str, Any], record: Any = None) -> Cleaned:
        """Every problem of the input at once: built-in fields, custom-field values (customizable
        entities) and the stage (workflow-driven entities, checked against the tenant's workflow)."""
        creating = record is None
        errors = Errors()
        stage_field = self.spec.workflow_field
        builtin = {k: v for k, v in raw.items() if k not in ("custom", stage_field)}
        values = self.fields.collect(builtin, creating=creating, errors=errors)
        cleaned = Cleaned(values=values)
        if self.spec.customizable:
            supplied = raw.get("custom")
            existing = None if creating else (record.custom or {})
            custom, problems, definitions = await custom_fields.clean_values(
                self.session, self.spec.key, supplied, existing, creating=creating
            )
            errors.items.extend(problems)
            cleaned.custom, cleaned.search_text = custom, custom_fields.search_texts(definitions, custom)
        if stage_field:
            if creating and self.spec.workflow_key_field:
                cleaned.workflow_key = await self._workflow_key(raw, errors)
            cleaned.stage = await self._stage(raw, creating, errors, cleaned.workflow_key)
        errors.raise_if_any()
        return cleaned

    async def _workflow_key(self, raw: Mapping[str, Any], errors: Errors) -> str | None:
        """A new record's pipeline: the one asked for (existing, not archived) or the default."""
        assert self.spec.workflow_key_field is not None
        requested = raw.get(self.spec.workflow_key_field)
        if requested is not None and not isinstance(requested, str):
            errors.add(self.spec.workflow_key_field, "unknown_pipeline", "is not a pipeline")
            return None
        try:
            # Once per import chunk (app.kit.memo), like the initial stage.
            return await remembered(
                self.session,
                ("workflow_key", self.spec.key, requested),
                lambda: pipelines.resolve(self.session, self.spec, requested),
            )
        except ValidationFailed as exc:
            errors.items.extend(exc.errors)
            return None

    async def _stage(
        self, raw: Mapping[str, Any], creating: bool, errors: Errors, key: str | None = None
    ) -> Any:
        """The stage a new record starts in (the workflow's first unless one is asked for), or the
        one an edit asks for (``UNSET``: left alone)."""
        field_name = self.spec.workflow_field or "state"
        requested = raw.get(field_name, UNSET)
        if requested is UNSET and not creating:
            return UNSET
        if requested in (None, "") and not creating:
            errors.add(field_name, "required", "is required")
            return UNSET
        if requested is not UNSET and requested not in (None, "") and not isinstance(requested, str):
            errors.add(field_name, "invalid_choice", "is not a stage of this workflow")
            return UNSET
        try:
            wanted = None if requested in (UNSET, None, "") else str(requested)
            # Once per import chunk (app.kit.memo): its first read holds the workflow's share lock.
            return await remembered(
                self.session,
                ("initial_state", self.spec.key, key, wanted),
                lambda: workflows.initial_state(self.session, self.spec, wanted, key or DEFAULT_KEY),
            )
        except ValidationFailed as exc:
            errors.items.extend(exc.errors)
            return UNSET

    async def _move(self, record: Any, stage: Any) -> None:
        """A stage changed by an edit is a workflow move like any other (allowed moves, guards met
        by the record as edited, entry actions, history); a refusal is an error on the field."""
        field_name = self.spec.workflow_field
        if field_name is None or stage is UNSET or stage == getattr(record, field_name):
            return
        current = getattr(record, field_name)
        try:
            await workflows.enter_state(self.session, self.actor, self.spec, record, current, str(stage))
        except (NotAllowedTransition, GuardFailed) as exc:
            raise ValidationFailed([FieldError(field_name, exc.code, refusal_text(exc))]) from exc

    # -- one flagged record per parent ------------------------------------------------------------

    async def _first_takes_the_flag(self, values: dict[str, Any]) -> None:
        flag, parent_field = self.one_per_parent, self.spec.parent_field
        if flag is None or parent_field is None:
            return
        model: Any = self.model
        sibling = await self.session.scalar(
            select(model.id)
            .where(getattr(model, parent_field) == values[parent_field], model.deleted_at.is_(None))
            .limit(1)
        )
        if sibling is None:
            values[flag] = True

    async def _flag_moves(self, record: Any, values: dict[str, Any]) -> None:
        flag, parent_field = self.one_per_parent, self.spec.parent_field
        if flag is None or parent_field is None or not values.get(flag):
            return
        model: Any = self.model
        await self.session.execute(
            update(model)
            .where(
                getattr(model, parent_field) == getattr(record, parent_field),
                model.id != record.id,
                getattr(model, flag).is_(True),
            )
            .values({flag: False})
        )

    # -- writes ----------------------------------------------------------------------------------

    def _audit(
        self, record: Any, action: str, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> None:
        if self.duplicates_accepted and after is not None and action in ("create", "update"):
            # Saved past a duplicate warning: the record says which records it matched.
            after = {**after, "duplicate_of": sorted({str(m.record_id) for m in self.duplicates_accepted})}
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

    async def _check_version(self, record: Any, version: int) -> None:
        if record.version != version:
            by = record.updated_by
            changer = await accounts_repo.user_by_id(self.session, by) if by else None
            raise VersionConflict(
                record.id, record.version, changer.name if changer else None, record.updated_at
            )

    async def create(self, raw: Mapping[str, Any]) -> M:
        self.require("create")
        async with unit_of_work(self.session):
            built = await self.build(raw)
            record: Any = built.record
            self.session.add(record)
            await self.session.flush()
            await self._flag_moves(record, built.values)
            await self.after_write(record, built.values, creating=True)
            self._audit(record, "create", None, await self.snapshot(record))
            self._emit(record, "created")
        return record  # type: ignore[no-any-return]

    async def build(self, raw: Mapping[str, Any], *, bulk: bool = False) -> Built:
        """Everything ``create`` does before it writes: the input checked (``ValidationFailed``),
        the parent, the hooks, the duplicate control, the record built and indexed. With ``bulk``
        (an import's chunk, written by ``app.kit.bulk_create``) the record gets its id here and
        its audited view is taken now, while the hooks' per-record state is this record's."""
        self.duplicates_accepted = []  # the matches of this record, not of the previous one
        cleaned = await self.clean(raw)
        values = cleaned.values
        if isinstance(self.scope, ParentScope):
            # A child is created only under a live parent the actor can see.
            self.parent = await self.live_parent(values[self.scope.foreign_key])
        await self.before_create(values)
        await self.check_duplicates(values)
        await self._first_takes_the_flag(values)
        extra: dict[str, Any] = {}
        if self.spec.customizable:
            extra["custom"] = cleaned.custom
        if self.spec.workflow_field:
            extra[self.spec.workflow_field] = cleaned.stage
        if self.spec.workflow_key_field and cleaned.workflow_key is not None:
            extra[self.spec.workflow_key_field] = cleaned.workflow_key
        if bulk:
            extra["id"] = uuid.uuid4()
        names = self.columns()
        columns = {k: v for k, v in values.items() if k in names}
        columns.update(extra, version=1, created_by=self.actor.user_id, updated_by=self.actor.user_id)
        record = unsaved(self.model, columns) if bulk else self.model(**columns)
        self.index(record, cleaned.search_text)
        built = Built(record, values, list(self.duplicates_accepted))
        if bulk:
            built.snapshot = await self.snapshot(record)
        return built

    @classmethod
    def writes_in_bulk(cls) -> bool:
        """Whether ``build`` + ``app.kit.bulk_create.write_built`` create records exactly as
        ``create`` does: only for an entity that opts in (``bulk_creates``), never for children
        (the parent's flag), nor for an entity whose ``after_write`` has no ``after_create_many``
        beside it, nor for duplicate rules without a batched form (``MatchRule.many``)."""
        hooks_batched = (
            cls.after_write is EntityService.after_write
            or cls.after_create_many is not EntityService.after_create_many
        )
        return (
            cls.bulk_creates
            and hooks_batched
            and not isinstance(cls.scope, ParentScope)
            and cls.one_per_parent is None
            and all(rule.many is not None for rule in cls.duplicate_rules)
        )

    async def after_create_many(self, built: Sequence[Built]) -> None:
        """``after_write`` for many new records at once, once they are inserted (an entity with
        its own ``after_write`` declares this to be written in bulk)."""
        for item in built:
            await self.after_write(item.record, item.values, creating=True)

    async def update(self, record_id: uuid.UUID, version: int, raw: Mapping[str, Any]) -> M:
        self.require("edit")
        async with unit_of_work(self.session):
            self.duplicates_accepted = []
            record: Any = await self._load(record_id, for_update=True)
            if record.deleted_at is not None:
                raise NotFound(self.spec.key, record_id)
            changes = {k: v for k, v in raw.items() if k not in self.create_only}
            cleaned = await self.clean(changes, record)
            await self._check_version(record, version)
            values = cleaned.values
            before = await self.snapshot(record)  # as stored, before any hook looks at the change
            await self.before_update(record, values)
            await self.check_duplicates(values, record)
            for name, value in values.items():
                if name in self.columns():
                    setattr(record, name, value)
            if self.spec.customizable:
                record.custom = cleaned.custom
            await self._move(record, cleaned.stage)
            record.version += 1
            record.updated_at = datetime.now(UTC)
            record.updated_by = self.actor.user_id
            self.index(record, cleaned.search_text)
            await self._flag_moves(record, values)
            await self.after_write(record, values, creating=False)
            self._audit(record, "update", before, await self.snapshot(record))
            self._emit(record, "updated", version=record.version)
        return record  # type: ignore[no-any-return]

    async def transition(
        self,
        record_id: uuid.UUID,
        to: str,
        version: int,
        note: str | None = None,
        *,
        extras: Mapping[str, Any] | None = None,
    ) -> M:
        """Move a record to another state of the tenant's workflow, given the version the caller
        read; refused with ``NotAllowedTransition`` (naming the allowed moves) or ``GuardFailed``
        (naming the missing field or the role needed). ``extras`` reach the state's
        module-registered entry actions (``app.workflows.actions``)."""
        self.require("edit")
        assert self.spec.workflow_field, f"{self.spec.key} runs on no workflow"
        async with unit_of_work(self.session):
            record: Any = await self._load(record_id, for_update=True)
            if record.deleted_at is not None:
                raise NotFound(self.spec.key, record_id)
            await self._check_version(record, version)
            await workflows.transition(
                self.session, self.actor, self.spec, record, to, version, note=note, extras=extras
            )
        return record  # type: ignore[no-any-return]

    @classmethod
    def columns(cls) -> frozenset[str]:
        """The model's column attributes (declared fields that are not columns, like tags, are the
        hooks' to store)."""
        found = _columns.get(cls.model)
        if found is None:  # once per model: every built or updated record asks
            mapper: Any = cls.model.__mapper__  # type: ignore[attr-defined]
            found = _columns[cls.model] = frozenset(c.key for c in mapper.column_attrs)
        return found

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
