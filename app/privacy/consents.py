"""Consents per customer and purpose (PIPL art. 14, 29): given with a time, channel and privacy
policy version, withdrawn at any time; each change audited and on the customer's timeline.

Withdrawing the "sensitive data" consent also deletes the customer's sensitive values (PIPL art.
47: personal information is deleted when consent is withdrawn), in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.permissions import CUSTOMERS_EDIT
from app.audit import service as audit
from app.customers.service import CustomerService
from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.kit.fields import Errors
from app.kit.service import unit_of_work
from app.privacy import repository as repo
from app.privacy.fields import POLICY_VERSION_MAX, ConsentChannel, ConsentPurpose
from app.privacy.models import Consent

ENTITY = "consent"


def snapshot(consent: Consent) -> dict[str, Any]:
    return {
        "customer_id": str(consent.customer_id),
        "purpose": consent.purpose,
        "channel": consent.channel,
        "policy_version": consent.policy_version,
        "withdrawn": consent.withdrawn_at is not None,
        "withdraw_channel": consent.withdraw_channel,
    }


def _require(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(permission)


async def consents_of(session: AsyncSession, actor: Actor, customer_id: uuid.UUID) -> list[Consent]:
    """Every consent of a customer the actor can see, newest first (withdrawn ones included)."""
    await CustomerService(session, actor).get(customer_id)
    return list(await repo.consents(session, [customer_id]))


async def consents_by_customer(
    session: AsyncSession, customer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Consent]]:
    """Batched for GraphQL lists: the caller has already checked every customer's visibility."""
    found: dict[uuid.UUID, list[Consent]] = {cid: [] for cid in customer_ids}
    for consent in await repo.consents(session, list(customer_ids)):
        found[consent.customer_id].append(consent)
    return found


async def has_consent(session: AsyncSession, customer_id: uuid.UUID, purpose: str) -> bool:
    return await repo.active_consent(session, customer_id, purpose) is not None


def _clean(purpose: Any, channel: Any, policy_version: Any) -> tuple[str, str, str]:
    errors = Errors()
    parsed_purpose = ConsentPurpose.parse(purpose)
    if parsed_purpose is None:
        errors.add("purpose", "invalid_choice", f"must be one of {', '.join(ConsentPurpose.values())}")
    parsed_channel = ConsentChannel.parse(channel)
    if parsed_channel is None:
        errors.add("channel", "invalid_choice", f"must be one of {', '.join(ConsentChannel.values())}")
    version = policy_version.strip() if isinstance(policy_version, str) else ""
    if not version:
        errors.add("policy_version", "required", "is required (the version of the privacy policy shown)")
    elif len(version) > POLICY_VERSION_MAX:
        errors.add("policy_version", "too_long", f"must be at most {POLICY_VERSION_MAX} characters")
    errors.raise_if_any()
    assert parsed_purpose is not None and parsed_channel is not None
    return parsed_purpose.value, parsed_channel.value, version


async def record_consent(
    session: AsyncSession,
    actor: Actor,
    customer_id: uuid.UUID,
    purpose: Any,
    channel: Any,
    policy_version: Any,
) -> Consent:
    """Record that the customer consented to ``purpose``; a consent already in force is refused
    (withdraw it first: each consent is one piece of evidence)."""
    _require(actor, CUSTOMERS_EDIT)
    async with unit_of_work(session):
        customer = await CustomerService(session, actor).get(customer_id)
        if customer.deleted_at is not None:
            raise NotFound("customer", customer_id)
        purpose_key, channel_key, version = _clean(purpose, channel, policy_version)
        if await repo.active_consent(session, customer_id, purpose_key, for_update=True) is not None:
            raise ValidationFailed(
                [
                    FieldError(
                        "purpose", "already_given", "this consent is already in force; withdraw it first"
                    )
                ]
            )
        consent = Consent(
            customer_id=customer_id,
            purpose=purpose_key,
            channel=channel_key,
            policy_version=version,
            given_at=datetime.now(UTC),
            given_by=actor.user_id,
        )
        session.add(consent)
        await session.flush()
        audit.record(
            session,
            actor,
            entity=ENTITY,
            entity_id=consent.id,
            action="give",
            before=None,
            after=snapshot(consent),
        )
    return consent


async def withdraw_consent(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, purpose: Any, channel: Any
) -> Consent:
    """Withdraw the customer's consent in force for ``purpose`` (refused when there is none)."""
    from app.privacy import sensitive  # sensitive checks consents through this module

    _require(actor, CUSTOMERS_EDIT)
    async with unit_of_work(session):
        await CustomerService(session, actor).get(customer_id)
        errors = Errors()
        parsed_purpose = ConsentPurpose.parse(purpose)
        parsed_channel = ConsentChannel.parse(channel)
        if parsed_purpose is None:
            errors.add("purpose", "invalid_choice", f"must be one of {', '.join(ConsentPurpose.values())}")
        if parsed_channel is None:
            errors.add("channel", "invalid_choice", f"must be one of {', '.join(ConsentChannel.values())}")
        errors.raise_if_any()
        assert parsed_purpose is not None and parsed_channel is not None
        consent = await repo.active_consent(session, customer_id, parsed_purpose.value, for_update=True)
        if consent is None:
            raise ValidationFailed(
                [FieldError("purpose", "not_given", "no consent for this purpose is in force")]
            )
        before = snapshot(consent)
        consent.withdrawn_at = datetime.now(UTC)
        consent.withdrawn_by = actor.user_id
        consent.withdraw_channel = parsed_channel.value
        audit.record(
            session,
            actor,
            entity=ENTITY,
            entity_id=consent.id,
            action="withdraw",
            before=before,
            after=snapshot(consent),
        )
        if parsed_purpose is ConsentPurpose.SENSITIVE_DATA:
            await sensitive.forget_subject(session, actor, customer_id)
    return consent


async def consent_by_id(session: AsyncSession, consent_id: uuid.UUID) -> Consent | None:
    return await session.scalar(select(Consent).where(Consent.id == consent_id))
