"""Sensitive fields (ID card and bank card numbers): save under consent, show masked, reveal with
permission, find by a full number. Declared per entity on the kit (``app.kit.sensitive``); the
values live sealed in ``sensitive_values``, never in the entity's row, its audit snapshots, logs
or list exports. Audit records name the fields touched, never a value.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.kit.fields import Errors
from app.kit.registry import entity as entity_spec
from app.kit.sensitive import SensitiveFields, register_exact_finder, sensitive_fields
from app.kit.service import service_for, unit_of_work
from app.privacy import consents
from app.privacy import repository as repo
from app.privacy.keys import existing_keyring, keyring


@dataclass(frozen=True)
class MaskedValue:
    field: str
    label: str  # msgid
    masked: str | None  # None: no value stored


def _declared(entity: str) -> SensitiveFields:
    declared = sensitive_fields(entity)
    if declared is None:
        raise NotFound(entity, "sensitive")
    return declared


def _context(entity: str, record_id: uuid.UUID, field: str) -> str:
    return f"{entity}:{record_id}:{field}"


async def _visible_record(session: AsyncSession, actor: Actor, entity: str, record_id: uuid.UUID) -> Any:
    """The record through its entity's service: its read permission and the actor's data scope."""
    return await service_for(entity)(session, actor).get(record_id)


def _require(actor: Actor, entity: str, action: str) -> None:
    spec = entity_spec(entity)
    permission = f"{spec.module if spec else entity}:{action}"
    if not actor.can(permission):
        raise PermissionDenied(permission)


async def masked_values(
    session: AsyncSession, actor: Actor, entity: str, record_id: uuid.UUID
) -> list[MaskedValue]:
    """Every declared sensitive field of a visible record, masked (None where nothing is stored)."""
    declared = _declared(entity)
    await _visible_record(session, actor, entity, record_id)
    stored = {v.field: v.masked for v in await repo.sensitive_values(session, entity, record_id)}
    return [MaskedValue(name, f.label, stored.get(name)) for name, f in declared.fields.items()]


async def save_sensitive(
    session: AsyncSession, actor: Actor, entity: str, record_id: uuid.UUID, values: Mapping[str, Any]
) -> list[MaskedValue]:
    """Set or clear (None or "") sensitive fields of a record. Every problem at once as field
    errors: an unknown field, a bad checksum, a value without the subject's consent in force."""
    declared = _declared(entity)
    _require(actor, entity, "edit")
    async with unit_of_work(session):
        record = await _visible_record(session, actor, entity, record_id)
        if getattr(record, "deleted_at", None) is not None:
            raise NotFound(entity, record_id)
        errors = Errors()
        cleaned: dict[str, str | None] = {}
        for name, raw in values.items():
            field_type = declared.fields.get(name)
            if field_type is None:
                errors.add(name, "unknown_field", "is not a sensitive field of this record")
                continue
            cleaned[name] = field_type.clean(errors, name, raw)
        setting = [name for name, value in cleaned.items() if value is not None]
        if setting and not errors.items:
            subject = declared.subject(record)
            if not await consents.has_consent(session, subject, declared.consent):
                for name in setting:
                    errors.add(
                        name,
                        "consent_required",
                        "needs the customer's separate consent to process sensitive personal data; "
                        "record it first",
                    )
        errors.raise_if_any()
        ring = await keyring(session) if setting else None
        now = datetime.now(UTC)
        for name, value in cleaned.items():
            if value is None:
                continue
            assert ring is not None
            ciphertext, version = ring.seal(value, _context(entity, record_id, name))
            await repo.upsert_sensitive(
                session,
                {
                    "entity": entity,
                    "record_id": record_id,
                    "field": name,
                    "ciphertext": ciphertext,
                    "search_hash": ring.digest(value, f"{entity}:{name}"),
                    "masked": declared.fields[name].mask(value),
                    "key_version": version,
                    "updated_at": now,
                    "updated_by": actor.user_id,
                },
            )
        cleared = await repo.delete_sensitive(
            session, entity, record_id, [n for n, v in cleaned.items() if v is None]
        )
        if setting or cleared:
            audit.record(
                session,
                actor,
                entity=entity,
                entity_id=record_id,
                action="sensitive_update",
                before=None,
                after={"set": sorted(setting), "cleared": sorted(cleared)},
            )
        stored = {v.field: v.masked for v in await repo.sensitive_values(session, entity, record_id)}
    return [MaskedValue(name, f.label, stored.get(name)) for name, f in declared.fields.items()]


async def reveal(session: AsyncSession, actor: Actor, entity: str, record_id: uuid.UUID, field: str) -> str:
    """The full value of one sensitive field, for holders of the module's ``reveal`` permission;
    every reveal is audited (who, when, which field, from which address)."""
    declared = _declared(entity)
    _require(actor, entity, "reveal")
    async with unit_of_work(session):
        await _visible_record(session, actor, entity, record_id)
        if field not in declared.fields:
            raise ValidationFailed(
                [FieldError("field", "unknown_field", "is not a sensitive field of this record")]
            )
        stored = await repo.sensitive_value(session, entity, record_id, field)
        if stored is None:
            raise ValidationFailed([FieldError("field", "no_value", "holds no value")])
        value = (await keyring(session)).open(stored.ciphertext, _context(entity, record_id, field))
        audit.record(
            session,
            actor,
            entity=entity,
            entity_id=record_id,
            action="reveal",
            before=None,
            after={"field": field},
        )
    return value


async def find_by_value(session: AsyncSession, actor: Actor, entity: str, field: str, raw: Any) -> list[Any]:
    """The visible records whose ``field`` holds exactly ``raw`` (a full ID number), through the
    keyed hash: nothing is decrypted, and a partial number finds nothing."""
    declared = _declared(entity)
    field_type = declared.fields.get(field)
    if field_type is None:
        raise ValidationFailed([FieldError("field", "unknown_field", "is not a sensitive field")])
    errors = Errors()
    value = field_type.clean(errors, "value", raw)
    errors.raise_if_any()
    if value is None:
        return []
    service = service_for(entity)(session, actor)
    service.require("read")
    ids = await repo.records_by_hash(
        session, entity, field, (await keyring(session)).digest(value, f"{entity}:{field}")
    )
    found = []
    for record_id in ids:
        try:
            found.append(await service.get(record_id))
        except NotFound:
            continue  # out of scope reads like absent
    return found


async def forget_subject(session: AsyncSession, actor: Actor, customer_id: uuid.UUID) -> list[str]:
    """Delete a customer's sensitive values inside the caller's transaction (consent withdrawn,
    erasure); audited when anything was stored."""
    cleared = await repo.delete_sensitive(session, "customer", customer_id)
    if cleared:
        audit.record(
            session,
            actor,
            entity="customer",
            entity_id=customer_id,
            action="sensitive_update",
            before=None,
            after={"set": [], "cleared": sorted(cleared)},
        )
    return cleared


async def plaintexts_for_export(session: AsyncSession, entity: str, record_id: uuid.UUID) -> dict[str, str]:
    """The person's own values, for their data-subject export (the caller checked ``privacy:manage``)."""
    stored = await repo.sensitive_values(session, entity, record_id)
    if not stored:
        return {}
    ring = await keyring(session)
    return {v.field: ring.open(v.ciphertext, _context(entity, record_id, v.field)) for v in stored}


async def reencrypt_batch(session: AsyncSession, newest: int, limit: int) -> int:
    """Seal up to ``limit`` values still under an older data key version with the newest (one
    transaction; the caller commits). Returns how many moved."""
    rows = await repo.older_than(session, newest, limit)
    if not rows:
        return 0
    ring = await keyring(session)
    for row in rows:
        context = _context(row.entity, row.record_id, row.field)
        row.ciphertext, row.key_version = ring.seal(ring.open(row.ciphertext, context), context)
    return len(rows)


async def _exact_ids(session: AsyncSession, entity: str, query: str) -> list[uuid.UUID]:
    """The global search's hook: a query that is a valid value of a sensitive field (a full ID
    number) finds its records by keyed hash; anything else finds nothing here."""
    declared = sensitive_fields(entity)
    if declared is None:
        return []
    ring = None
    found: list[uuid.UUID] = []
    for name, field_type in declared.fields.items():
        errors = Errors()
        value = field_type.clean(errors, name, query)
        if value is None or errors.items:
            continue
        ring = ring or await existing_keyring(session)
        if ring is None:
            return []
        found += await repo.records_by_hash(session, entity, name, ring.digest(value, f"{entity}:{name}"))
    return found


register_exact_finder(_exact_ids)
