"""The tenant's settings as the audit log shows them."""

from __future__ import annotations

from app.kit.enums import N_
from app.kit.registry import EntitySpec, register

SETTINGS = register(
    EntitySpec(
        key="settings", label=N_("Settings"), plural=N_("Settings"), module="settings", page="/security"
    )
)
