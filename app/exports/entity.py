"""Exports as the audit log shows them (who took which list out, with which filter)."""

from __future__ import annotations

from app.kit.enums import N_
from app.kit.registry import EntitySpec, register

EXPORT = register(
    EntitySpec(
        key="export",
        label=N_("Export"),
        plural=N_("Exports"),
        module="customers",
        page="/exports",
        staff_fields=(),
    )
)
