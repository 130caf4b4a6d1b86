"""Consent changes on the customer's timeline: each audited give or withdraw is an entry of kind
``consent`` (purpose, channel and policy version from the audit record's snapshot)."""

from __future__ import annotations

from app.kit.enums import N_
from app.privacy.models import Consent
from app.timeline.sources import register_audited

KIND = "consent"

register_audited(KIND, Consent, source="consents", label=N_("Consents"), icon="consent", order=70)
