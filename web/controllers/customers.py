"""The customer admin: list with live search and filters, drawer form, detail page, recycle bin.

Every read and write goes through ``app.customers.service``, which enforces permission and data
scope; this module only parses what the browser sent and renders the answer.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.accounts.permissions import AUDIT_READ, CUSTOMERS_CREATE, CUSTOMERS_DELETE, CUSTOMERS_EDIT
from app.audit import service as audit
from app.customers import service as customers
from app.customers.entity import SPEC
from app.customers.fields import LIMITS
from app.customers.filters import CUSTOMER_FILTERS
from app.customers.models import Customer
from app.customers.repository import CustomerFilter
from app.customers.service import CustomerService
from app.customers.validation import CustomerInput
from app.domain import Actor, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from app.http import form_stash
from app.http.auth import current_tenant
from app.i18n import gettext as _
from app.idempotency import service as idempotency
from app.kit.enums import N_
from app.reference import divisions
from web.controllers import custom_fields as custom_field_web
from web.controllers.audit import audit_labels, history_rows
from web.controllers.common import (
    DOMAIN_ERROR_HANDLERS,
    FormData,
    field_errors,
    htmx_details,
    htmx_target,
    is_htmx,
    page,
)
from web.controllers.customer360 import confirmed, duplicate_errors, duplicate_notice
from web.controllers.labels import CHOICES, choice_label, field_label
from web.kit.lists import (
    ASSIGN_OWNER,
    DELETE,
    MOVE_STAGE,
    RESTORE,
    Column,
    ListSpec,
    ListView,
    add_to_list,
    list_extras,
    load_page,
    parse_list_query,
    remove_from_list,
    run_bulk,
)
from web.templating import fmt_datetime

CUSTOMER_LIST = ListSpec(
    entity=SPEC,
    path="/customers",
    filters=CUSTOMER_FILTERS,
    service=CustomerService,
    columns=(
        Column("name", N_("Name"), sort="name", title=True, cls="name-cell"),
        Column("mobile", N_("Mobile"), cls="mono"),
        Column("place", N_("City / district"), wide_only=True),
        Column("status", N_("Status")),
        Column("tier", N_("Tier"), wide_only=True),
        Column("tags", N_("Tags"), wide_only=True, cls="tags-cell"),
        Column("owner_id", N_("Owner")),
        Column("updated_at", N_("Updated"), sort="updated_at", wide_only=True, cls="muted"),
    ),
    sorts={"created_at": N_("Created"), "updated_at": N_("Updated"), "name": N_("Name")},
    bulk=(
        DELETE,
        RESTORE,
        ASSIGN_OWNER,
        add_to_list("tags", N_("Add tag"), LIMITS["tag"]),
        remove_from_list("tags", N_("Remove tag")),
        MOVE_STAGE,
    ),
    new_label=N_("New customer"),
    empty_label=N_("No customers yet."),
    row_prefix="customer",
    custom_after="tags",
    filter_type=CustomerFilter,
)

FORM_FIELDS = tuple(f for f in CustomerInput.__dataclass_fields__ if f != "custom")  # custom.<key>: see below
# The hidden one-time token of the create form (a resubmission finds the first customer).
FORM_ONCE = "_once"


def context(request: Request[Any, Any, Any], actor: Actor, **extra: Any) -> dict[str, Any]:
    return page(
        request,
        actor,
        nav="customers",
        choices=CHOICES,
        choice_label=choice_label,
        field_label=field_label,
        limits=LIMITS,
        cfv=custom_field_web.VIEW,
        **extra,
    )


def htmx_done(message: str | None, **events: Any) -> Response[str]:
    """An HTMX answer that closes the drawer, shows a toast and tells the page what changed."""
    if message:
        events["toast"] = message
    headers = {
        "HX-Trigger": json.dumps(events),
        "HX-Retarget": "#drawer",
        "HX-Reswap": "innerHTML",
    }
    return Response("", headers=headers, media_type="text/html", status_code=200)


# -- the list -------------------------------------------------------------------------------------


async def _resume_redirect(request: Request[Any, Any, Any], resume: str | None) -> Redirect | None:
    """A form parked from a drawer on this page: send the browser to the form page that restores it."""
    if not resume:
        return None
    parked = await form_stash.peek(request.app.state.redis, current_tenant(request).slug, resume)
    target = str((parked or {}).get("form", {}).get("_form") or "")
    if target == "/customers/new" or (target.startswith("/customers/") and target.endswith("/edit")):
        return Redirect(f"{target}?resume={resume}", status_code=303)
    return None


# -- the form -------------------------------------------------------------------------------------


def values_of(customer: Customer, tags: list[str]) -> dict[str, str]:
    values = {name: getattr(customer, name, None) for name in FORM_FIELDS if name != "tags"}
    out = {
        k: ("" if v is None else v.isoformat() if hasattr(v, "isoformat") else str(v))
        for k, v in values.items()
    }
    out["tags"] = ", ".join(tags)
    return out


def input_of(data: dict[str, str], *, updating: bool = False) -> CustomerInput:
    values = {name: data.get(name, "") for name in FORM_FIELDS}
    if updating and not values["owner_id"]:
        # The form always names an owner; a post without one keeps the current owner rather than
        # leaving the customer unassigned (and out of everyone's scope but the admins').
        del values["owner_id"]
    return CustomerInput(**values)


def friendly_errors(exc: ValidationFailed) -> dict[str, str]:
    """Inline messages by field; "too long" says how long it may be."""
    errors = field_errors(exc)
    errors.pop("custom", None)
    errors.update({f"custom.{k}": v for k, v in custom_field_web.value_errors(exc).items()})
    for error in exc.errors:
        name = error.field.split(".")[0]
        limit = LIMITS.get("tag" if name == "tags" else name)
        if error.code == "too_long" and limit:
            errors[name] = _("At most %(n)s characters.") % {"n": limit}
    return errors


async def form_context(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    actor: Actor,
    *,
    values: dict[str, str],
    customer: Customer | None,
    errors: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    owners = await accounts.assignable_owners(session, actor)
    province, city = values.get("province") or "", values.get("city") or ""
    form_path = f"/customers/{customer.id}/edit" if customer else "/customers/new"
    return context(
        request,
        actor,
        values=values,
        customer=customer,
        errors=errors or {},
        owners=owners,
        staff=owners,
        **await custom_field_web.form_extras(
            session, customers.ENTITY, values, customer.custom if customer else None, errors or {}
        ),
        form_path=form_path,
        action=f"/customers/{customer.id}" if customer else "/customers",
        provinces=divisions.provinces(),
        cities=[(c, divisions.display_city(province, c)) for c in divisions.cities(province)]
        if province
        else [],
        districts=divisions.districts(province, city) if province and city else [],
        **extra,
    )


def render_form(request: Request[Any, Any, Any], ctx: dict[str, Any], status: int = 200) -> Template:
    """The form alone when HTMX re-submits it, the drawer when HTMX opens it, else a whole page."""
    if is_htmx(request) and request.method == "POST":
        name = "customers/_form.html"
    elif htmx_target(request) == "drawer":
        name = "customers/_drawer.html"
    else:
        name = "customers/form_page.html"
    return Template(
        name, context={**ctx, "in_drawer": name != "customers/form_page.html"}, status_code=status
    )


async def _restored(
    request: Request[Any, Any, Any], resume: str | None, form_path: str
) -> dict[str, str] | None:
    """The values a user typed before their session ran out, if they were parked for this form."""
    if not resume:
        return None
    redis, slug = request.app.state.redis, current_tenant(request).slug
    parked = await form_stash.peek(redis, slug, resume)
    if not parked or form_path not in (parked.get("path"), parked.get("form", {}).get("_form")):
        return None
    taken = await form_stash.take(redis, slug, resume)
    return {k: str(v) for k, v in (taken or {}).get("form", {}).items()}


async def _tag_choices(session: AsyncSession, actor: Actor) -> list[tuple[str, str]]:
    return [(t, t) for t in await customers.all_tag_names(session, actor)]


class CustomersController(Controller):
    path = "/customers"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="CustomerListPage", name="customers.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template | Redirect:
        """The customer list (the results fragment alone for HTMX searches and page links)."""
        if redirect := await _resume_redirect(request, request.query_params.get("resume")):
            return redirect
        definitions = await custom_field_web.active_definitions(db_session, customers.ENTITY)
        query = parse_list_query(
            CUSTOMER_LIST,
            CustomerFilter,
            request.query_params,
            request.app.state.settings.page_size_max,
            definitions,
            custom_field_web.VIEW.label,
        )

        async def fetch(filters: CustomerFilter, **paging: Any) -> Any:
            return await customers.list_customers(db_session, actor, filters, **paging)

        page_ = await load_page(query, fetch)
        rows = page_.items if page_ else []
        ids = [c.id for c in rows]
        hx = htmx_details(request)
        fragment = hx is not None and hx.target == "results" and not hx.history_restore_request
        view = ListView(
            spec=CUSTOMER_LIST,
            query=query,
            page=page_,
            actor=actor,
            columns=CUSTOMER_LIST.columns,
            custom_columns=await custom_field_web.list_columns(
                db_session, actor, customers.ENTITY, definitions
            ),
            custom_definitions=definitions,
            staff=await accounts.assignable_owners(db_session, actor),
            options={}
            if fragment
            else {"tag": [(t, t) for t in await customers.all_tag_names(db_session, actor)]},
            names=await accounts.staff_names(
                db_session,
                [c.owner_id for c in rows if c.owner_id]
                + custom_field_web.staff_ids(definitions, [c.custom or {} for c in rows]),
            ),
            **await list_extras(db_session, actor, CUSTOMER_LIST, query),
        )
        ctx = context(
            request,
            actor,
            view=view,
            query=query,
            tags=await customers.tag_names(db_session, ids) if ids else {},
            can_create=actor.can(CUSTOMERS_CREATE),
            display_city=divisions.display_city,
        )
        status = 400 if query.problems else 200
        headers = {"Vary": "HX-Request"}
        if fragment:
            assert hx is not None
            if hx.trigger != "results":
                # Searches and page links: the address bar shows the canonical query, so a reload keeps it.
                headers["HX-Push-Url"] = query.current_url()
            return Template("customers/_results.html", context=ctx, status_code=status, headers=headers)
        return Template("customers/list.html", context=ctx, status_code=status, headers=headers)

    @post("/bulk", operation_id="BulkCustomerAction", name="customers.bulk")
    async def bulk_action(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Response[Any] | Redirect:
        """Delete, restore, give to another owner or tag the ticked customers, one at a time through
        the service (permission, scope, audit and undo per customer); the toast counts what was done."""
        return await run_bulk(request, CUSTOMER_LIST, db_session, actor)

    @get("/divisions", operation_id="CustomerDivisionOptions", name="customers.divisions")
    async def division_options(
        self, request: Request[Any, Any, Any], actor: Actor, province: str = "", city: str = ""
    ) -> Template:
        """<option>s for the next level of the address picker: cities of a province, districts of a city.
        ``?prefix=delivery_``: a picker whose selects are named delivery_province, delivery_city."""
        prefix = request.query_params.get("prefix", "")
        if prefix == "delivery_":
            province = request.query_params.get("delivery_province", "")
            city = request.query_params.get("delivery_city", "")
        if city:
            options = [(d, d) for d in divisions.districts(province, city)]
        else:
            options = [(c, divisions.display_city(province, c)) for c in divisions.cities(province)]
        return Template("customers/_options.html", context={"options": options})

    @get("/new", operation_id="NewCustomerForm", name="customers.new")
    async def new_form(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        resume: str | None = None,
    ) -> Template:
        """The empty form (a drawer for HTMX, a page otherwise); restores parked input after a re-login."""
        if not actor.can(CUSTOMERS_CREATE):
            raise PermissionDenied(CUSTOMERS_CREATE)
        restored = await _restored(request, resume, "/customers/new")
        values = restored or {"kind": "individual", "status": "lead", "owner_id": str(actor.user_id)}
        # One token per form shown: submitting it twice creates one customer (app.idempotency).
        values.setdefault(FORM_ONCE, uuid.uuid4().hex)
        ctx = await form_context(
            request, db_session, actor, values=values, customer=None, restored=bool(restored)
        )
        return render_form(request, ctx)

    @post("/", operation_id="CreateCustomer", name="customers.create")
    async def create(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Response[Any] | Redirect:
        """Create from the form; inline errors with 422, or close the drawer and refresh the list.

        The form's one-time token (``_once``) makes a resubmission (a double click, a retry after a
        lost answer) land on the customer the first submission created instead of another one."""
        token = data.get(FORM_ONCE) or uuid.uuid4().hex
        try:
            async with idempotency.once(
                db_session, actor, f"form:customers.create:{token}", token
            ) as attempt:
                if attempt.replay is None:
                    typed = await custom_field_web.with_custom_values(
                        attempt.session, customers.ENTITY, data, input_of(data)
                    )
                    customer = await customers.create_customer(
                        attempt.session, actor, typed, confirm_duplicates=confirmed(data)
                    )
                    attempt.remember({"id": str(customer.id), "name": customer.name})
        except ValidationFailed as exc:  # nothing was written, and the token is free again
            ctx = await form_context(
                request,
                db_session,
                actor,
                values=data,
                customer=None,
                errors=friendly_errors(exc) | duplicate_errors(exc),
                duplicates=duplicate_notice(exc),
            )
            return render_form(request, ctx, status=422)
        created = attempt.replay or attempt.response or {}
        message = _("Customer %(name)s created.") % {"name": created["name"]}
        if is_htmx(request):
            return htmx_done(message, **{"customers-changed": created["id"]})
        return Redirect(f"/customers/{created['id']}", status_code=303)

    @get("/{customer_id:uuid}", operation_id="CustomerDetailPage", name="customers.detail")
    async def detail(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        customer_id: uuid.UUID,
        resume: str | None = None,
    ) -> Template | Redirect:
        """Every field, tags, who created and changed it, and its audit history."""
        if redirect := await _resume_redirect(request, resume):
            return redirect
        customer = await customers.get_customer(db_session, actor, customer_id)
        history = []
        if actor.can(AUDIT_READ):
            records = await audit.list_records(
                db_session,
                actor,
                audit.AuditFilter(entity=customers.ENTITY, entity_id=str(customer.id)),
                limit=50,
            )
            history = await history_rows(db_session, records)
        people = [customer.owner_id, customer.created_by, customer.updated_by, customer.deleted_by]
        custom_definitions = await custom_field_web.active_definitions(db_session, customers.ENTITY)
        ctx = context(
            request,
            actor,
            customer=customer,
            history=history,
            can_audit=actor.can(AUDIT_READ),
            tags=(await customers.tag_names(db_session, [customer.id]))[customer.id],
            names=await accounts.staff_names(
                db_session,
                [p for p in people if p]
                + custom_field_web.staff_ids(custom_definitions, [customer.custom or {}]),
            ),
            custom_definitions=custom_definitions,
            can_write=actor.can(CUSTOMERS_EDIT),
            can_delete=actor.can(CUSTOMERS_DELETE),
            address=divisions.format_address(
                customer.province, customer.city, customer.district, customer.address_detail
            ),
            **audit_labels(),
        )
        return Template("customers/detail.html", context=ctx)

    @get("/{customer_id:uuid}/edit", operation_id="EditCustomerForm", name="customers.edit")
    async def edit_form(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        customer_id: uuid.UUID,
        resume: str | None = None,
    ) -> Template:
        """The filled-in form; after a re-login it shows what the user had typed instead."""
        customer = await customers.get_customer(db_session, actor, customer_id)
        if customer.deleted_at is not None:
            raise NotFound(customers.ENTITY, customer_id)
        if not actor.can(CUSTOMERS_EDIT):
            raise PermissionDenied(CUSTOMERS_EDIT)
        restored = await _restored(request, resume, f"/customers/{customer.id}/edit")
        tags = (await customers.tag_names(db_session, [customer.id]))[customer.id]
        values = restored or values_of(customer, tags)
        ctx = await form_context(
            request, db_session, actor, values=values, customer=customer, restored=bool(restored)
        )
        return render_form(request, ctx)

    @post("/{customer_id:uuid}", operation_id="UpdateCustomer", name="customers.update")
    async def update(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        customer_id: uuid.UUID,
        data: FormData,
    ) -> Template | Response[Any] | Redirect:
        """Save the form against the version it was opened at; a newer version is a conflict, not a loss."""
        version = int(data["version"]) if (data.get("version") or "").isdigit() else -1
        try:
            customer = await customers.update_customer(
                db_session,
                actor,
                customer_id,
                version,
                await custom_field_web.with_custom_values(
                    db_session, customers.ENTITY, data, input_of(data, updating=True)
                ),
                confirm_duplicates=confirmed(data),
            )
        except (ValidationFailed, VersionConflict) as exc:
            await db_session.rollback()
            current = await customers.get_customer(db_session, actor, customer_id)
            errors, conflict, status = {}, None, 409
            if isinstance(exc, ValidationFailed):
                errors, status = friendly_errors(exc) | duplicate_errors(exc), 422
            else:
                conflict = _("%(who)s changed this customer at %(when)s, after you opened the form.") % {
                    "who": exc.changed_by or _("Someone"),
                    "when": fmt_datetime(exc.changed_at),
                }
            ctx = await form_context(
                request,
                db_session,
                actor,
                values=data,
                customer=current,
                errors=errors,
                conflict=conflict,
                duplicates=duplicate_notice(exc),
            )
            return render_form(request, ctx, status=status)
        message = _("Customer %(name)s saved.") % {"name": customer.name}
        if is_htmx(request):
            return htmx_done(message, **{"customers-changed": str(customer.id)})
        return Redirect(f"/customers/{customer.id}", status_code=303)

    @post("/{customer_id:uuid}/delete", operation_id="DeleteCustomer", name="customers.delete")
    async def delete(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, customer_id: uuid.UUID
    ) -> Response[Any] | Redirect:
        """Move to the recycle bin; the toast offers an undo."""
        # Out of scope reads as absent (404) before the delete permission is even considered.
        await customers.get_customer(db_session, actor, customer_id)
        customer = await customers.delete_customer(db_session, actor, customer_id)
        if is_htmx(request):
            undo = {
                "message": _("Customer %(name)s moved to the recycle bin.") % {"name": customer.name},
                "label": _("Undo"),
                "url": f"/customers/{customer.id}/restore",
            }
            return htmx_done(None, **{"toast-undo": undo, "customers-changed": str(customer.id)})
        return Redirect(f"/customers/{customer.id}", status_code=303)

    @post("/{customer_id:uuid}/restore", operation_id="RestoreCustomer", name="customers.restore")
    async def restore(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, customer_id: uuid.UUID
    ) -> Response[Any] | Redirect:
        """Bring a customer back from the recycle bin."""
        customer = await customers.restore_customer(db_session, actor, customer_id)
        if is_htmx(request):
            message = _("Customer %(name)s restored.") % {"name": customer.name}
            return htmx_done(message, **{"customers-changed": str(customer.id)})
        return Redirect(f"/customers/{customer.id}", status_code=303)
