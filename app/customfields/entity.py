"""Custom-field definitions as the audit log shows them."""

from __future__ import annotations

from app.kit.enums import N_
from app.kit.registry import EntitySpec, register

CUSTOM_FIELD = register(
    EntitySpec(
        key="custom_field",
        label=N_("Custom field"),
        plural=N_("Custom fields"),
        module="settings",
        page="/settings/custom-fields/{id}/edit",
        staff_fields=(),
    )
)
