"""Consent changes on the customer's timeline: each audited give or withdraw is an entry of kind
``consent`` (purpose, channel and policy version from the audit record's snapshot)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, String, cast, func, literal, select

from app.audit.models import AuditRecord
from app.kit.enums import N_
from app.privacy.models import Consent
from app.timeline.registry import EntryKind, TimelineSource, register_kind, register_source
from app.timeline.sources import entry_id

KIND = "consent"


def _consent_rows(customer_id: uuid.UUID, wanted: frozenset[str]) -> Select[Any]:
    return (
        select()
        .select_from(AuditRecord)
        .join(Consent, cast(Consent.id, String) == AuditRecord.entity_id)
        .where(AuditRecord.entity == KIND, Consent.customer_id == customer_id)
        .add_columns(
            entry_id("consent:", AuditRecord.id).label("id"),
            AuditRecord.at.label("at"),
            literal(KIND).label("kind"),
            AuditRecord.actor_id.label("actor_id"),
            AuditRecord.actor_label.label("actor_label"),
            func.jsonb_build_object(
                "entity",
                AuditRecord.entity,
                "entity_id",
                AuditRecord.entity_id,
                "action",
                AuditRecord.action,
                "before",
                AuditRecord.before,
                "after",
                AuditRecord.after,
            ).label("data"),
        )
    )


register_source(TimelineSource("consents", _consent_rows))
register_kind(EntryKind(KIND, N_("Consents"), "consent", source="consents", order=70))
