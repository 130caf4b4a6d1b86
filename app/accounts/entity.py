"""What the audit log and search need to know of staff, their sessions and their API tokens."""

from __future__ import annotations

from app.kit.enums import N_
from app.kit.registry import EntitySpec, register

API_TOKEN = register(
    EntitySpec(
        key="api_token",
        label=N_("API token"),
        plural=N_("API tokens"),
        module="tokens",
        fields={"name": N_("Token name"), "prefix": N_("Token prefix"), "user_id": N_("Staff member")},
        page="/tokens",
        staff_fields=("user_id",),
    )
)
USER = register(
    EntitySpec(
        key="user", label=N_("Staff member"), plural=N_("Staff"), module="staff", staff_fields=("user_id",)
    )
)
SESSION = register(
    EntitySpec(
        key="session",
        label=N_("Login session"),
        plural=N_("Login sessions"),
        module="staff",
        page="/security",
        staff_fields=("user_id",),
    )
)
