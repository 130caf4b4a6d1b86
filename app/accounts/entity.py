"""What the audit log and search need to know of staff, their sessions and their API tokens."""

from __future__ import annotations

from app.accounts.models import User
from app.accounts.permissions import STAFF_MANAGE
from app.kit.enums import N_
from app.kit.registry import EntitySpec, NavItem, register

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
        key="user",
        label=N_("Staff member"),
        plural=N_("Staff"),
        module="staff",
        model=User,
        fields={
            "email": N_("Email"),
            "name": N_("Name"),
            "role_id": N_("Role"),
            "team_id": N_("Staff team"),
            "is_active": N_("Active"),
            "handover_to": N_("Handed over to"),
            "handed_over": N_("Records handed over"),
        },
        page="/settings/staff/{id}",
        nav=NavItem("staff", N_("Staff"), "/settings/staff", STAFF_MANAGE, order=80),
        staff_fields=("user_id", "handover_to"),
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
