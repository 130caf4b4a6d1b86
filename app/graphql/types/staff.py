"""Staff members, teams and invitations as the API shows and accepts them (an HR sync's view)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.accounts.models import Team as TeamModel
from app.accounts.models import User
from app.graphql.errors import NotFoundError, PermissionDeniedError, ValidationError
from app.graphql.kit import from_record
from app.i18n import gettext as _
from app.kit.registry import entity
from app.staff.models import StaffInvitation
from app.staff.service import StaffChange, StaffData


@strawberry.type(description="A role as a staff member holds it.")
class StaffRole:
    id: strawberry.ID
    key: str
    name: str


@strawberry.type(
    description="A staff member's account as staff managers see it (role, team, status); other readers get "
    "StaffMember (name and email only)."
)
class StaffAccount:
    id: strawberry.ID
    email: str
    name: str
    role: StaffRole
    team_id: strawberry.ID | None
    is_active: bool = strawberry.field(description="False once deactivated (a leaver).")
    must_change_password: bool = strawberry.field(
        description="Added with a one-time password (or reset by an admin) and not yet replaced."
    )
    last_login_at: datetime | None
    deactivated_at: datetime | None
    created_at: datetime

    @classmethod
    def from_model(cls, user: User) -> StaffAccount:
        role = StaffRole(id=strawberry.ID(str(user.role.id)), key=user.role.key, name=user.role.name)
        return from_record(cls, user, role=role)


@strawberry.type(description="A team: holders of a role with the team data scope see its members' records.")
class Team:
    id: strawberry.ID
    name: str
    manager_id: strawberry.ID | None = strawberry.field(description="The team's manager, a member.")
    active_members: int

    @classmethod
    def from_model(cls, team: TeamModel, members: int) -> Team:
        return from_record(cls, team, active_members=members)


@strawberry.type(
    name="StaffInvitation",
    description="An invitation mailed to a future staff member (a link valid 72 hours, used once).",
)
class StaffInvitationType:
    id: strawberry.ID
    email: str
    role_id: strawberry.ID
    team_id: strawberry.ID | None
    expires_at: datetime

    @classmethod
    def from_model(cls, invitation: StaffInvitation) -> StaffInvitationType:
        return from_record(cls, invitation)


@strawberry.input(description="Invite someone by email; they choose their name and password from the link.")
class InviteStaffInput:
    email: str
    role_id: strawberry.ID
    team_id: strawberry.ID | None = None
    name: str | None = strawberry.field(
        default=None, description="Prefilled on their form; they may change it."
    )

    def to_domain(self) -> StaffData:
        return StaffData(email=self.email, name=self.name or "", role_id=self.role_id, team_id=self.team_id)


@strawberry.input(
    description="Change a staff member; fields left out stay as they are, teamId null: no team."
)
class UpdateStaffInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    role_id: strawberry.ID | None = strawberry.UNSET
    team_id: strawberry.ID | None = strawberry.UNSET

    def to_domain(self) -> StaffChange:
        change = StaffChange()
        if self.name is not strawberry.UNSET:
            change.name = self.name
        if self.role_id is not strawberry.UNSET:
            change.role_id = self.role_id
        if self.team_id is not strawberry.UNSET:
            change.team_id = self.team_id
        return change


@strawberry.type
class StaffPayload:
    staff_account: StaffAccount


@strawberry.type
class InviteStaffPayload:
    invitation: StaffInvitationType
    mailed: bool = strawberry.field(description="False when the mail server refused: invite again later.")


@strawberry.type(description="How many records of one kind changed hands.")
class HandoverCount:
    entity: str = strawberry.field(description='The entity key, e.g. "customer".')
    label: str = strawberry.field(description="Its name in the caller's language.")
    count: int


@strawberry.type
class DeactivateStaffPayload:
    staff_account: StaffAccount
    handed_to: StaffAccount | None
    handed_over: list[HandoverCount]

    @staticmethod
    def counts(moved: dict[str, int]) -> list[HandoverCount]:
        found = []
        for key, n in moved.items():
            spec = entity(key)
            found.append(HandoverCount(entity=key, label=_(spec.plural) if spec else key, count=n))
        return found


StaffMutationResult = Annotated[
    StaffPayload | ValidationError | NotFoundError | PermissionDeniedError,
    strawberry.union("StaffMutationResult"),
]
InviteStaffResult = Annotated[
    InviteStaffPayload | ValidationError | NotFoundError | PermissionDeniedError,
    strawberry.union("InviteStaffResult"),
]
DeactivateStaffResult = Annotated[
    DeactivateStaffPayload | ValidationError | NotFoundError | PermissionDeniedError,
    strawberry.union("DeactivateStaffResult"),
]
