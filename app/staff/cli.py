"""``dealercrm user add|list|deactivate|reset-password`` (wired in ``app.cli``).

The operator acts as the system (audited as "dealercrm CLI"), with the owner's permissions, through
the same staff service as the admin pages: the same refusals (address already on staff, seat quota,
last owner, a deactivated colleague), each printed as one ``error:`` line, exit code 1.
"""

from __future__ import annotations

import sys
import uuid
from typing import Any

CLI_ACTOR_ID = uuid.UUID(int=0)


def add_user_parser(sub: Any) -> None:
    user = sub.add_parser("user", help="a tenant's staff").add_subparsers(dest="user_command", required=True)
    p = user.add_parser("add", help="add a staff member and print their one-time password")
    p.add_argument("--tenant", required=True, metavar="SLUG")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument(
        "--role", default="sales", help="a role key: owner, admin, manager, sales, ... (default sales)"
    )
    p.add_argument("--team", help="a team name (made if missing)")
    p = user.add_parser("list", help="list a tenant's staff")
    p.add_argument("--tenant", required=True, metavar="SLUG")
    p.add_argument("--all", action="store_true", help="deactivated staff too")
    p = user.add_parser("deactivate", help="deactivate a leaver, handing what they own to a colleague")
    p.add_argument("--tenant", required=True, metavar="SLUG")
    p.add_argument("--email", required=True)
    p.add_argument("--handover-to", metavar="EMAIL", help="the active colleague who takes over their records")
    p = user.add_parser("reset-password", help="give a staff member a new one-time password")
    p.add_argument("--tenant", required=True, metavar="SLUG")
    p.add_argument("--email", required=True)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def cli_actor() -> Any:
    from app.accounts.permissions import SCOPE_ALL, TEMPLATES
    from app.domain import Actor

    return Actor(
        user_id=CLI_ACTOR_ID,
        name="dealercrm CLI",
        email="cli@localhost",
        role_key="owner",
        permissions=frozenset(TEMPLATES["owner"].permissions),
        data_scope=SCOPE_ALL,
        via="system",
    )


def _refusal(exc: Any) -> str:
    return "; ".join(f"{e.field}: {e.code} ({e.message})" for e in exc.errors)


async def user_command(db: Any, args: Any) -> int:
    from app.accounts import repository as accounts_repo
    from app.domain import NotFound, ValidationFailed
    from app.staff import repository as repo
    from app.staff import service as staff
    from tenancy.registry import get_tenant

    async with db.engine.connect() as conn:
        tenant = await get_tenant(conn, args.tenant)
    if tenant is None:
        return _fail(f"no tenant {args.tenant!r}")
    actor = cli_actor()
    async with db.tenant_session(tenant.schema_name) as session:
        if args.user_command == "list":
            people = await staff.list_staff(session, actor, active=None if args.all else True)
            teams = {t.id: t.name for t in await repo.teams(session)}
            print(f"{'email':<36}{'name':<14}{'role':<12}{'team':<14}status")
            for p in people:
                status = "active" if p.is_active else "deactivated"
                if p.must_change_password:
                    status += " (one-time password)"
                team = teams.get(p.team_id, "-") if p.team_id else "-"
                print(f"{p.email:<36}{p.name:<14}{p.role.key:<12}{team:<14}{status}")
            return 0
        if args.user_command == "add":
            role = await accounts_repo.role_by_key(session, args.role)
            if role is None:
                return _fail(f"no role {args.role!r} (roles: owner, admin, manager, sales, service, ...)")
            team_id = None
            try:
                if args.team:
                    existing = await repo.team_by_name(session, args.team)
                    made = existing or await staff.create_team(session, actor, args.team)
                    team_id = made.id
                hired = await staff.add_staff(
                    session,
                    actor,
                    staff.StaffData(email=args.email, name=args.name, role_id=role.id, team_id=team_id),
                )
            except ValidationFailed as exc:
                return _fail(_refusal(exc))
            print(f"added {hired.user.email} ({role.key}); one-time password, changed at first login:")
            print(hired.one_time_password)
            return 0
        user = await accounts_repo.user_by_email(session, args.email)
        if user is None:
            return _fail(f"no staff member {args.email!r} in tenant {args.tenant!r}")
        try:
            if args.user_command == "deactivate":
                colleague = None
                if args.handover_to:
                    colleague = await accounts_repo.user_by_email(session, args.handover_to)
                    if colleague is None:
                        return _fail(f"no staff member {args.handover_to!r} in tenant {args.tenant!r}")
                done = await staff.deactivate(
                    session, actor, user.id, handover_to=colleague.id if colleague else None
                )
                moved = ", ".join(f"{n} {key}" for key, n in done.handed_over.items()) or "nothing"
                to = f" to {colleague.email}" if colleague else ""
                print(f"deactivated {args.email}; sessions and tokens ended; handed over {moved}{to}")
                return 0
            given = await staff.reset_password(session, actor, user.id)
        except (ValidationFailed, NotFound) as exc:
            return _fail(_refusal(exc) if isinstance(exc, ValidationFailed) else str(exc))
        print(f"new one-time password for {args.email} (changed at first login; sessions and tokens ended):")
        print(given.one_time_password)
        return 0
