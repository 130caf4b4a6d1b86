"""Teams and invitations as the audit log, labels and isolation suite see them (staff members
themselves are ``app.accounts.entity.USER``)."""

from __future__ import annotations

from app.accounts.models import Team
from app.kit.enums import N_
from app.kit.registry import EntitySpec, register
from app.staff.models import StaffInvitation

TEAM = register(
    EntitySpec(
        key="team",
        label=N_("Team"),
        plural=N_("Teams"),
        module="staff",
        model=Team,
        fields={"name": N_("Team name"), "manager_id": N_("Team manager")},
        page="/settings/teams",
        staff_fields=("manager_id",),
    )
)
INVITATION = register(
    EntitySpec(
        key="staff_invitation",
        label=N_("Invitation"),
        plural=N_("Invitations"),
        module="staff",
        model=StaffInvitation,
        fields={"email": N_("Email"), "role_id": N_("Role"), "team_id": N_("Staff team")},
        page="/settings/staff",
        title=lambda invitation: invitation.email,
        staff_fields=(),
    )
)
