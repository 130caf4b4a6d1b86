"""Staff as the API shows them."""

from __future__ import annotations

import strawberry

from app.accounts.models import User
from app.domain import Actor


@strawberry.type(description="A member of the dealer's staff.")
class StaffMember:
    id: strawberry.ID
    name: str
    email: str

    @classmethod
    def from_model(cls, user: User) -> StaffMember:
        return cls(id=strawberry.ID(str(user.id)), name=user.name, email=user.email)


@strawberry.type(description="The authenticated staff member and what their role allows.")
class Viewer:
    id: strawberry.ID
    name: str
    email: str
    role: str
    permissions: list[str]
    data_scope: str = strawberry.field(description="own, team or all: whose customers the viewer sees.")

    @classmethod
    def from_actor(cls, actor: Actor) -> Viewer:
        return cls(
            id=strawberry.ID(str(actor.user_id)),
            name=actor.name,
            email=actor.email,
            role=actor.role_key,
            permissions=sorted(actor.permissions),
            data_scope=actor.data_scope,
        )
