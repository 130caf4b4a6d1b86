"""Roles as the audit log shows them."""

from __future__ import annotations

from app.kit.enums import N_
from app.kit.registry import EntitySpec, register

ROLE = register(
    EntitySpec(
        key="role",
        label=N_("Role"),
        plural=N_("Roles"),
        module="roles",
        fields={"name": N_("Role name"), "permissions": N_("Permissions"), "data_scope": N_("Data scope")},
        page="/roles/{id}",
        staff_fields=(),
    )
)
