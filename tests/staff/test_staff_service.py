"""Staff and teams at the service layer: inviting, adding, changing, the leaver's handover (离职交接),
reactivating, resets, and every bad input the issue lists.

王建国 (owner) and 李静 (admin) manage staff; 张伟 (sales_a) owns customers and leaves; 王芳
(sales_a2) takes them over; 刘洋 manages 门店一组.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from crm_testkit import PASSWORD, TEAM_A, TenantKit, actor, token_for
from litestar import Litestar
from sqlalchemy import func, select, update
from staffkit import last_link, limit_seats, mailer, mails, role_id, team_id, user

from app.accounts import service as accounts
from app.accounts.models import ApiToken, Team, User, UserSession
from app.audit.models import AuditRecord
from app.customers import service as customers
from app.customers.models import Customer
from app.customers.validation import CustomerInput
from app.domain import PermissionDenied, QuotaExceeded, ValidationFailed
from app.staff import links
from app.staff import service as staff
from app.staff.models import StaffInvitation
from app.staff.service import StaffChange, StaffData

SECRET = "test-secret-for-staff-links-0123456789"


def codes(exc: ValidationFailed) -> dict[str, str]:
    return {e.field: e.code for e in exc.errors}


async def _invite(app: Litestar, kit: TenantKit, email: str, role: str = "sales") -> links.Invited:
    owner = await actor(app, kit, "owner")
    async with app.state.db.tenant_session(kit.schema) as session:
        return await links.invite_staff(
            session,
            owner,
            StaffData(
                email=email, role_id=await role_id(app, kit, role), team_id=await team_id(app, kit, TEAM_A)
            ),
            secret=SECRET,
            slug=kit.slug,
            company="测试家电",
            origin=f"https://{kit.host}",
            mailer=mailer(app),
        )


async def _accept(app: Litestar, kit: TenantKit, token: str, name: str = "赵新") -> User:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await links.accept_invitation(
            session,
            SECRET,
            kit.slug,
            token,
            name=name,
            password="new-staff-pass-1",
            confirm="new-staff-pass-1",
        )


async def test_an_invitation_is_mailed_accepted_once_and_the_new_hire_can_log_in(
    app: Litestar, tenant: TenantKit
) -> None:
    invited = await _invite(app, tenant, "zhao.xin@example.com")
    assert invited.mailed
    token = await last_link(app, "zhao.xin@example.com", "staff_invitation")
    hired = await _accept(app, tenant, token)
    assert hired.role.key == "sales" and hired.team_id == await team_id(app, tenant, TEAM_A)
    async with app.state.db.tenant_session(tenant.schema) as session:
        _, opened = await accounts.login(
            session,
            app.state.settings,
            email="zhao.xin@example.com",
            password="new-staff-pass-1",
            ip=None,
            user_agent=None,
        )
    assert opened.record.stage == accounts.STAGE_ACTIVE
    # The link is good once: a second visit gets "used", not a second account.
    with pytest.raises(links.LinkRefused) as second:
        await _accept(app, tenant, token, name="冒名")
    assert second.value.code == "used"


async def test_an_expired_or_replaced_or_foreign_invitation_link_is_refused_clearly(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    first = await _invite(app, tenant, "late@example.com")
    old_token = await last_link(app, "late@example.com", "staff_invitation")
    await _invite(app, tenant, "late@example.com")  # sent again: the first link is replaced
    new_token = await last_link(app, "late@example.com", "staff_invitation")
    with pytest.raises(links.LinkRefused) as replaced:
        await _accept(app, tenant, old_token)
    assert replaced.value.code == "revoked"
    # The same link on another dealer's host is worth nothing.
    async with app.state.db.tenant_session(other_tenant.schema) as session:
        with pytest.raises(links.LinkRefused) as foreign:
            await links.open_invitation(session, SECRET, other_tenant.slug, new_token)
    assert foreign.value.code == "invalid"
    async with app.state.db.tenant_session(tenant.schema) as session:
        await session.execute(
            update(StaffInvitation)
            .where(StaffInvitation.email == "late@example.com", StaffInvitation.id != first.invitation.id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        await session.commit()
    with pytest.raises(links.LinkRefused) as expired:
        await _accept(app, tenant, new_token)
    assert expired.value.code == "expired"
    with pytest.raises(links.LinkRefused) as tampered:
        await _accept(app, tenant, new_token[:-2] + "xx")
    assert tampered.value.code == "invalid"


async def test_inviting_an_address_already_on_staff_is_refused(app: Litestar, tenant: TenantKit) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await _invite(app, tenant, tenant.email("sales_a").upper())
    assert codes(refused.value) == {"email": "already_staff"}
    assert await mails(app, tenant.email("sales_a"), "staff_invitation") == 0


async def test_an_admin_cannot_give_a_role_holding_more_than_their_own(
    app: Litestar, tenant: TenantKit
) -> None:
    """刘洋 (manager) is given staff:manage by a custom grant but cannot hand out the owner role."""
    liu = await actor(app, tenant, "manager_a")
    limited = type(liu)(**{**liu.__dict__, "permissions": liu.permissions | {"staff:manage"}})
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as refused:
            await staff.add_staff(
                session,
                limited,
                StaffData(email="x@example.com", name="某人", role_id=await role_id(app, tenant, "owner")),
            )
    assert codes(refused.value) == {"role_id": "cannot_grant"}


async def test_a_salesperson_manages_nobody(app: Litestar, tenant: TenantKit) -> None:
    zhang = await actor(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(PermissionDenied):
            await staff.list_staff(session, zhang)
        with pytest.raises(PermissionDenied):
            await staff.deactivate(session, zhang, tenant.people["sales_a2"])


async def test_a_direct_hire_gets_a_one_time_password_that_the_first_login_replaces(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        hired = await staff.add_staff(
            session,
            owner,
            StaffData(
                email="qian@example.com", name="钱进", role_id=await role_id(app, tenant, "technician")
            ),
        )
    async with app.state.db.tenant_session(tenant.schema) as session:
        _, half = await accounts.login(
            session,
            app.state.settings,
            email="qian@example.com",
            password=hired.one_time_password,
            ip=None,
            user_agent=None,
        )
        assert half.record.stage == accounts.STAGE_NEW_PASSWORD
        with pytest.raises(ValidationFailed) as same:
            await accounts.choose_first_password(
                session, half, new=hired.one_time_password, confirm=hired.one_time_password
            )
        assert codes(same.value) == {"new_password": "same_password"}
        _, working = await accounts.choose_first_password(
            session, half, new="mine-from-now-7", confirm="mine-from-now-7"
        )
    assert working.record.stage == accounts.STAGE_ACTIVE
    assert not (await user(app, tenant, hired.user.id)).must_change_password


async def test_roles_teams_and_a_team_manager(app: Litestar, tenant: TenantKit) -> None:
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        team = await staff.create_team(session, owner, "  门店三组 ")
        assert team.name == "门店三组"
        team_id_ = team.id
        with pytest.raises(ValidationFailed) as taken:
            await staff.create_team(session, owner, TEAM_A)
        assert codes(taken.value) == {"name": "taken"}
        # A refusal rolls the session back: read the team again.
        team = await session.get(Team, team_id_)  # type: ignore[assignment]
        await staff.set_team_manager(session, owner, team.id, tenant.people["sales_b"])
        moved = await staff.update_staff(
            session,
            owner,
            tenant.people["sales_b"],
            StaffChange(role_id=await role_id(app, tenant, "manager")),
        )
    assert moved.team_id == team.id and moved.role.key == "manager"
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert (await session.get(Team, team.id)).manager_id == tenant.people["sales_b"]  # type: ignore[union-attr]
        with pytest.raises(ValidationFailed) as not_empty:
            await staff.delete_team(session, owner, team.id)
        assert codes(not_empty.value) == {"team": "team_not_empty"}
        # Moving the manager out of the team ends their management of it.
        await staff.update_staff(session, owner, tenant.people["sales_b"], StaffChange(team_id=None))
        assert (await session.get(Team, team.id, populate_existing=True)).manager_id is None  # type: ignore[union-attr]
        await staff.delete_team(session, owner, team.id)
        assert await session.get(Team, team.id, populate_existing=True) is None


async def _customers_of(app: Litestar, kit: TenantKit, owner_id: uuid.UUID) -> int:
    async with app.state.db.tenant_session(kit.schema) as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(Customer).where(Customer.owner_id == owner_id)
            )
            or 0
        )


async def test_a_leaver_is_deactivated_with_their_customers_handed_to_a_colleague_in_one_audited_step(
    app: Litestar, tenant: TenantKit
) -> None:
    zhang = await actor(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        for name in ("李红梅", "赵大勇", "钱小芳"):
            await customers.create_customer(session, zhang, CustomerInput(name=name))
    await token_for(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await accounts.login(
            session,
            app.state.settings,
            email=tenant.email("sales_a"),
            password=PASSWORD,
            ip=None,
            user_agent=None,
        )
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as without:
            await staff.deactivate(session, owner, tenant.people["sales_a"])
        assert codes(without.value) == {"handover_to": "handover_required"}
        done = await staff.deactivate(
            session, owner, tenant.people["sales_a"], handover_to=tenant.people["sales_a2"]
        )
    assert done.handed_over == {"customer": 3}
    assert await _customers_of(app, tenant, tenant.people["sales_a"]) == 0
    assert await _customers_of(app, tenant, tenant.people["sales_a2"]) == 3
    async with app.state.db.tenant_session(tenant.schema) as session:
        live_sessions = await session.scalar(
            select(func.count())
            .select_from(UserSession)
            .where(UserSession.user_id == tenant.people["sales_a"], UserSession.revoked_at.is_(None))
        )
        live_tokens = await session.scalar(
            select(func.count())
            .select_from(ApiToken)
            .where(ApiToken.user_id == tenant.people["sales_a"], ApiToken.revoked_at.is_(None))
        )
        assert (live_sessions, live_tokens) == (0, 0)
        leaver = await session.scalar(
            select(AuditRecord).where(AuditRecord.entity == "user", AuditRecord.action == "deactivate")
        )
        assert leaver is not None and leaver.after == {
            "is_active": False,
            "handover_to": str(tenant.people["sales_a2"]),
            "handed_over": {"customer": 3},
            "tokens_revoked": 1,
        }
        # Each customer's own history says whose it was.
        per_customer = await session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.entity == "customer", AuditRecord.action == "handover")
        )
        assert per_customer == 3


async def test_deactivation_refusals_yourself_the_last_owner_and_a_deactivated_colleague(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await actor(app, tenant, "owner")
    admin = await actor(app, tenant, "admin")
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as yourself:
            await staff.deactivate(session, owner, tenant.people["owner"])
        assert codes(yourself.value) == {"id": "cannot_deactivate_yourself"}
        with pytest.raises(ValidationFailed) as last_owner:
            await staff.deactivate(session, admin, tenant.people["owner"], handover_to=tenant.people["admin"])
        assert codes(last_owner.value) == {"role_id": "last_owner"}
        # Nor may the last owner be given another role.
        with pytest.raises(ValidationFailed) as demoted:
            await staff.update_staff(
                session,
                admin,
                tenant.people["owner"],
                StaffChange(role_id=await role_id(app, tenant, "sales")),
            )
        assert codes(demoted.value) == {"role_id": "last_owner"}
        await staff.deactivate(session, owner, tenant.people["viewer"])
        with pytest.raises(ValidationFailed) as gone:
            await staff.deactivate(
                session, owner, tenant.people["sales_b"], handover_to=tenant.people["viewer"]
            )
        assert codes(gone.value) == {"handover_to": "colleague_deactivated"}
    assert (await user(app, tenant, tenant.people["sales_b"])).is_active


async def test_a_leaver_comes_back_and_reactivation_respects_the_seat_quota(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await staff.deactivate(session, owner, tenant.people["viewer"])
    await limit_seats(app, tenant, 10)  # the cast minus 周敏 fills it
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(QuotaExceeded) as full:
            await staff.reactivate(session, owner, tenant.people["viewer"])
    assert "10" in full.value.errors[0].message
    await limit_seats(app, tenant, 11)
    async with app.state.db.tenant_session(tenant.schema) as session:
        back = await staff.reactivate(session, owner, tenant.people["viewer"])
    assert back.is_active and back.deactivated_at is None


async def test_more_staff_than_the_plan_allows_is_refused_and_pending_invitations_hold_seats(
    app: Litestar, tenant: TenantKit
) -> None:
    await limit_seats(app, tenant, 12)  # 11 in the cast: one seat left
    await _invite(app, tenant, "one@example.com")
    owner = await actor(app, tenant, "owner")
    with pytest.raises(QuotaExceeded):
        await _invite(app, tenant, "two@example.com")
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(QuotaExceeded):
            await staff.add_staff(
                session,
                owner,
                StaffData(
                    email="three@example.com", name="孙三", role_id=await role_id(app, tenant, "sales")
                ),
            )
    # Re-sending the pending invitation does not need a second seat; accepting it takes the one.
    await _invite(app, tenant, "one@example.com")
    await _accept(app, tenant, await last_link(app, "one@example.com", "staff_invitation"), name="一号")


async def _request_reset(app: Litestar, kit: TenantKit, email: str, ip: str = "10.1.2.3") -> None:
    async with app.state.db.tenant_session(kit.schema) as session:
        await links.request_password_reset(
            session,
            app.state.redis,
            email,
            ip=ip,
            secret=SECRET,
            slug=kit.slug,
            company="测试家电",
            origin=f"https://{kit.host}",
            mailer=mailer(app),
        )


async def test_a_forgotten_password_is_reset_by_a_link_used_once(app: Litestar, tenant: TenantKit) -> None:
    await token_for(app, tenant, "sales_b")
    await _request_reset(app, tenant, tenant.email("sales_b"))
    token = await last_link(app, tenant.email("sales_b"), "password_reset")
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as short:
            await links.complete_reset(session, SECRET, tenant.slug, token, password="short", confirm="short")
        assert "password" in codes(short.value)
        await links.complete_reset(
            session, SECRET, tenant.slug, token, password="li-na-new-9", confirm="li-na-new-9"
        )
        with pytest.raises(links.LinkRefused) as again:
            await links.complete_reset(
                session, SECRET, tenant.slug, token, password="other-pass-9", confirm="other-pass-9"
            )
    assert again.value.code == "used"
    async with app.state.db.tenant_session(tenant.schema) as session:
        tokens_left = await session.scalar(
            select(func.count())
            .select_from(ApiToken)
            .where(ApiToken.user_id == tenant.people["sales_b"], ApiToken.revoked_at.is_(None))
        )
        assert tokens_left == 0
        _, opened = await accounts.login(
            session,
            app.state.settings,
            email=tenant.email("sales_b"),
            password="li-na-new-9",
            ip=None,
            user_agent=None,
        )
    assert opened.user.id == tenant.people["sales_b"]


async def test_a_reset_for_an_unknown_address_answers_the_same_and_mails_nothing(
    app: Litestar, tenant: TenantKit
) -> None:
    await _request_reset(app, tenant, "nobody@example.com")
    assert await mails(app, "nobody@example.com", "password_reset") == 0
    # A deactivated staff member gets nothing either.
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await staff.deactivate(session, owner, tenant.people["viewer"])
    await _request_reset(app, tenant, tenant.email("viewer"))
    assert await mails(app, tenant.email("viewer"), "password_reset") == 0


async def test_reset_requests_are_throttled_per_network_and_per_address(
    app: Litestar, tenant: TenantKit
) -> None:
    for _ in range(links.RESET_PER_ADDRESS.limit + 2):
        await _request_reset(app, tenant, tenant.email("technician"), ip="10.9.9.9")
    # The address got its allowance and no more, without the answer changing.
    assert await mails(app, tenant.email("technician"), "password_reset") == links.RESET_PER_ADDRESS.limit
    with pytest.raises(links.ResetThrottled):
        for _ in range(links.RESET_PER_IP.limit):
            await _request_reset(app, tenant, "someone@example.com", ip="10.9.9.9")


async def test_an_admin_resets_a_password_and_the_next_login_asks_for_a_new_one(
    app: Litestar, tenant: TenantKit
) -> None:
    admin = await actor(app, tenant, "admin")
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as own:
            await staff.reset_password(session, admin, tenant.people["admin"])
        assert codes(own.value) == {"id": "own_password"}
        given = await staff.reset_password(session, admin, tenant.people["service"])
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(accounts.LoginFailed):
            await accounts.login(
                session,
                app.state.settings,
                email=tenant.email("service"),
                password=PASSWORD,
                ip=None,
                user_agent=None,
            )
        _, half = await accounts.login(
            session,
            app.state.settings,
            email=tenant.email("service"),
            password=given.one_time_password,
            ip=None,
            user_agent=None,
        )
    assert half.record.stage == accounts.STAGE_NEW_PASSWORD
