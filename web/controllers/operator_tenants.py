"""The console's page for one tenant (plan, usage against its limits, health, support grant, audit)
and its actions: change the plan, delete, restore, enter as support."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template

from app.i18n import gettext as _
from app.platform import lifecycle, support, usage
from app.platform.audit import AuditFilter, list_entries
from app.platform.models import PlatformOperator
from app.platform.plans import PLANS, PlanLimits, UnknownPlan
from app.platform.quotas import MB, api_calls_today, plan_label, resource_label
from tenancy import registry
from tenancy.models import TenantStatus
from web.controllers.operator import (
    OperatorController,
    acting,
)
from web.controllers.signup import base_domain_only, tenant_url

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]

SUPPORT_REFUSALS = {
    "no_grant": "{slug} has not granted support access. Ask the dealer's admin to grant it under Support access.",  # noqa: E501
    "expired": "{slug}'s support access has expired. Ask the dealer's admin to grant it again.",
    "tenant_unavailable": "{slug} is not active, so support cannot enter it.",
}


def plan_refusal_message(refusal: lifecycle.PlanChangeRefused) -> str:
    """ "Cannot move to Basic: staff accounts: 11 in use, Basic allows 10." in the reader's language."""
    parts = [
        _("{resource}: {used} in use, {plan} allows {limit}").format(
            resource=resource_label(o.resource),
            used=f"{o.used:,}",
            plan=plan_label(refusal.plan),
            limit=f"{o.limit:,}",
        )
        for o in refusal.over
    ]
    return _("Cannot move to {plan}: {details}. Reduce the usage first or choose a bigger plan.").format(
        plan=plan_label(refusal.plan), details="; ".join(parts)
    )


def resource_name(resource: str) -> str:
    """A resource as the heading of a row ("员工账号"), where ``resource_label`` counts ("个员工账号")."""
    return {
        "users": _("Staff accounts"),
        "customers": _("Customers"),
        "storage_mb": _("File storage (MB)"),
        "api_calls_per_day": _("API calls a day"),
    }.get(resource, resource)


def plan_capacity(plan: PlanLimits) -> str:
    """What a plan holds, for choosing one: "50 名员工，10,000 个客户" or "员工不限，客户不限"."""
    users = _("{n} staff").format(n=f"{plan.max_users:,}") if plan.max_users else _("any number of staff")
    customers = (
        _("{n} customers").format(n=f"{plan.max_customers:,}")
        if plan.max_customers
        else _("any number of customers")
    )
    return f"{users}，{customers}"


class OperatorTenantController(Controller):
    path = "/operator/tenants/{slug:str}"
    guards = [base_domain_only]
    dependencies = OperatorController.dependencies

    async def _detail(
        self,
        request: Request[Any, Any, Any],
        operator: PlatformOperator,
        slug: str,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        state = request.app.state
        engine = state.db.engine
        async with engine.connect() as conn:
            tenant = await registry.get_tenant(conn, slug)
        if tenant is None:
            raise NotFoundException()
        grant = None
        if tenant.status in TenantStatus.WITH_SCHEMA:
            # One tenant, measured now: the page is about it, so the numbers should be current.
            await usage.refresh_usage(engine, state.redis, state.settings.files_dir, [slug])
            async with state.db.tenant_session(tenant.schema_name) as session:
                grant = await support.current_grant(session)
        row = await usage.console_row(engine, slug)
        assert row is not None
        calls = (await api_calls_today(state.redis, [slug])).get(slug, 0)
        storage_mb = -(-(row.usage.storage_bytes or 0) // MB) if row.usage else None
        return Template(
            "platform/tenant_detail.html",
            context={
                "tenant": None,
                "operator": operator,
                "nav": "tenants",
                "row": row,
                "t": tenant,
                "plans": list(PLANS.values()),
                "plan_capacity": plan_capacity,
                "grant": grant,
                "grant_active": bool(grant and grant.active()),
                "usage_rows": [
                    (resource_name("users"), row.users, row.plan.max_users),
                    (resource_name("customers"), row.customers, row.plan.max_customers),
                    (resource_name("storage_mb"), storage_mb, row.plan.storage_mb),
                    (resource_name("api_calls_per_day"), calls, row.plan.api_calls_per_day),
                ],
                "audit": await list_entries(engine, AuditFilter(tenant_slug=slug), limit=20),
                "grace_days": state.settings.tenant_delete_grace_days,
                "backup_alert_hours": state.settings.backup_alert_after_hours,
                "error": None,
                "notice": None,
                **extra,
            },
            status_code=status,
        )

    @get("/", operation_id="OperatorTenantPage")
    async def detail(
        self, request: Request[Any, Any, Any], operator: PlatformOperator, slug: str
    ) -> Template:
        """One tenant: plan, usage against its limits, health, support grant and recent operator actions."""
        notice = {
            "plan": _("Plan changed."),
            "deleted": _("Tenant deleted. Its hosts are refused now; it can be restored until it is purged."),
            "restored": _("Tenant restored."),
        }.get(request.query_params.get("done", ""))
        return await self._detail(request, operator, slug, notice=notice)

    @post("/plan", operation_id="OperatorChangePlan")
    async def change_plan(
        self, request: Request[Any, Any, Any], operator: PlatformOperator, slug: str, data: Form
    ) -> Template | Redirect:
        """Move the tenant to another plan; refused (with the numbers) below current usage."""
        state = request.app.state
        try:
            await lifecycle.change_plan(
                state.db.engine, state.settings, slug, data.get("plan", ""), acting(request, operator)
            )
        except registry.TenantNotFound as exc:
            raise NotFoundException() from exc
        except UnknownPlan:
            return await self._detail(
                request, operator, slug, status=422, error=_("Choose one of the plans.")
            )
        except lifecycle.PlanChangeRefused as refusal:
            return await self._detail(
                request, operator, slug, status=409, error=plan_refusal_message(refusal)
            )
        except lifecycle.TenantGone:
            return await self._detail(
                request,
                operator,
                slug,
                status=409,
                error=_("Deleted tenants keep their plan; restore it first."),
            )
        return Redirect(f"/operator/tenants/{slug}?done=plan", status_code=303)

    @post("/delete", operation_id="OperatorDeleteTenant")
    async def delete(
        self, request: Request[Any, Any, Any], operator: PlatformOperator, slug: str, data: Form
    ) -> Template | Redirect:
        """Delete the tenant after the operator typed its address; purged after the grace period."""
        state = request.app.state
        if (data.get("confirm") or "").strip() != slug:
            return await self._detail(
                request,
                operator,
                slug,
                status=422,
                error=_("Type the tenant's address exactly to confirm the deletion."),
            )
        try:
            await lifecycle.delete_tenant(state.db, state.settings, slug, acting(request, operator))
        except registry.TenantNotFound as exc:
            raise NotFoundException() from exc
        except lifecycle.FinalBackupFailed as exc:
            error = _("The final backup failed, so the tenant was not deleted: {error}").format(
                error=exc.message
            )
            return await self._detail(request, operator, slug, status=502, error=error)
        except lifecycle.LifecycleRefused:
            return await self._detail(
                request, operator, slug, status=409, error=_("This tenant is already deleted.")
            )
        return Redirect(f"/operator/tenants/{slug}?done=deleted", status_code=303)

    @post("/restore", operation_id="OperatorRestoreTenant")
    async def restore(
        self, request: Request[Any, Any, Any], operator: PlatformOperator, slug: str
    ) -> Template | Redirect:
        """Bring a deleted tenant back, exactly as it was."""
        try:
            await lifecycle.restore_tenant(request.app.state.db.engine, slug, acting(request, operator))
        except registry.TenantNotFound as exc:
            raise NotFoundException() from exc
        except lifecycle.TenantPurged as refusal:
            when = refusal.facts.get("purged_at")
            error = _(
                "{slug} cannot be restored: its grace period ended and its data was purged on {date}. "
                "Only a backup can bring it back."
            ).format(slug=slug, date=f"{when:%Y-%m-%d}" if when else "?")
            return await self._detail(request, operator, slug, status=409, error=error)
        except lifecycle.NotDeleted:
            return await self._detail(
                request, operator, slug, status=409, error=_("{slug} is not deleted.").format(slug=slug)
            )
        return Redirect(f"/operator/tenants/{slug}?done=restored", status_code=303)

    @post("/support", operation_id="OperatorEnterAsSupport")
    async def enter_as_support(
        self, request: Request[Any, Any, Any], operator: PlatformOperator, slug: str
    ) -> Template | Redirect:
        """Enter the tenant as support, if its admin granted access: a one-time link to its host."""
        state = request.app.state
        try:
            token = await support.start_entry(state.db, state.settings, slug, acting(request, operator))
        except registry.TenantNotFound as exc:
            raise NotFoundException() from exc
        except support.SupportRefused as refusal:
            return await self._detail(
                request, operator, slug, status=403, error=_(SUPPORT_REFUSALS[refusal.code]).format(slug=slug)
            )
        return Redirect(f"{tenant_url(request, slug)}/support/enter?token={token}", status_code=303)
