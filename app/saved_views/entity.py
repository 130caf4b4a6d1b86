"""Saved views as the audit log shows them."""

from __future__ import annotations

from app.kit.enums import N_
from app.kit.registry import EntitySpec, register

SPEC = register(
    EntitySpec(
        key="saved_view",
        label=N_("Saved view"),
        plural=N_("Saved views"),
        module="customers",
        fields={
            "name": N_("Name"),
            "visibility": N_("Shared with"),
            "filters": N_("Filters"),
            "sort": N_("Sort by"),
            "columns": N_("Columns"),
        },
        staff_fields=(),
    )
)
