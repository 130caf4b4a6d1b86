"""The pipeline pages: the kanban board (drag a card to another stage; on a phone, a stage select),
the list, a deal with its products, stage history and moves, turning a won deal into an order, and the
forecast against the targets (managers set them there). Contracts have their own pages
(web/controllers/contracts.py).

Thin: parse the query or form, call the services, render. A refused move answers 422 with the
reason: the board's script puts the card back where it was and shows the reason; without script the
board is shown again with it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import assignable_owners, staff_names
from app.domain import Actor, PermissionDenied, ValidationFailed
from app.i18n import gettext as _
from app.inventory.service import WarehouseService
from app.kit.enums import N_
from app.opportunities.contracts import ContractService, contract_conditions
from app.opportunities.entity import OPPORTUNITIES_MANAGE, OPPORTUNITY
from app.opportunities.filters import OPPORTUNITY_FILTERS, OpportunityFilter, list_opportunities
from app.opportunities.forecast import SalesTargets, add_months
from app.opportunities.service import OpportunityService, PipelineView, weighted
from app.workflows import pipelines
from app.workflows.entity import WORKFLOW as PIPELINE_ERRORS
from app.workflows.errors import GuardFailed, NotAllowedTransition, refusal_text
from app.workflows.permissions import WORKFLOWS_MANAGE
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, page
from web.kit.forms import messages
from web.kit.lists import (
    Column,
    ListSpec,
    RowAction,
    list_response,
    open_workflow_list,
    results_only,
)


def _locale(request: Request[Any, Any, Any]) -> str:
    return str(request.scope.get("state", {}).get("locale") or "zh_CN")


PIPELINE_COOKIE_AGE = 180 * 86400


def _pipeline_cookie(actor: Actor) -> str:
    return f"pipeline_{str(actor.user_id)[:8]}"


def _chosen_pipeline(request: Request[Any, Any, Any], actor: Actor, shown: list[PipelineView]) -> str | None:
    """The board's pipeline: the switcher's (``?pipeline=``), else the one this user last chose,
    else the default; only pipelines offered (not archived) count."""
    offered = {p.key for p in shown}
    remembered = request.cookies.get(_pipeline_cookie(actor))
    for wanted in (request.query_params.get("pipeline"), remembered):
        if wanted in offered:
            return wanted
    return next((p.key for p in shown if p.is_default), None)


def _version(data: FormData) -> int:
    try:
        return int(data.get("version") or 0)
    except ValueError:
        return 0


async def _contracts_of(session: AsyncSession, actor: Actor, deal_id: uuid.UUID) -> list[Any] | None:
    """The deal's contracts the actor can see (None: they may not read contracts)."""
    if not actor.can("contracts:read"):
        return None
    found = await ContractService(session, actor).page(contract_conditions(opportunity_id=deal_id), first=20)
    return list(found.items)


OPPORTUNITY_LIST = ListSpec(
    entity=OPPORTUNITY,
    path="/opportunities/list",
    filters=OPPORTUNITY_FILTERS,
    columns=(
        Column("name", N_("Opportunity name"), title=True, cls="name-cell"),
        Column("customer_id", N_("Customer")),
        Column("stage", N_("Stage")),
        Column("amount", N_("Amount"), sort="amount", cls="num"),
        Column("probability", N_("Win probability"), wide_only=True, cls="num"),
        Column("expected_close", N_("Expected close date"), wide_only=True, cls="muted"),
        Column("owner_id", N_("Salesperson"), wide_only=True),
    ),
    sorts={
        "created_at": N_("Created"),
        "updated_at": N_("Updated"),
        "amount": N_("Amount"),
    },
    actions=(RowAction("view", N_("View"), "/opportunities/{id}"),),
    bulk=(),
    views=False,
    new_label=N_("New opportunity"),
    new_url="/opportunities/new",
    new_in_drawer=False,
    empty_label=N_("No opportunities yet."),
    row_prefix="opportunity",
    search_hint=N_("Name, competitor or note"),
)


class OpportunitiesController(Controller):
    path = "/opportunities"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    async def _board(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        *,
        problem: str | None = None,
        status_code: int = 200,
    ) -> Template:
        service = OpportunityService(db_session, actor)
        shown = await service.pipelines(archived=False)
        chosen = _chosen_pipeline(request, actor, shown)
        columns = await service.board(pipeline=chosen)
        deals = [d for c in columns for d in c.deals]
        locale = _locale(request)
        ctx = page(
            request,
            actor,
            nav="opportunities",
            pipelines=shown,
            pipeline=chosen,
            columns=columns,
            names=await service.names(deals),
            stages=[(c.stage.key, c.stage.label_in(locale)) for c in columns],
            locale=locale,
            problem=problem,
            can_edit=actor.can("opportunities:edit"),
            weighted=weighted,
        )
        response = Template("opportunities/board.html", context=ctx, status_code=status_code)
        if chosen is not None:
            # The switcher's choice is remembered for this user on this browser.
            response.set_cookie(_pipeline_cookie(actor), chosen, max_age=PIPELINE_COOKIE_AGE, httponly=True)
        return response

    @get("/", operation_id="OpportunityBoardPage", name="opportunities.board")
    async def board(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """The kanban of one pipeline (``?pipeline=``, else the one last chosen, else the default):
        a column per stage with its deals, their count and sum."""
        return await self._board(request, db_session, actor)

    # -- pipelines (admin) -------------------------------------------------------------------------

    async def _pipelines(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        *,
        problem: str | None = None,
        status_code: int = 200,
    ) -> Template:
        service = OpportunityService(db_session, actor)
        if not actor.can(WORKFLOWS_MANAGE):
            raise PermissionDenied(WORKFLOWS_MANAGE)
        ctx = page(
            request,
            actor,
            nav="opportunities",
            pipelines=await service.pipelines(),
            problem=problem,
        )
        return Template("opportunities/pipelines.html", context=ctx, status_code=status_code)

    @get("/pipelines", operation_id="PipelinesPage", name="opportunities.pipelines")
    async def pipelines_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """The tenant's pipelines: add (blank or copied), rename, reorder, archive (workflow managers)."""
        return await self._pipelines(request, db_session, actor)

    async def _pipeline_verb(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        verb: Any,
    ) -> Template | Redirect:
        try:
            await verb
        except ValidationFailed as exc:
            await db_session.rollback()
            count = pipelines.open_count_of(exc)
            if count is not None:
                text = _("%(count)s open deals are in this pipeline: move or close them first.") % {
                    "count": count
                }
            else:
                text = "；".join(dict.fromkeys(messages(PIPELINE_ERRORS, exc).values()))
            return await self._pipelines(request, db_session, actor, problem=text, status_code=422)
        return Redirect("/opportunities/pipelines", status_code=303)

    @post("/pipelines", operation_id="CreatePipelinePage", name="opportunities.pipelines.create")
    async def create_pipeline(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """Add a pipeline: blank (the built-in stages) or a copy of another's stages and guards."""
        verb = pipelines.create_pipeline(
            db_session,
            actor,
            OPPORTUNITY.key,
            data.get("name") or "",
            copy_from=data.get("copy_from") or None,
        )
        return await self._pipeline_verb(request, db_session, actor, verb)

    @post("/pipelines/{key:str}", operation_id="UpdatePipelinePage", name="opportunities.pipelines.update")
    async def update_pipeline(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        key: str,
        data: FormData,
    ) -> Template | Redirect:
        """Rename a pipeline and/or move it (``position``: 0 is first, the default)."""
        raw_position = (data.get("position") or "").strip()
        position = int(raw_position) if raw_position.lstrip("-").isdigit() else None
        verb = pipelines.update_pipeline(
            db_session, actor, OPPORTUNITY.key, key, name=data.get("name") or None, position=position
        )
        return await self._pipeline_verb(request, db_session, actor, verb)

    @post(
        "/pipelines/{key:str}/archive",
        operation_id="ArchivePipelinePage",
        name="opportunities.pipelines.archive",
    )
    async def archive_pipeline(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, key: str
    ) -> Template | Redirect:
        """Archive a pipeline (refused while deals are open in it, and for the last one)."""
        verb = pipelines.archive_pipeline(db_session, actor, OPPORTUNITY.key, key)
        return await self._pipeline_verb(request, db_session, actor, verb)

    @post(
        "/{opportunity_id:uuid}/pipeline",
        operation_id="MoveOpportunityPipelinePage",
        name="opportunities.pipeline",
    )
    async def change_pipeline(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        opportunity_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Put a deal in another pipeline; its stage maps to the same-named one or the first open one."""
        try:
            await OpportunityService(db_session, actor).change_pipeline(
                opportunity_id, str(data.get("pipeline") or ""), _version(data)
            )
        except ValidationFailed as exc:
            text = "；".join(dict.fromkeys(messages(OPPORTUNITY, exc).values()))
            return await self._detail(
                request, db_session, actor, opportunity_id, problem=text, status_code=422
            )
        return Redirect(f"/opportunities/{opportunity_id}", status_code=303)

    async def _new(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        *,
        form: dict[str, str],
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        service = OpportunityService(db_session, actor)
        ctx = page(
            request,
            actor,
            nav="opportunities",
            customers=await service.customer_choices(),
            form=form,
            errors=errors or {},
        )
        return Template("opportunities/new.html", context=ctx, status_code=status_code)

    @get("/new", operation_id="NewOpportunityPage", name="opportunities.new")
    async def new(self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor) -> Template:
        """The new-deal form (a customer may be chosen already: ``?customer_id=``)."""
        return await self._new(
            request, db_session, actor, form={"customer_id": request.query_params.get("customer_id") or ""}
        )

    @post("/new", operation_id="CreateOpportunityPage", name="opportunities.create")
    async def create(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """Open a deal for a customer the actor can see, in the pipeline's first stage."""
        names = ("name", "customer_id", "amount", "expected_close", "probability", "competitor", "note")
        raw = {k: (data.get(k) or "").strip() or None for k in names}
        try:
            deal = await OpportunityService(db_session, actor).create(raw)
        except ValidationFailed as exc:
            return await self._new(
                request,
                db_session,
                actor,
                form={k: str(data.get(k) or "") for k in names},
                errors=messages(OPPORTUNITY, exc),
                status_code=422,
            )
        return Redirect(f"/opportunities/{deal.id}", status_code=303)

    @get("/list", operation_id="OpportunityListPage", name="opportunities.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Deals the actor can see on the list kit, newest first: search by name, competitor or note,
        stage, salesperson, expected close; sortable by amount, expected close, creation and update."""

        async def fetch(filters: OpportunityFilter, **paging: Any) -> Any:
            return await list_opportunities(db_session, actor, filters, **paging)

        service = OpportunityService(db_session, actor)
        view = await open_workflow_list(
            request, db_session, actor, OPPORTUNITY_LIST, OpportunityFilter, fetch, "stage"
        )
        stages = {s.key: s for s in await service.stages()}
        if not results_only(request):
            view.staff = await assignable_owners(db_session, actor)
        view.names = await staff_names(db_session, [d.owner_id for d in view.rows if d.owner_id])
        ctx = page(
            request,
            actor,
            nav="opportunities",
            customers=await service.names(view.rows),
            stages=dict(view.options["stage"]),
            probability={k: s.probability for k, s in stages.items()},
        )
        return list_response(request, view, "opportunities/list.html", "opportunities/_results.html", ctx)

    async def _detail(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        deal_id: uuid.UUID,
        *,
        problem: str | None = None,
        status_code: int = 200,
    ) -> Template:
        service = OpportunityService(db_session, actor)
        deal = await service.get(deal_id)
        products = (await service.products([deal.id]))[deal.id]
        locale = _locale(request)
        stages = {s.key: s for s in await service.stages(deal.pipeline)}
        stage = stages.get(deal.stage)
        shown = await service.pipelines()
        warehouses = []
        if (
            stage is not None
            and stage.category == "won"
            and deal.order_id is None
            and actor.can("orders:create")
        ):
            warehouses = [
                (w.id, w.name) for w in (await WarehouseService(db_session, actor).page(first=100)).items
            ]
        ctx = page(
            request,
            actor,
            nav="opportunities",
            d=deal,
            products=products,
            names=await service.names([deal], products),
            stage=stage.label_in(locale) if stage else deal.stage,
            labels={k: s.label_in(locale) for k, s in stages.items()},
            win=deal.probability if deal.probability is not None else (stage.probability if stage else 0),
            moves=[(s.key, s.label_in(locale), s.category) for s in await service.moves(deal)],
            stays=await service.history(deal),
            pipelines=shown,
            pipeline_name=next((p.name for p in shown if p.key == deal.pipeline), deal.pipeline),
            warehouses=warehouses,
            can_edit=actor.can("opportunities:edit"),
            contracts=await _contracts_of(db_session, actor, deal.id),
            can_contract=actor.can("contracts:create") and deal.deleted_at is None,
            problem=problem,
        )
        return Template("opportunities/detail.html", context=ctx, status_code=status_code)

    @get("/{opportunity_id:uuid}", operation_id="OpportunityPage", name="opportunities.detail")
    async def detail(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        opportunity_id: uuid.UUID,
    ) -> Template:
        """One deal: customer, amount and probability, products of interest, stage history, moves."""
        return await self._detail(request, db_session, actor, opportunity_id)

    @post("/{opportunity_id:uuid}/move", operation_id="MoveOpportunityPage", name="opportunities.move")
    async def move(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        opportunity_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Move a deal to another stage (the board's drag and drop, a phone's stage select, the deal's
        page), given the version shown; a lost deal takes its reason."""
        back = data.get("back") or ""
        try:
            deal = await OpportunityService(db_session, actor).move(
                opportunity_id,
                str(data.get("to") or ""),
                _version(data),
                lost_reason=(data.get("lost_reason") or "").strip() or None,
            )
        except (NotAllowedTransition, GuardFailed) as exc:
            reason = refusal_text(exc)
        except ValidationFailed as exc:
            reason = "；".join(dict.fromkeys(messages(OPPORTUNITY, exc).values()))
        else:
            if request.headers.get("hx-request"):
                return Template(
                    "opportunities/moved.html", context={"version": deal.version}, status_code=200
                )
            target = "/opportunities" if back == "board" else f"/opportunities/{opportunity_id}"
            return Redirect(target, status_code=303)
        if request.headers.get("hx-request"):
            return Template("opportunities/refused.html", context={"reason": reason}, status_code=422)
        if back == "board":
            return await self._board(request, db_session, actor, problem=reason, status_code=422)
        return await self._detail(request, db_session, actor, opportunity_id, problem=reason, status_code=422)

    @post("/{opportunity_id:uuid}/order", operation_id="OpportunityToOrder", name="opportunities.order")
    async def to_order(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        opportunity_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Create the order of a won deal, shipped from the chosen warehouse."""
        try:
            order = await OpportunityService(db_session, actor).convert_to_order(
                opportunity_id, data.get("warehouse_id") or None
            )
        except ValidationFailed as exc:
            text = "；".join(dict.fromkeys(messages(OPPORTUNITY, exc).values()))
            return await self._detail(
                request, db_session, actor, opportunity_id, problem=text, status_code=422
            )
        return Redirect(f"/orders/{order.id}", status_code=303)

    async def _forecast(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        *,
        errors: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        today = date.today()
        first = date(today.year, today.month, 1)
        targets = SalesTargets(db_session, actor)
        found = await targets.forecast(first, 3)
        can_manage = actor.can(OPPORTUNITIES_MANAGE)
        ctx = page(
            request,
            actor,
            nav="forecast",
            f=found,
            can_manage=can_manage,
            people=[(r.key, r.name) for r in found.people if r.key is not None],
            teams=[(r.key, r.name) for r in found.teams if r.key is not None],
            months=[add_months(first, i) for i in range(3)],
            errors=errors or {},
            form=form or {},
        )
        return Template("opportunities/forecast.html", context=ctx, status_code=status_code)

    @get("/forecast", operation_id="ForecastPage", name="opportunities.forecast")
    async def forecast(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """This month and the next two: weighted pipeline, won and target per person, team and total."""
        return await self._forecast(request, db_session, actor)

    @post("/targets", operation_id="SetSalesTargetPage", name="opportunities.target")
    async def set_target(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """Set a month's target of a salesperson or team the manager manages."""
        holder = data.get("holder") or ""
        kind, _sep, holder_id = holder.partition(":")
        raw = {"month": data.get("month"), "amount": data.get("amount")}
        raw["user_id" if kind == "user" else "team_id"] = holder_id or None
        try:
            await SalesTargets(db_session, actor).set_target(raw)
        except ValidationFailed as exc:
            return await self._forecast(
                request,
                db_session,
                actor,
                errors=messages(OPPORTUNITY, exc),
                form={k: str(v or "") for k, v in data.items()},
                status_code=422,
            )
        return Redirect("/opportunities/forecast", status_code=303)
