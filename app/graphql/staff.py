"""Staff and team queries and the mutations an HR sync needs: parse the input, call the staff
service, render the result (errors as the shared typed union members)."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from app.domain import Actor
from app.graphql.context import GraphQLContext
from app.graphql.kit import mutate, query, record_id
from app.graphql.types.staff import (
    DeactivateStaffPayload,
    DeactivateStaffResult,
    InviteStaffInput,
    InviteStaffPayload,
    InviteStaffResult,
    StaffAccount,
    StaffInvitationType,
    StaffMutationResult,
    StaffPayload,
    Team,
    UpdateStaffInput,
)
from app.i18n import locale_var
from app.mail import mailer_for
from app.staff import links
from app.staff import service as staff

StaffInfo = Info[GraphQLContext, None]


@strawberry.type
class StaffQueries:
    @strawberry.field(description="The dealer's staff, active first (staff:manage).")
    async def staff(
        self, info: StaffInfo, active: bool | None = None, team_id: strawberry.ID | None = None
    ) -> list[StaffAccount]:
        found = await query(
            info,
            lambda s, a: staff.list_staff(
                s, a, active=active, team_id=record_id(team_id, "team") if team_id is not None else None
            ),
        )
        return [StaffAccount.from_model(u) for u in found]

    @strawberry.field(description="Teams with their manager and active member count (staff:manage).")
    async def teams(self, info: StaffInfo) -> list[Team]:
        async def load(session: AsyncSession, actor: Actor) -> list[Team]:
            found = await staff.list_teams(session, actor)
            sizes = await staff.team_sizes(session, actor)
            return [Team.from_model(t, sizes.get(t.id, 0)) for t in found]

        return await query(info, load)  # type: ignore[no-any-return]


@strawberry.type
class StaffMutations:
    @strawberry.mutation(
        description="Invite someone by email with a role (and team). The invitation holds a seat of the "
        "plan until it is accepted or expires; inviting the same address again replaces it."
    )
    async def invite_staff(self, info: StaffInfo, input: InviteStaffInput) -> InviteStaffResult:
        context = info.context
        request = context.request
        assert request is not None
        origin = f"{request.url.scheme}://{request.url.netloc}"

        async def invite(session: AsyncSession, actor: Actor) -> links.Invited:
            return await links.invite_staff(
                session,
                actor,
                input.to_domain(),
                secret=request.app.state.settings.secret_key,
                slug=context.tenant.slug,
                company=context.tenant.name,
                origin=origin,
                mailer=mailer_for(request.app.state),
                locale=locale_var.get(),
            )

        return await mutate(
            info,
            invite,
            lambda done: InviteStaffPayload(
                invitation=StaffInvitationType.from_model(done.invitation), mailed=done.mailed
            ),
        )

    @strawberry.mutation(description="Rename a staff member, change their role or move them to another team.")
    async def update_staff(self, info: StaffInfo, input: UpdateStaffInput) -> StaffMutationResult:
        return await mutate(
            info,
            lambda s, a: staff.update_staff(s, a, record_id(input.id, "user"), input.to_domain()),
            lambda user: StaffPayload(staff_account=StaffAccount.from_model(user)),
        )

    @strawberry.mutation(
        description="Deactivate a leaver: their sessions and API tokens end at once, and everything they "
        "own goes to handoverTo, an active colleague, in one audited step. Refused for yourself, the last "
        "owner, a deactivated colleague, and without handoverTo while they own records."
    )
    async def deactivate_staff(
        self, info: StaffInfo, id: strawberry.ID, handover_to: strawberry.ID | None = None
    ) -> DeactivateStaffResult:
        async def deactivate(session: AsyncSession, actor: Actor) -> staff.Deactivated:
            colleague = record_id(handover_to, "user") if handover_to is not None else None
            return await staff.deactivate(session, actor, record_id(id, "user"), handover_to=colleague)

        return await mutate(
            info,
            deactivate,
            lambda done: DeactivateStaffPayload(
                staff_account=StaffAccount.from_model(done.user),
                handed_to=StaffAccount.from_model(done.handed_to) if done.handed_to else None,
                handed_over=DeactivateStaffPayload.counts(done.handed_over),
            ),
        )

    @strawberry.mutation(description="Reactivate a leaver (the plan's seat quota applies).")
    async def reactivate_staff(self, info: StaffInfo, id: strawberry.ID) -> StaffMutationResult:
        return await mutate(
            info,
            lambda s, a: staff.reactivate(s, a, record_id(id, "user")),
            lambda user: StaffPayload(staff_account=StaffAccount.from_model(user)),
        )
