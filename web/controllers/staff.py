"""Staff and teams under 设置: the staff list, invite or add someone, a staff member's page (role,
team, reset password, deactivate with handover, reactivate), and the teams page."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.entity import USER
from app.accounts.models import User
from app.domain import Actor, ValidationFailed
from app.i18n import gettext as _
from app.i18n import locale_var
from app.kit.enums import N_
from app.kit.registry import entity
from app.mail import mailer_for
from app.staff import links
from app.staff import service as staff
from app.staff.filters import STAFF_FILTERS, StaffFilter, list_staff_page
from app.staff.service import StaffChange, StaffData
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, error_text, page
from web.kit.lists import Column, ListSpec, RowAction, list_response, open_list, results_only

STAFF_LIST = ListSpec(
    entity=USER,
    path="/settings/staff",
    filters=STAFF_FILTERS,
    columns=(
        Column("name", N_("Name"), sort="name", title=True, cls="name-cell"),
        Column("email", N_("Email"), sort="email"),
        Column("role_id", N_("Role")),
        Column("team_id", N_("Staff team")),
        Column("status", N_("Status")),
        Column("last_login_at", N_("Last login"), sort="last_login_at", wide_only=True, cls="muted"),
    ),
    sorts={
        "name": N_("Name"),
        "email": N_("Email"),
        "last_login_at": N_("Last login"),
        "created_at": N_("Created"),
    },
    ascending=("name", "email"),
    page_size=50,
    actions=(RowAction("manage", N_("Manage")),),
    bulk=(),
    views=False,
    defaults={"show": "active"},  # on staff unless asked otherwise
    empty_label=N_("Nobody here."),
    row_prefix="staff",
    search_hint=N_("Name or email"),
)

# Messages for the codes only the staff pages raise (the shared ones come from web.controllers.common).
MESSAGES = {
    "already_staff": N_("This address is already on staff."),
    "deactivated_staff": N_("This address belongs to a deactivated staff member: reactivate them instead."),
    "unknown_role": N_("Choose a role."),
    "unknown_team": N_("This team does not exist any more."),
    "cannot_grant": N_("You cannot give a role that holds more than your own role."),
    "last_owner": N_("The account must keep an active owner: make someone else owner first."),
    "last_role_manager": N_(
        "Nobody active would be left who can manage roles: give the right to another "
        "role someone active holds first."
    ),
    "cannot_deactivate_yourself": N_("You cannot deactivate yourself."),
    "already_deactivated": N_("This staff member is already deactivated."),
    "unknown_colleague": N_("Choose an active colleague."),
    "colleague_deactivated": N_("This colleague is deactivated: choose an active one."),
    "handover_required": N_("Choose the colleague who takes over their records."),
    "own_password": N_("Change your own password on the security page."),
    "taken": N_("Another team already has this name."),
    "team_not_empty": N_("Move this team's members to another team first."),
    "mismatch": N_("The two passwords differ."),
    "same_password": N_("Choose another password than the one you were given."),
    "invalid_email": N_("Enter a valid email address."),
}


def errors_of(exc: ValidationFailed) -> dict[str, str]:
    """Field → translated message, one per field; quota refusals come translated already."""
    found: dict[str, str] = {}
    for error in exc.errors:
        if error.code == "quota_exceeded":
            text = error.message
        elif error.code in MESSAGES:
            text = _(MESSAGES[error.code])
        else:
            text = error_text(error.code, error.message)
        found.setdefault(error.field.split(".")[0], text)
    return found


def origin(request: Request[Any, Any, Any]) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def owned_text(counts: dict[str, int]) -> str:
    """ "12 Customers, 3 Orders": what a leaver owns, in the reader's language."""
    chinese = locale_var.get() == "zh_CN"
    parts = []
    for key, n in counts.items():
        spec = entity(key)
        label = _(spec.plural) if spec else key
        parts.append(f"{n:,} 个{label}" if chinese else f"{n:,} {label}")
    return ("、" if chinese else ", ").join(parts)


async def _form_context(
    request: Request[Any, Any, Any], session: AsyncSession, actor: Actor, **extra: Any
) -> dict[str, Any]:
    return page(
        request,
        actor,
        nav="staff",
        roles=await staff.list_roles(session, actor),
        teams=await staff.list_teams(session, actor),
        **extra,
    )


class StaffController(Controller):
    path = "/settings/staff"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="StaffPage", name="staff.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Staff on the list kit (on staff, deactivated or all; a team; a search over name and e-mail;
        sortable) and the invitations still pending."""

        async def fetch(filters: StaffFilter, **paging: Any) -> Any:
            return await list_staff_page(db_session, actor, filters, **paging)

        view = await open_list(request, db_session, actor, STAFF_LIST, StaffFilter, fetch)
        teams = await staff.list_teams(db_session, actor)
        view.options = {"team_id": [(str(t.id), t.name) for t in teams]}
        roles = await staff.list_roles(db_session, actor)
        ctx = page(
            request,
            actor,
            nav="staff",
            team_names={t.id: t.name for t in teams},
            managers={t.manager_id for t in teams if t.manager_id},
            invitations=[] if results_only(request) else await links.pending_invitations(db_session, actor),
            role_names={**{r.id: r.name for r in roles}, **{p.role_id: p.role.name for p in view.rows}},
        )
        return list_response(request, view, "staff/list.html", "staff/_results.html", ctx)

    @get("/new", operation_id="NewStaffForm", name="staff.new")
    async def new_form(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, mode: str = "invite"
    ) -> Template:
        """Invite someone by email, or add them with a one-time password."""
        ctx = await _form_context(
            request, db_session, actor, mode="add" if mode == "add" else "invite", values={}, errors={}
        )
        return Template("staff/new.html", context=ctx)

    @post("/new", operation_id="HireStaff", name="staff.hire")
    async def hire(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """Send the invitation (or add the staff member and show their one-time password once)."""
        mode = "add" if data.get("mode") == "add" else "invite"
        hire = StaffData(
            email=data.get("email", ""),
            name=data.get("name", ""),
            role_id=data.get("role_id") or None,
            team_id=data.get("team_id") or None,
        )
        try:
            if mode == "add":
                hired = await staff.add_staff(db_session, actor, hire)
            else:
                tenant = request.scope["state"]["tenant"]
                invited = await links.invite_staff(
                    db_session,
                    actor,
                    hire,
                    secret=request.app.state.settings.secret_key,
                    slug=tenant.slug,
                    company=tenant.name,
                    origin=origin(request),
                    mailer=mailer_for(request.app.state),
                    locale=locale_var.get(),
                )
        except ValidationFailed as exc:
            ctx = await _form_context(
                request, db_session, actor, mode=mode, values=data, errors=errors_of(exc)
            )
            return Template("staff/new.html", context=ctx, status_code=400)
        if mode == "add":
            ctx = await _form_context(
                request, db_session, actor, person=hired.user, password=hired.one_time_password
            )
            return Template("staff/one_time_password.html", context=ctx)
        flag = "invited" if invited.mailed else "mail_failed"
        return Redirect(f"/settings/staff?{flag}=1", status_code=303)

    @post("/invitations/{invitation_id:uuid}/revoke", operation_id="RevokeStaffInvitation")
    async def revoke_invitation(
        self, db_session: AsyncSession, actor: Actor, invitation_id: uuid.UUID
    ) -> Redirect:
        """Withdraw a pending invitation: its link stops working and the seat is free again."""
        await links.revoke_invitation(db_session, actor, invitation_id)
        return Redirect("/settings/staff?revoked=1", status_code=303)

    async def _person_page(
        self,
        request: Request[Any, Any, Any],
        session: AsyncSession,
        actor: Actor,
        person: User,
        *,
        errors: dict[str, str] | None = None,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        colleagues = [u for u in await staff.list_staff(session, actor, active=True) if u.id != person.id]
        owned = await staff.owned_counts(session, actor, person.id) if person.is_active else {}
        ctx = await _form_context(
            request,
            session,
            actor,
            person=person,
            colleagues=colleagues,
            owned=owned,
            owned_text=owned_text(owned),
            errors=errors or {},
            is_self=person.id == actor.user_id,
            **extra,
        )
        return Template("staff/detail.html", context=ctx, status_code=status)

    @get("/{user_id:uuid}", operation_id="StaffMemberPage", name="staff.detail")
    async def detail(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, user_id: uuid.UUID
    ) -> Template:
        """One staff member: role and team, password reset, deactivation with handover."""
        person = await staff.get_staff(db_session, actor, user_id)
        return await self._person_page(request, db_session, actor, person)

    @post("/{user_id:uuid}", operation_id="UpdateStaffMember")
    async def update(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        user_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Save the name, role and team."""
        change = StaffChange(
            name=data.get("name", ""),
            role_id=data.get("role_id") or None,
            team_id=data.get("team_id") or None,
        )
        try:
            await staff.update_staff(db_session, actor, user_id, change)
        except ValidationFailed as exc:
            person = await staff.get_staff(db_session, actor, user_id)
            return await self._person_page(
                request, db_session, actor, person, errors=errors_of(exc), status=400
            )
        return Redirect(f"/settings/staff/{user_id}?saved=1", status_code=303)

    @post("/{user_id:uuid}/deactivate", operation_id="DeactivateStaffMember")
    async def deactivate(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        user_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """The leaver: sessions and tokens end, their records go to the chosen colleague."""
        target = staff.as_uuid(data.get("handover_to"))
        if data.get("handover_to") and target is None:
            target = uuid.UUID(int=0)  # not a staff member: refused as such
        try:
            await staff.deactivate(db_session, actor, user_id, handover_to=target)
        except ValidationFailed as exc:
            person = await staff.get_staff(db_session, actor, user_id)
            return await self._person_page(
                request, db_session, actor, person, errors=errors_of(exc), status=400
            )
        return Redirect(f"/settings/staff/{user_id}?deactivated=1", status_code=303)

    @post("/{user_id:uuid}/reactivate", operation_id="ReactivateStaffMember")
    async def reactivate(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, user_id: uuid.UUID
    ) -> Template | Redirect:
        """A leaver comes back (the plan's seat quota applies)."""
        try:
            await staff.reactivate(db_session, actor, user_id)
        except ValidationFailed as exc:
            person = await staff.get_staff(db_session, actor, user_id)
            return await self._person_page(
                request, db_session, actor, person, errors=errors_of(exc), status=400
            )
        return Redirect(f"/settings/staff/{user_id}?reactivated=1", status_code=303)

    @post("/{user_id:uuid}/reset-password", operation_id="ResetStaffPassword")
    async def reset_password(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, user_id: uuid.UUID
    ) -> Template:
        """A new one-time password, shown once; their sessions and tokens end."""
        try:
            given = await staff.reset_password(db_session, actor, user_id)
        except ValidationFailed as exc:
            person = await staff.get_staff(db_session, actor, user_id)
            return await self._person_page(
                request, db_session, actor, person, errors=errors_of(exc), status=400
            )
        ctx = await _form_context(
            request, db_session, actor, person=given.user, password=given.one_time_password
        )
        return Template("staff/one_time_password.html", context=ctx)


class TeamsController(Controller):
    path = "/settings/teams"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    async def _page(
        self,
        request: Request[Any, Any, Any],
        session: AsyncSession,
        actor: Actor,
        *,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        teams = await staff.list_teams(session, actor)
        people = await staff.list_staff(session, actor, active=True)
        ctx = page(
            request,
            actor,
            nav="staff",
            teams=teams,
            sizes=await staff.team_sizes(session, actor),
            people=people,
            names={u.id: u.name for u in people},
            errors=extra.pop("errors", {}),
            **extra,
        )
        return Template("staff/teams.html", context=ctx, status_code=status)

    @get("/", operation_id="TeamsPage", name="teams.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Teams with their manager and how many are in each."""
        return await self._page(request, db_session, actor)

    @post("/", operation_id="CreateTeam")
    async def create(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """A new team."""
        try:
            await staff.create_team(db_session, actor, data.get("name", ""))
        except ValidationFailed as exc:
            return await self._page(
                request, db_session, actor, errors=errors_of(exc), name=data.get("name", ""), status=400
            )
        return Redirect("/settings/teams?saved=1", status_code=303)

    @post("/{team_id:uuid}", operation_id="UpdateTeam")
    async def update(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        team_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Rename the team and set its manager."""
        try:
            if data.get("name") is not None:
                await staff.rename_team(db_session, actor, team_id, data.get("name", ""))
            if "manager_id" in data:
                manager = staff.as_uuid(data.get("manager_id"))
                if data.get("manager_id") and manager is None:
                    manager = uuid.UUID(int=0)
                await staff.set_team_manager(db_session, actor, team_id, manager)
        except ValidationFailed as exc:
            return await self._page(
                request,
                db_session,
                actor,
                errors={str(team_id): " ".join(errors_of(exc).values())},
                status=400,
            )
        return Redirect("/settings/teams?saved=1", status_code=303)

    @post("/{team_id:uuid}/delete", operation_id="DeleteTeam")
    async def delete(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, team_id: uuid.UUID
    ) -> Template | Redirect:
        """Remove an empty team."""
        try:
            await staff.delete_team(db_session, actor, team_id)
        except ValidationFailed as exc:
            return await self._page(
                request,
                db_session,
                actor,
                errors={str(team_id): " ".join(errors_of(exc).values())},
                status=400,
            )
        return Redirect("/settings/teams?deleted=1", status_code=303)
