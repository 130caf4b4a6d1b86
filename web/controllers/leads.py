"""The lead pages (list with search, status and overdue filters; a new lead; a lead with its convert
and assign buttons), the pool page (公海: pools, their customers with claim buttons, and for managers
the pools and the rule), and the public web form (no login, embeddable).

Thin: parse the query or form, call the lead, pool and web-form services, render. A refusal shows the
page again with the reason (422); a duplicate on conversion shows whose customer it matches.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import assignable_owners, staff_names
from app.customers.entity import SPEC as CUSTOMER
from app.domain import Actor, ValidationFailed
from app.http.auth import client_ip, current_tenant
from app.i18n import gettext as _
from app.kit.duplicates import DuplicateFound
from app.kit.enums import N_
from app.leads import rules as lead_rules
from app.leads.entity import LEAD, POOLS_MANAGE, POOLS_READ
from app.leads.fields import RuleStrategy
from app.leads.filters import (
    LEAD_FILTERS,
    POOL_FILTERS,
    LeadFilter,
    PoolFilter,
    list_leads,
    list_pool_customers,
)
from app.leads.pools import PoolService
from app.leads.service import LeadService
from app.leads.settings import lead_settings, update_lead_settings
from app.leads.webform import FORM_FIELDS, HONEYPOT, RateLimited, form_token, submit
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, page
from web.kit.forms import messages
from web.kit.lists import (
    ASSIGN_OWNER,
    DELETE,
    RESTORE,
    VIEW_ROW,
    Column,
    ListSpec,
    RowAction,
    list_response,
    open_list,
    run_bulk,
)

LEAD_LIST = ListSpec(
    entity=LEAD,
    path="/leads",
    filters=LEAD_FILTERS,
    columns=(
        Column("name", N_("Name"), sort="name", title=True, cls="name-cell"),
        Column("status", N_("Lead status")),
        Column("owner_id", N_("Owner")),
        Column("product_category", N_("Product interest"), wide_only=True),
        Column("source", N_("Lead source"), wide_only=True),
        Column("respond_by", N_("Respond by"), wide_only=True, cls="muted"),
        Column("created_at", N_("Created"), sort="created_at", wide_only=True, cls="muted"),
    ),
    sorts={"created_at": N_("Created"), "updated_at": N_("Updated"), "name": N_("Name")},
    actions=(VIEW_ROW,),
    service=LeadService,
    # The lead service's own verbs, one lead at a time: delete (with undo) and a new owner (the
    # assignment rules' checks apply to the person chosen).
    bulk=(DELETE, RESTORE, ASSIGN_OWNER),
    views=False,
    new_label=N_("New lead"),
    new_in_drawer=False,
    empty_label=N_("No leads yet."),
    row_prefix="lead",
    search_hint=N_("Name, phone, company or region"),
)

# A pool's customers (basic data only until claimed): the pool's tabs choose which.
POOL_LIST = ListSpec(
    entity=CUSTOMER,
    path="/pools",
    filters=POOL_FILTERS,
    columns=(
        Column("name", N_("Name"), sort="name", title=True, cls="name-cell"),
        Column("region", N_("Region")),
        Column("last_contact", N_("Last contact"), wide_only=True, cls="muted"),
    ),
    sorts={"updated_at": N_("Updated"), "name": N_("Name")},
    page_size=50,
    actions=(RowAction("claim", N_("Claim"), "/pools/claim/{id}", POOLS_READ, post=True, primary=True),),
    bulk=(),
    views=False,
    empty_label=N_("No customers in this pool."),
    row_prefix="pooled",
)


def _uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


class LeadsController(Controller):
    path = "/leads"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="LeadListPage", name="leads.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Leads the actor can see on the list kit, newest first: search, status, owner, overdue only;
        sortable by name, creation and update."""

        async def fetch(filters: LeadFilter, **paging: Any) -> Any:
            return await list_leads(db_session, actor, filters, **paging)

        view = await open_list(request, db_session, actor, LEAD_LIST, LeadFilter, fetch)
        view.staff = await assignable_owners(db_session, actor)  # owner filter, "change owner"
        view.names = await staff_names(db_session, [r.owner_id for r in view.rows if r.owner_id])
        ctx = page(request, actor, nav="leads", now=datetime.now(UTC))
        return list_response(request, view, "leads/list.html", "leads/_results.html", ctx)

    @post("/bulk", operation_id="BulkLeadAction", name="leads.bulk")
    async def bulk_action(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Response[Any] | Redirect:
        """Delete (undo from the toast) or give to another owner the ticked leads, one at a time
        through the lead service (permission, scope, assignment checks, audit); the toast counts."""
        return await run_bulk(request, LEAD_LIST, db_session, actor)

    @get("/new", operation_id="NewLeadPage", name="leads.new")
    async def new_page(self, request: Request[Any, Any, Any], actor: Actor) -> Template:
        """The form for a lead entered by staff."""
        LeadService(None, actor).require("create")  # type: ignore[arg-type]
        return Template("leads/new.html", context=page(request, actor, nav="leads", values={}, errors={}))

    @post("/new", operation_id="CreateLeadForm", name="leads.create")
    async def create(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """Save a lead; the tenant's rules pick its owner."""
        values = {k: v for k, v in data.items() if k in FORM_FIELDS and v.strip()}
        try:
            lead = await LeadService(db_session, actor).create(values)
        except ValidationFailed as exc:
            ctx = page(request, actor, nav="leads", values=data, errors=messages(LEAD, exc))
            return Template("leads/new.html", context=ctx, status_code=422)
        return Redirect(f"/leads/{lead.id}")

    async def _detail(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        lead_id: uuid.UUID,
        *,
        problem: str | None = None,
        duplicate: DuplicateFound | None = None,
        status_code: int = 200,
    ) -> Template:
        lead = await LeadService(db_session, actor).get(lead_id)
        names = await staff_names(db_session, [lead.owner_id] if lead.owner_id else [])
        ctx = page(
            request,
            actor,
            nav="leads",
            lead=lead,
            names=names,
            spec=LEAD,
            problem=problem,
            duplicate=duplicate,
            overdue=bool(
                lead.respond_by and lead.responded_at is None and lead.status in ("new", "contacted")
            ),
        )
        return Template("leads/detail.html", context=ctx, status_code=status_code)

    async def _rules(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        *,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        found = await lead_rules.rules(db_session, actor)
        teams = await lead_rules.teams(db_session, actor)
        ctx = page(
            request,
            actor,
            nav="leads",
            rules=found,
            teams=teams,
            team_names={t.id: t.name for t in teams},
            strategies=[(m.value, _(m.label)) for m in RuleStrategy],
            errors=errors or {},
            values=values or {},
        )
        return Template("leads/rules.html", context=ctx, status_code=status_code)

    @get("/rules", operation_id="LeadRulesPage", name="leads.rules")
    async def rules_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """The tenant's assignment rules, in the order they are tried, and a form for another."""
        return await self._rules(request, db_session, actor)

    @post("/rules", operation_id="AddLeadRuleForm", name="leads.rules.add")
    async def add_rule(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """Add a rule."""
        try:
            await lead_rules.add_rule(db_session, actor, dict(data))
        except ValidationFailed as exc:
            errors = messages(LEAD, exc)
            return await self._rules(request, db_session, actor, errors=errors, values=data, status_code=422)
        return Redirect("/leads/rules")

    @post("/rules/{rule_id:uuid}/delete", operation_id="RemoveLeadRuleForm", name="leads.rules.remove")
    async def remove_rule(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, rule_id: uuid.UUID
    ) -> Redirect:
        """Remove a rule."""
        await lead_rules.remove_rule(db_session, actor, rule_id)
        return Redirect("/leads/rules")

    @get("/{lead_id:uuid}", operation_id="LeadPage", name="leads.detail")
    async def detail(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, lead_id: uuid.UUID
    ) -> Template:
        """One lead: its details, its owner and timer, convert and assign."""
        return await self._detail(request, db_session, actor, lead_id)

    @post("/{lead_id:uuid}/convert", operation_id="ConvertLeadForm", name="leads.convert")
    async def convert(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        lead_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Make the lead a customer; a match with an existing one is shown, not merged."""
        try:
            done = await LeadService(db_session, actor).convert(
                lead_id, int(data.get("version") or 0), confirm_duplicates=data.get("confirm") == "1"
            )
        except DuplicateFound as exc:
            return await self._detail(request, db_session, actor, lead_id, duplicate=exc, status_code=422)
        except ValidationFailed as exc:
            problem = next(iter(messages(LEAD, exc).values()), "")
            return await self._detail(request, db_session, actor, lead_id, problem=problem, status_code=422)
        return Redirect(f"/customers/{done.customer.id}")

    @post("/{lead_id:uuid}/assign", operation_id="AssignLeadForm", name="leads.assign")
    async def assign(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        lead_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Hand the lead on by the tenant's rules (or to the person chosen)."""
        try:
            await LeadService(db_session, actor).assign(
                lead_id, int(data.get("version") or 0), _uuid(data.get("owner_id"))
            )
        except ValidationFailed as exc:
            problem = next(iter(messages(LEAD, exc).values()), "")
            return await self._detail(request, db_session, actor, lead_id, problem=problem, status_code=422)
        return Redirect(f"/leads/{lead_id}")


class PoolsController(Controller):
    path = "/pools"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    async def _page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        *,
        problem: str | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        service = PoolService(db_session, actor)
        views = await service.pools()

        async def fetch(filters: PoolFilter, **paging: Any) -> Any:
            return await list_pool_customers(db_session, actor, filters, **paging)

        # The first pool unless the tab chose another; a pool the actor may not see is a 404.
        first = {"pool": str(views[0].pool.id)} if views else {}
        view = await open_list(request, db_session, actor, POOL_LIST, PoolFilter, fetch, defaults=first)
        view.options = {"pool_id": [(str(v.pool.id), v.pool.name) for v in views]}
        ctx = page(
            request,
            actor,
            nav="pools",
            pools=views,
            chosen=view.query.filters.pool_id,
            problem=problem,
            errors=errors or {},
            manage=actor.can(POOLS_MANAGE),
            settings=asdict(await lead_settings(db_session)),
        )
        return list_response(
            request,
            view,
            "pools/list.html",
            "pools/_results.html",
            ctx,
            status_code if problem or errors else None,
        )

    @get("/", operation_id="PoolPage", name="pools.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """The pools and one pool's customers (basic data only), with claim buttons."""
        return await self._page(request, db_session, actor)

    @post("/claim/{customer_id:uuid}", operation_id="ClaimCustomerForm", name="pools.claim")
    async def claim(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, customer_id: uuid.UUID
    ) -> Template | Redirect:
        """Claim one customer; over the cap or beaten to it, the page says why."""
        try:
            await PoolService(db_session, actor).claim(customer_id)
        except ValidationFailed as exc:
            return await self._page(
                request, db_session, actor, problem=exc.errors[0].message, status_code=422
            )
        return Redirect(f"/customers/{customer_id}")

    @post("/release/{customer_id:uuid}", operation_id="ReleaseCustomerForm", name="pools.release")
    async def release(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, customer_id: uuid.UUID
    ) -> Template | Redirect:
        """Give one's customer back to its home pool (from the customer's page)."""
        try:
            await PoolService(db_session, actor).release(customer_id)
        except ValidationFailed as exc:
            return await self._page(
                request, db_session, actor, problem=exc.errors[0].message, status_code=422
            )
        return Redirect("/pools")

    @post("/", operation_id="CreatePoolForm", name="pools.create")
    async def create_pool(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """A new pool (managers)."""
        try:
            pool = await PoolService(db_session, actor).create_pool(
                data.get("name") or "", province=data.get("province") or None
            )
        except ValidationFailed as exc:
            return await self._page(request, db_session, actor, errors=messages(LEAD, exc), status_code=422)
        return Redirect(f"/pools?pool={pool.id}")

    @post("/settings", operation_id="PoolSettingsForm", name="pools.settings")
    async def save_settings(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """The cap, the return rule and the lead timer (managers)."""
        try:
            await update_lead_settings(db_session, actor, dict(data))
        except ValidationFailed as exc:
            await db_session.rollback()
            return await self._page(request, db_session, actor, errors=messages(LEAD, exc), status_code=422)
        return Redirect("/pools")


class LeadFormController(Controller):
    """The public web form: on the dealer's host, no login, framable by the dealer's own site."""

    path = "/lead-form"

    @get("/", operation_id="PublicLeadForm", name="leadform.show")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        """The form, with a freshly signed token."""
        tenant = current_tenant(request)
        token = form_token(request.app.state.settings.secret_key, tenant.slug)
        ctx = page(request, None, token=token, values={}, errors={}, honeypot=HONEYPOT, sent=False)
        return Template("leads/public_form.html", context=ctx)

    @post("/", operation_id="PublicLeadFormSubmit", name="leadform.submit")
    async def send(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: FormData
    ) -> Template:
        """Record a submission as a lead (bots are answered like people and recorded as nothing)."""
        tenant = current_tenant(request)
        secret = request.app.state.settings.secret_key
        try:
            await submit(
                db_session,
                request.app.state.redis,
                secret=secret,
                tenant_slug=tenant.slug,
                form=dict(data),
                ip=client_ip(request),
            )
        except RateLimited as exc:
            ctx = page(
                request,
                None,
                token=form_token(secret, tenant.slug),
                values=data,
                honeypot=HONEYPOT,
                errors={"form": _("Too many submissions from your network; please try again later.")},
                sent=False,
            )
            return Template(
                "leads/public_form.html",
                context=ctx,
                status_code=429,
                headers={"Retry-After": str(exc.retry_after)},
            )
        except ValidationFailed as exc:
            ctx = page(
                request,
                None,
                token=form_token(secret, tenant.slug),
                values=data,
                honeypot=HONEYPOT,
                errors=messages(LEAD, exc),
                sent=False,
            )
            return Template("leads/public_form.html", context=ctx, status_code=422)
        ctx = page(request, None, token="", values={}, errors={}, honeypot=HONEYPOT, sent=True)
        return Template("leads/public_form.html", context=ctx)
