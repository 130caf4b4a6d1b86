"""Personal data (PIPL) declared to the kit: the ``privacy`` permission module and the audited
entities (consents, data-subject exports) with their actions' labels."""

from __future__ import annotations

from app.kit.enums import N_
from app.kit.permissions import register_module
from app.kit.registry import EntitySpec, register
from app.privacy.fields import ConsentChannel, ConsentPurpose
from app.privacy.models import Consent, SubjectExport

PRIVACY_MANAGE = "privacy:manage"


def _purpose_label(purpose: str) -> str:
    member = ConsentPurpose.parse(purpose)
    return member.label if member is not None else purpose


MODULE = register_module(
    "privacy",
    N_("Personal data"),
    ("manage",),
    {"manage": N_("Export and erase a person's data, set the retention rule")},
)

CONSENT = register(
    EntitySpec(
        key="consent",
        label=N_("Consent"),
        plural=N_("Consents"),
        module="customers",
        model=Consent,
        fields={
            "purpose": N_("Purpose"),
            "channel": N_("Channel"),
            "policy_version": N_("Privacy policy version"),
            "withdrawn_at": N_("Withdrawn"),
        },
        choices={"purpose": ConsentPurpose, "channel": ConsentChannel},
        actions={"give": N_("Consent given"), "withdraw": N_("Consent withdrawn")},
        page="/customers/{customer_id}",
        title=lambda c: _purpose_label(c.purpose),
        staff_fields=(),
    )
)

SUBJECT_EXPORT = register(
    EntitySpec(
        key="subject_export",
        label=N_("Personal data export"),
        plural=N_("Personal data exports"),
        module="privacy",
        model=SubjectExport,
        actions={"request": N_("Requested"), "download": N_("Downloaded")},
        title=lambda e: str(e.id),
        staff_fields=(),
    )
)

PRIVACY_SETTINGS = register(
    EntitySpec(
        key="privacy_settings",
        label=N_("Retention rule"),
        plural=N_("Retention rules"),
        module="privacy",
        fields={"retention_years": N_("Anonymise customers inactive for (years)")},
        staff_fields=(),
    )
)

from app.privacy import sensitive as _sensitive  # noqa: E402,F401  (the global search's exact-value hook)
from app.privacy import timeline as _timeline  # noqa: E402,F401  (registers the consent kind)
