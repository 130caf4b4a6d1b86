"""Top-level list pages from an entity's declaration: query string, table, pager, filters, bulk.

An entity's list is a ``ListSpec`` (its filter spec, its columns and which are sortable, its row
actions, its bulk verbs) plus a cell macro for the columns only it knows how to show. The kit parses
the query string through the entity's filter spec (``app.kit.filters``: one message per bad value,
the list still shown), pages by keyset forwards and backwards with the position ("第 41–60 条 / 共 N
条", a capped count shown as "10,000+"), and runs bulk verbs one record at a time through the
service (``app.kit.bulk``). Templates: ``web/templates/kit/list.html`` (macros) and
``web/templates/kit/list_page.html`` (a whole page to extend).

How a list adopts the kit (products, leads, pools, staff, price lists, stock counts do this):

1. Filters, in the app layer (``app/<area>/filters.py``): a ``FilterSpec`` and the frozen dataclass
   it builds (every field defaults to "no condition"), plus the service call that turns that value
   into a ``Page``: ``async def fetch(filters, *, order, first, after, before) -> Page``. An
   ``EntityService`` lists with ``service.page(conditions, order=, first=, after=, before=)``; a
   service that returns a whole small list (staff) pages it with ``app.kit.paging.page_of``.
2. The ``ListSpec`` in the controller: ``entity`` (its ``EntitySpec``: module for permissions, key
   for saved views), ``path``, ``filters``, ``columns`` (``Column(name, label, sort=..., title=True,
   wide_only=True)``), ``sorts`` (field → label; the first is the default; they must be the
   service's ``sort_fields``), ``ascending``, ``actions`` (``RowAction``s: a link, a drawer, or a
   posted button; default View / Edit / Delete / Restore at ``{path}/{id}...``), ``bulk`` (``()``
   unless the service has the verbs; then ``service=`` and a ``POST {path}/bulk`` route returning
   ``run_bulk(request, SPEC, session, actor)``, plus its isolation case), ``views`` (saved-view
   tabs, shown by ``kit/list_page.html``; ``False`` for a list without them), ``defaults`` (a
   filter's value when the query string has none: staff show "on staff" unless asked otherwise; a
   default that depends on the data goes to ``open_list(defaults=...)``: the first pool),
   ``new_url`` / ``new_in_drawer`` (the empty list's create button), ``search_hint``.
3. The route: ``view = await open_list(request, session, actor, SPEC, Filter, fetch, options=...)``
   then ``return list_response(request, view, "<area>/list.html", "<area>/_results.html", ctx)``
   (the results fragment alone for HTMX searches and page links, 400 when a value was ignored;
   ``status=422`` when a form above the list was refused). ``view.names`` / ``view.staff`` /
   ``view.options`` may be set after ``open_list`` (names of the rows' owners need the rows).
4. Templates: ``<area>/_results.html`` defines ``cell(column, row)`` and calls ``results(view,
   cell)`` from ``kit/list.html``; ``<area>/list.html`` extends ``kit/list_page.html`` (blocks
   ``title``, ``styles``, ``heading``, ``intro``, ``head_actions``, ``above``, ``filters``,
   ``below``) and sets ``results_template``.
   A filter with choices that are records (a team, a warehouse) is an ``Owner`` filter whose
   choices come in ``options={name: [(id, label), ...]}``; a ``Flag`` other than ``trashed`` is a
   checkbox.
5. Tests: a class inheriting ``ListKitCases`` of ``tests/lists/list_kit_cases.py`` (bad filter
   value, paging to the end and back, a header both ways, empty list, stale page link, HTMX
   results alone), plus the list's own filters and its scope where the entity is owned.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from litestar import Request, Response
from litestar.response import Redirect, Template

from app.batches import run as batch_runs
from app.batches import service as batches
from app.customfields import service as custom_fields
from app.domain import Actor, DomainError, FieldError, PermissionDenied, ValidationFailed
from app.i18n import gettext as _
from app.i18n import locale_var
from app.kit import bulk
from app.kit.enums import N_
from app.kit.filters import AnyOf, DateRange, FilterSpec, Flag, OneOf, Owner, Parsed, Search, Tag
from app.kit.paging import Order, Page
from app.kit.registry import EntitySpec
from app.kit.service import EntityService
from app.saved_views import service as saved_views
from app.workflows import pipelines
from app.workflows import service as workflows
from app.workflows.models import DEFAULT_KEY
from web.kit.responses import htmx_done, htmx_undo

PAGE_SIZES = (10, 20, 50, 100)


@dataclass(frozen=True)
class Column:
    """One column of the table (one line of a card on a phone).

    ``name``: a record attribute, or a name the entity's cell macro knows; ``sort``: the sort
    field its header orders by; ``wide_only``: hidden on narrow screens (tablet table, phone card);
    ``title``: the card's heading on a phone."""

    name: str
    label: str  # msgid
    sort: str | None = None
    wide_only: bool = False
    title: bool = False
    cls: str = ""


@dataclass(frozen=True)
class BulkVerb:
    """A bulk action: ``action`` is the permission action it needs (``delete``, ``edit``);
    ``input`` what it asks for ("owner": a staff member, "text": a word such as a tag)."""

    key: str
    label: str  # msgid
    action: str
    input: str = ""
    in_trash: bool = False  # offered in the recycle bin instead of the live list
    run: Callable[[str], bulk.Verb] | None = None  # from the posted input to the verb
    # The batch action (app.batches) this verb is when the entity has a batch target: then it runs
    # as one audited job, on the ticked rows or on all rows matching the filter, with an undo.
    batch: str | None = None


DELETE = BulkVerb("delete", N_("Delete"), "delete", run=lambda _value: bulk.delete, batch="delete")
RESTORE = BulkVerb("restore", N_("Restore"), "delete", in_trash=True, run=lambda _value: bulk.restore)


def _owner_verb(value: str) -> bulk.Verb:
    try:
        return bulk.assign_owner(uuid.UUID(value))
    except ValueError:
        return bulk.assign_owner(None)


ASSIGN_OWNER = BulkVerb("owner", N_("Change owner"), "edit", input="owner", run=_owner_verb, batch="owner")
# Move to another stage of the entity's workflow (batch only: guards apply per record).
MOVE_STAGE = BulkVerb("stage", N_("Move stage"), "edit", input="stage", batch="stage")


def add_to_list(name: str, label: str, max_length: int) -> BulkVerb:
    """A verb adding a word to a list field (``tags``): "add tag" on customers."""

    def run(value: str) -> bulk.Verb:
        word = value.strip()
        return bulk.add_to(name, [word] if word and len(word) <= max_length else [])

    return BulkVerb(f"add_{name}", label, "edit", input="text", run=run, batch=f"add_{name}")


def remove_from_list(name: str, label: str) -> BulkVerb:
    """A verb removing a word from a list field (batch only): "remove tag" on customers."""
    return BulkVerb(f"remove_{name}", label, "edit", input="text", batch=f"remove_{name}")


@dataclass(frozen=True)
class RowAction:
    """One action in a row's sticky action column (and on its card).

    ``href``: formatted with ``path`` (the list's) and ``id`` (the row's); ``permission``: the
    entity module's action ("edit") or a whole permission ("pools:read"), None for everyone who sees
    the list; ``post``: a button posting a form with the CSRF token (``hx``: through HTMX, the
    answer is a toast and the list refreshes), else a link; ``drawer``: the link opens in the
    drawer; ``in_trash``: shown in the recycle bin instead of the live list."""

    key: str
    label: str  # msgid
    href: str = "{path}/{id}"
    permission: str | None = None
    post: bool = False
    hx: bool = False
    drawer: bool = False
    danger: bool = False
    primary: bool = False
    in_trash: bool = False

    def url(self, path: str, row: Any) -> str:
        return self.href.format(path=path, id=row.id)


VIEW_ROW = RowAction("view", N_("View"))
EDIT_ROW = RowAction("edit", N_("Edit"), "{path}/{id}/edit", "edit", drawer=True)
DELETE_ROW = RowAction(
    "delete", N_("Delete"), "{path}/{id}/delete", "delete", post=True, hx=True, danger=True
)
RESTORE_ROW = RowAction(
    "restore", N_("Restore"), "{path}/{id}/restore", "delete", post=True, hx=True, in_trash=True
)
STANDARD_ACTIONS = (VIEW_ROW, EDIT_ROW, DELETE_ROW, RESTORE_ROW)


@dataclass(frozen=True)
class ListSpec:
    entity: EntitySpec
    path: str  # "/customers"
    filters: FilterSpec
    columns: tuple[Column, ...]
    # The entity's service class, for bulk verbs (``run_bulk``); None when the list has none.
    service: Callable[..., EntityService[Any]] | None = None
    # Sortable fields → label msgid (the sort chooser); the first is the default.
    sorts: dict[str, str] = field(default_factory=dict)
    ascending: tuple[str, ...] = ("name",)  # sorted A to Z by default (the rest newest first)
    page_size: int = 20
    bulk: tuple[BulkVerb, ...] = (DELETE, RESTORE, ASSIGN_OWNER)
    new_label: str | None = None  # msgid of the create button ("New customer")
    empty_label: str = N_("Nothing here yet.")  # msgid: no records at all
    row_prefix: str = ""  # row ids: "customer-<id>"
    custom_after: str | None = None  # the column the custom-field columns follow (default: the last)
    # The entity's filter value type (CustomerFilter): with it, batch verbs can take "all N matching".
    filter_type: type | None = None
    # What each row offers in its action column (``RowAction``); the title cell links to the record.
    actions: tuple[RowAction, ...] = STANDARD_ACTIONS
    # Saved-view tabs (``saved_view_tabs``): the entity's one list that offers them declares them.
    views: bool = True
    # A filter's query value when the URL has none (staff: "active"); such a filter has no "All"
    # choice of its own, so its enum names every choice.
    defaults: Mapping[str, str] = field(default_factory=dict)
    new_url: str | None = None  # the create button of an empty list (default ``{path}/new``)
    new_in_drawer: bool = True  # the create form opens in the drawer (else its own page)
    search_hint: str = N_("Name, mobile or address")  # msgid: the search box's placeholder

    def __post_init__(self) -> None:
        if self.views:
            # Saved views of this list are checked against its filters and columns (app.saved_views).
            saved_views.declare_list(
                self.entity.key, filters=self.filters, columns=[c.name for c in self.columns]
            )

    @property
    def create_url(self) -> str:
        return self.new_url or f"{self.path}/new"

    @property
    def default_sort(self) -> str:
        return next(iter(self.sorts), "created_at")

    @property
    def changed_event(self) -> str:
        return f"{self.path.strip('/').replace('/', '-')}-changed"


@dataclass
class ListQuery:
    """The list's query string, checked: what is valid filters the list, the rest becomes a message."""

    spec: ListSpec
    filters: Any  # the entity's filter value (CustomerFilter)
    order: Order
    size: int
    after: str | None = None
    before: str | None = None
    number: int = 1  # which page, for "第 41–60 条" (keyset pages do not know it themselves)
    kept: dict[str, str] = field(default_factory=dict)  # valid params, for links and the URL
    problems: list[str] = field(default_factory=list)
    parsed: Parsed | None = None
    defaults: Mapping[str, str] = field(default_factory=dict)  # a filter's value when none is given

    @property
    def trashed(self) -> bool:
        return bool(getattr(self.filters, "trashed", False))

    @property
    def filtered(self) -> bool:
        """Any condition besides the view (recycle bin), sort, size and the defaulted choices (staff on
        staff or not, which pool: each is a view of the list, not a narrowing of it)."""
        return any(k not in ("trashed", "sort", "dir", "size", "view", *self.defaults) for k in self.kept)

    def url(self, **changes: Any) -> str:
        params = {**self.kept, **{k: (str(v) if v is not None else None) for k, v in changes.items()}}
        query = urlencode({k: v for k, v in params.items() if v})
        return self.spec.path + (f"?{query}" if query else "")

    def page_url(self, *, after: str | None = None, before: str | None = None, number: int = 1) -> str:
        if number <= 1:
            return self.url()
        return self.url(after=after, before=before, p=number)

    def current_url(self) -> str:
        return self.page_url(after=self.after, before=self.before, number=self.number)

    def sort_url(self, name: str) -> str:
        """The header's link: this column, or the other direction when it is already the sort."""
        default_desc = name not in self.spec.ascending
        if self.order.field == name:
            descending = not self.order.descending
        else:
            descending = default_desc
        direction = None if descending == default_desc else ("desc" if descending else "asc")
        sort = None if name == self.spec.default_sort else name
        return self.url(sort=sort, dir=direction)

    def aria_sort(self, name: str) -> str:
        if self.order.field != name:
            return "none"
        return "descending" if self.order.descending else "ascending"

    def without(self, *names: str) -> dict[str, str]:
        return {k: v for k, v in self.kept.items() if k not in names}

    def reset_url(self) -> str:
        return self.spec.path + ("?trashed=1" if self.trashed else "")


def filter_label(spec: ListSpec, name: str) -> str:
    f = spec.filters.get(name) or next(
        (f for f in spec.filters if name in dict((n, p) for p, n in f.params())), None
    )
    if f is not None:
        return _(f.label)
    return _(spec.entity.field_label(name))


def problem_text(spec: ListSpec, error: FieldError, given: tuple[str, str] | None, custom: Any = None) -> str:
    """A bad filter value in the reader's words; the list is shown without it."""
    name = error.field.removeprefix("filter.")
    if error.code == "too_long" and name == "search":
        f = spec.filters.get("search")
        return _("The search is too long (at most %(n)s characters); it was ignored.") % {
            "n": getattr(f, "max_length", 200)
        }
    if error.code in ("nul_byte", "lone_surrogate", "control_characters"):
        return _("%(field)s contains characters that are not allowed; it was ignored.") % {
            "field": filter_label(spec, name)
        }
    if error.code == "inverted_range":
        return _("The end date is before the start date; the date range was ignored.")
    value = given[1] if given else ""
    label = custom if custom is not None else filter_label(spec, name.split("_from")[0].split("_to")[0])
    return _("“%(value)s” is not a valid %(field)s; it was ignored.") % {"value": value[:40], "field": label}


def parse_list_query(
    spec: ListSpec,
    target: type,
    params: Any,
    size_max: int,
    definitions: Sequence[Any] = (),
    custom_label: Callable[[Any], str] | None = None,
    defaults: Mapping[str, str] | None = None,
) -> ListQuery:
    """The query string through the entity's filter spec, plus sort, page size and page position;
    ``defaults`` (else the spec's) fill the filters the URL does not give."""
    defaults = spec.defaults if defaults is None else defaults
    parsed = spec.filters.from_params(_Defaulted(params, defaults) if defaults else params, definitions)
    refused = {parsed.given[e.field][0] for e in parsed.errors if e.field in parsed.given} & set(defaults)
    if refused:
        # A bad value of a defaulted filter is ignored like any other: the default applies.
        again = spec.filters.from_params(_Defaulted(params, defaults, ignore=refused), definitions)
        again.errors, again.given = parsed.errors, parsed.given
        parsed = again
    for name, value in defaults.items():
        if parsed.kept.get(name) == value:
            parsed.kept.pop(name)  # the default is no condition of the reader's (links stay short)
    problems: list[str] = []
    for error in parsed.errors:
        problems.append(problem_text(spec, error, parsed.given.get(error.field)))
    if parsed.values.get("custom"):
        # Custom conditions are checked against the fields as they are now (a message per bad one).
        _ok, custom_errors = spec.filters.check_custom(parsed, definitions)
        if custom_errors:
            parsed.drop_custom(custom_errors)
            by_key = {d.key: d for d in definitions}
            for i in sorted({int(e.field.split(".")[2]) for e in custom_errors if e.field.count(".") >= 2}):
                param, raw = parsed.given.get(f"filter.custom.{i}", ("", ""))
                d = by_key.get(param.removeprefix("cf.").split(".")[0])
                label = custom_label(d) if d is not None and custom_label else param
                problems.append(
                    _("“%(value)s” is not a valid %(field)s; it was ignored.")
                    % {"value": raw[:40], "field": label}
                )
        if not parsed.values.get("custom"):
            parsed.values.pop("custom", None)
    kept = dict(parsed.kept)
    if "trashed" in kept:
        kept["trashed"] = "1"
    if (chosen := _view_id(params.get("view"))) is not None:
        kept["view"] = str(chosen)  # the saved view whose tab is open (its columns apply)
    sort = (params.get("sort") or spec.default_sort).strip()
    if sort not in spec.sorts:
        problems.append(_("Unknown sort order; sorted by creation time instead."))
        sort = spec.default_sort
    elif sort != spec.default_sort:
        kept["sort"] = sort
    direction = (params.get("dir") or "").strip()
    if direction not in ("", "asc", "desc"):
        problems.append(_("Unknown sort order; sorted by creation time instead."))
        direction = ""
    default_descending = sort not in spec.ascending
    descending = direction == "desc" if direction else default_descending
    if descending != default_descending:
        kept["dir"] = "desc" if descending else "asc"
    size = spec.page_size
    if raw_size := (params.get("size") or "").strip():
        if raw_size.isdigit() and 1 <= int(raw_size) <= size_max:
            size = int(raw_size)
            if size != spec.page_size:
                kept["size"] = raw_size
        else:
            problems.append(
                _("Page size must be a number from 1 to %(max)s; showing %(size)s per page.")
                % {"max": size_max, "size": spec.page_size}
            )
    after = (params.get("after") or "").strip() or None
    before = None if after else (params.get("before") or "").strip() or None
    raw_number = (params.get("p") or "").strip()
    number = int(raw_number) if raw_number.isdigit() and 1 < int(raw_number) < 1_000_000 else 1
    if not (after or before):
        number = 1
    elif number == 1:
        number = 2  # a cursor without a position: at least the second page
    return ListQuery(
        spec=spec,
        filters=spec.filters.build(target, parsed.values),
        order=Order(field=sort, descending=descending),
        size=size,
        after=after,
        before=before,
        number=number,
        kept=kept,
        problems=problems,
        parsed=parsed,
        defaults=defaults,
    )


class _Defaulted:
    """Query parameters with a list's defaults for the names the URL does not give."""

    def __init__(self, params: Any, defaults: Mapping[str, str], ignore: set[str] | None = None) -> None:
        self.params = params
        self.defaults = defaults
        self.ignore = ignore or set()  # given, but refused: the default instead

    def get(self, name: str, default: Any = None) -> Any:
        value = None if name in self.ignore else self.params.get(name)
        if value is None:
            return self.defaults.get(name, default)
        return value

    def getall(self, name: str, default: Any = None) -> list[Any]:
        found = (
            list(self.params.getall(name, []))
            if hasattr(self.params, "getall") and name not in self.ignore
            else []
        )
        if not found and name in self.defaults:
            return [self.defaults[name]]
        return found


async def load_page(query: ListQuery, fetch: Callable[..., Awaitable[Page[Any]]]) -> Page[Any] | None:
    """The page the query asks for; an out-of-date page link shows the first page with a message,
    other refusals (a filter the service refused) show the messages and no rows."""
    try:
        return await fetch(
            query.filters, order=query.order, first=query.size, after=query.after, before=query.before
        )
    except ValidationFailed as exc:
        if any(e.field in ("after", "before") for e in exc.errors):
            query.problems.append(_("The page link is out of date; showing the first page."))
            query.after = query.before = None
            query.number = 1
            return await fetch(query.filters, order=query.order, first=query.size)
        for error in exc.errors:
            query.problems.append(problem_text(query.spec, error, None))
        return None


@dataclass
class ListView:
    """Everything the list templates read (``kit/list.html``)."""

    spec: ListSpec
    query: ListQuery
    page: Page[Any] | None
    actor: Actor
    columns: Sequence[Column]
    custom_columns: Sequence[Any] = ()  # custom fields shown in the list (the person's column choice)
    custom_definitions: Sequence[Any] = ()  # every active custom field (the filter bar)
    options: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)  # filter → choices
    staff: Sequence[Any] = ()  # people a record may be given to (owner filter, change owner)
    names: Mapping[Any, str] = field(default_factory=dict)  # staff id → name (owner, staff fields)
    saved_views: Sequence[Any] = ()  # the tabs above the list (app.saved_views), ``saved_view_tabs``
    active_view: Any = None  # the saved view whose tab is open: its columns apply
    active_editable: bool = False  # the actor may delete the open view
    stages: Sequence[tuple[str, str]] = ()  # the workflow's stages, for "move stage"

    def __post_init__(self) -> None:
        chosen = getattr(self.active_view, "columns", None)
        if chosen:
            # The view's columns, the card's title column always kept.
            self.columns = [c for c in self.columns if c.name in chosen or c.title]
            self.custom_columns = [d for d in self.custom_definitions if f"cf.{d.key}" in chosen]

    @property
    def shown_columns(self) -> list[str]:
        """What "save this view" stores as its columns: what the list shows now."""
        return [c.name for c in self.columns] + [f"cf.{d.key}" for d in self.custom_columns]

    def view_url(self, saved: Any) -> str:
        """A saved view's tab: the list with its filters, its sort and its id."""
        params = dict(saved.filters or {})
        if saved.sort:
            params["sort"] = saved.sort
        if saved.descending is not None:
            params["dir"] = "desc" if saved.descending else "asc"
        params["view"] = str(saved.id)
        if self.query.trashed:
            params["trashed"] = "1"
        return self.spec.path + "?" + urlencode(params)

    @property
    def batch_ready(self) -> bool:
        """Batch verbs run as jobs with an undo, and may take every row matching the filter."""
        return batches.target_for(self.spec.entity.key) is not None

    @property
    def matching_total(self) -> int:
        return self.page.total if self.page else 0

    @property
    def custom_after(self) -> str | None:
        return self.spec.custom_after or (self.columns[-1].name if self.columns else None)

    @property
    def page_sizes(self) -> list[int]:
        return sorted({*PAGE_SIZES, self.query.size})

    @property
    def rows(self) -> list[Any]:
        return self.page.items if self.page else []

    def can(self, action: str) -> bool:
        """The entity module's ``action`` ("edit"), or a whole permission ("pools:read")."""
        return self.actor.can(action if ":" in action else f"{self.spec.entity.module}:{action}")

    @property
    def row_actions(self) -> list[RowAction]:
        """The row actions this reader may use here (the live list or the recycle bin)."""
        return [
            a
            for a in self.spec.actions
            if a.in_trash == self.query.trashed and (a.permission is None or self.can(a.permission))
        ]

    @property
    def bulk_verbs(self) -> list[BulkVerb]:
        return [v for v in self.spec.bulk if v.in_trash == self.query.trashed and self.can(v.action)]

    @property
    def first_row(self) -> int:
        return (self.query.number - 1) * self.query.size + 1 if self.rows else 0

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.rows) - 1 if self.rows else 0

    @property
    def total_text(self) -> str:
        if self.page is None:
            return ""
        from web.templating import fmt_number

        return fmt_number(self.page.total) + ("+" if self.page.total_capped else "")

    def next_url(self) -> str | None:
        if not (self.page and self.page.has_next and self.page.end_cursor):
            return None
        return self.query.page_url(after=self.page.end_cursor, number=self.query.number + 1)

    def previous_url(self) -> str | None:
        if self.query.number <= 1 or not self.page:
            return None
        if self.query.number == 2 or not self.page.start_cursor:
            return self.query.url()
        return self.query.page_url(before=self.page.start_cursor, number=self.query.number - 1)

    def filter_fields(self) -> list[dict[str, Any]]:
        """The filter bar's inputs, from the filter spec (the recycle bin is a tab, not an input)."""
        fields: list[dict[str, Any]] = []
        kept = self.query.kept
        for f in self.spec.filters:
            label = _(f.label)
            if isinstance(f, Flag):
                if f.name != "trashed":  # the recycle bin is a tab; other switches are checkboxes
                    value = kept.get(f.query_name)
                    fields.append({"kind": "check", "name": f.query_name, "label": label, "value": value})
                continue
            if isinstance(f, Search):
                fields.append(
                    {
                        "kind": "search",
                        "name": f.query_name,
                        "label": label,
                        "value": kept.get(f.query_name, ""),
                        "max": f.max_length,
                    }
                )
            elif isinstance(f, DateRange):
                start, end = (p for p, _n in f.params())
                fields.append(
                    {
                        "kind": "dates",
                        "label": label,
                        "names": (start, end),
                        "values": (kept.get(start, ""), kept.get(end, "")),
                    }
                )
            elif isinstance(f, OneOf | AnyOf | Owner | Tag):
                if isinstance(f, OneOf):
                    assert f.enum is not None
                    choices = [(m.value, _(m.label)) for m in f.enum]
                elif isinstance(f, Owner) and f.name not in self.options:
                    choices = [(str(p.id), p.name) for p in self.staff]
                else:
                    # Records to choose from (a team, a warehouse), or the entity's own tags.
                    choices = list(self.options.get(f.name, ()))
                default = self.query.defaults.get(f.query_name)
                fields.append(
                    {
                        "kind": "select",
                        "name": f.query_name,
                        "label": label,
                        "value": kept.get(f.query_name, default or ""),
                        "choices": choices,
                        "blank": default is None,  # "All": no condition (a default names its own)
                    }
                )
        return fields

    @property
    def active_filters(self) -> int:
        ignored = ("trashed", "sort", "dir", "size", "view", *self.query.defaults)
        return sum(1 for k in self.query.kept if k not in ignored)


async def open_list(
    request: Request[Any, Any, Any],
    session: Any,
    actor: Actor,
    spec: ListSpec,
    target: type,
    fetch: Callable[..., Awaitable[Page[Any]]],
    defaults: Mapping[str, str] | None = None,
    **extra: Any,
) -> ListView:
    """The list a request asks for: its query checked, its page loaded, its saved views (when the
    list has them); ``defaults``: filter values that depend on the data (the first pool), else the
    spec's; ``extra`` goes to the ``ListView`` (``options``, ``staff``, ``names``)."""
    size_max = request.app.state.settings.page_size_max
    query = parse_list_query(spec, target, request.query_params, size_max, defaults=defaults)
    found = await load_page(query, fetch)
    return ListView(
        spec=spec,
        query=query,
        page=found,
        actor=actor,
        columns=spec.columns,
        **extra,
        **await list_extras(session, actor, spec, query),
    )


async def open_workflow_list(
    request: Request[Any, Any, Any],
    session: Any,
    actor: Actor,
    spec: ListSpec,
    target: type,
    fetch: Callable[..., Awaitable[Page[Any]]],
    state: str,
    **extra: Any,
) -> ListView:
    """``open_list`` for an entity filtered by a state of the tenant's workflow (filter ``state``:
    a deal's stage, a contract's status): the workflow's states, in the reader's language, are the
    filter's choices; a state it does not have (an old link) is ignored with a message.

    An entity on several pipelines (``EntitySpec.workflow_key_field``) gets a pipeline switcher when
    its filter spec declares that field: the pipelines not archived are its choices, and the state
    choices are the chosen pipeline's stages, or every pipeline's when none is chosen."""
    key_field = spec.entity.workflow_key_field
    switcher = next((f for f in spec.filters if key_field and f.name == key_field), None)
    names: dict[str, str] = {}
    chosen: str | None = None
    if switcher is not None:
        rows = await pipelines.list_pipelines(session, actor, spec.entity.key)
        names = {p.key: p.name for p in rows}
        wanted = request.query_params.get(switcher.query_name)
        chosen = wanted if wanted in names else None
        offered = [(p.key, p.name) for p in rows if p.archived_at is None or p.key == chosen]
        keys = [chosen] if chosen else list(names) or [DEFAULT_KEY]
        definitions = list((await pipelines.stage_maps(session, spec.entity.key, keys)).values())
    else:
        definitions = [(await workflows.current(session, spec.entity.key)).definition]
    locale = locale_var.get()
    states = list({s.key: (s.key, s.label_in(locale)) for d in definitions for s in d.states}.values())
    known = {key for key, _label in states}
    unknown: dict[str, list[str]] = {state: [], key_field or "": []}

    async def checked(filters: Any, **paging: Any) -> Page[Any]:
        value = getattr(filters, state)
        if value is not None and value not in known:
            unknown[state].append(value)
            filters = replace(filters, **{state: None})
        if switcher is not None and key_field:
            key = getattr(filters, key_field)
            if key is not None and key not in names:
                unknown[key_field].append(key)
                filters = replace(filters, **{key_field: None})
        return await fetch(filters, **paging)

    view = await open_list(request, session, actor, spec, target, checked, **extra)
    ignore_filter_value(view, state, unknown[state])
    view.options = {**view.options, state: states}
    if switcher is not None and key_field:
        ignore_filter_value(view, key_field, unknown[key_field])
        view.options[key_field] = offered
    return view


def results_only(request: Request[Any, Any, Any]) -> bool:
    """HTMX asks for the results alone (a search, a page link, a refresh after a change)."""
    hx: Any = getattr(request, "htmx", None)
    return bool(hx and hx.target == "results" and not hx.history_restore_request)


def list_response(
    request: Request[Any, Any, Any],
    view: ListView,
    page_template: str,
    results_template: str,
    context: dict[str, Any],
    status: int | None = None,
) -> Template:
    """The whole page, or the results fragment for HTMX; 400 when a value of the query was ignored
    (the list still shown with a message), else ``status`` (a refused form above the list: 422) or
    200; the address bar keeps the canonical query."""
    headers = {"Vary": "HX-Request"}
    status = status or (400 if view.query.problems else 200)
    ctx = {**context, "view": view, "query": view.query}
    if results_only(request):
        if request.htmx.trigger != "results":  # type: ignore[attr-defined]
            headers["HX-Push-Url"] = view.query.current_url()
        return Template(results_template, context=ctx, status_code=status, headers=headers)
    return Template(page_template, context=ctx, status_code=status, headers=headers)


def ignore_filter_value(view: ListView, name: str, given: Sequence[str]) -> None:
    """Values of filter ``name`` the service found unknown while the page was read without them (a
    workflow stage an old link names, the tenant's stages being data): said like any bad value
    (400, "“x” is not a valid stage; it was ignored."), and left out of the list's links."""
    f = view.spec.filters.get(name)
    param = f.query_name if f is not None else name
    for value in given:
        error = FieldError(f"filter.{name}", "invalid_choice", "is not a valid choice")
        view.query.problems.append(problem_text(view.spec, error, (param, value)))
        view.query.kept.pop(param, None)


def refusal_text(reasons: Mapping[str, int]) -> str:
    """ "not found or not yours: 2, a workflow rule refused it: 1"."""
    words = {
        bulk.NOT_FOUND: _("not found or not yours"),
        bulk.FORBIDDEN: _("no permission"),
        bulk.INVALID: _("not accepted"),
        bulk.CONFLICT: _("changed by someone else"),
        "guard_failed": _("a workflow condition is not met"),
        "not_allowed_transition": _("the workflow has no such move"),
    }
    ordered = sorted(reasons.items(), key=lambda item: -item[1])
    return _(", ").join(f"{words.get(r, r)}: {n}" for r, n in ordered)


def bulk_message(outcome: bulk.BulkOutcome) -> str:
    """ "3 done, 2 refused (not found or not yours: 2)"."""
    done = _("%(n)s done") % {"n": len(outcome.done)}
    if not outcome.refused:
        return done
    why = refusal_text(outcome.reasons())
    return _("%(done)s, %(refused)s refused (%(why)s).") % {
        "done": done,
        "refused": len(outcome.refused),
        "why": why,
    }


async def run_bulk(
    request: Request[Any, Any, Any], spec: ListSpec, session: Any, actor: Actor
) -> Response[Any] | Redirect:
    """Run the posted bulk verb on the ticked records (``ids``, repeated or comma-separated, in the
    form or the query string: the undo toast posts the latter); HTMX gets a toast (with undo after
    a delete) and the list refreshes; a plain form post goes back to the list."""
    form = await request.form()
    data = {k: str(form.get(k) or request.query_params.get(k) or "") for k in ("verb", "value", "next")}
    ids_given = [*form.getall("ids", []), *request.query_params.getall("ids", [])]
    verb = next((v for v in spec.bulk if v.key == (data.get("verb") or "")), None)
    back = str(data.get("next") or "")
    back = back if back.startswith(spec.path) and not back.startswith("//") else spec.path
    target = batches.target_for(spec.entity.key)
    if verb is not None and verb.batch and target is not None and verb.batch in target.actions:
        return await _run_batch(request, spec, session, actor, verb, form, ids_given, back)
    ids = bulk.parse_ids(ids_given)
    if verb is None or verb.run is None or not ids or spec.service is None:
        message = _("Choose an action and at least one row.")
        if request.headers.get("HX-Request"):
            return htmx_done(message)
        return Redirect(back, status_code=303)
    service = spec.service
    outcome = await bulk.apply(lambda: service(session, actor), ids, verb.run(str(data.get("value") or "")))
    message = bulk_message(outcome)
    events = {spec.changed_event: len(outcome.done)}
    if not request.headers.get("HX-Request"):
        return Redirect(back, status_code=303)
    if verb.key == "delete" and outcome.done:
        undo_url = f"{spec.path}/bulk?verb=restore&ids=" + ",".join(str(i) for i in outcome.done)
        return htmx_undo(message, undo_url, _("Undo"), **events)
    return htmx_done(message, **events)


def _view_id(raw: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw or "").strip())
    except ValueError:
        return None


def batch_change(verb: BulkVerb, value: str) -> batches.Change:
    """The batch change a bulk verb and its posted input ask for."""
    action = verb.batch or verb.key
    if action == batches.OWNER:
        return batches.Change(action, owner_id=_view_id(value))
    if action in (batches.ADD_TAGS, batches.REMOVE_TAGS):
        return batches.Change(action, tags=(value.strip(),) if value.strip() else ())
    if action == batches.STAGE:
        return batches.Change(action, stage=value.strip() or None)
    return batches.Change(action)


def batch_message(job: Any) -> str:
    """ "3 done, 2 refused (the workflow has no such move: 2)." for a finished batch."""
    done = _("%(n)s done") % {"n": job.done}
    refused = sum((job.refused or {}).values())
    if not refused:
        return done
    return _("%(done)s, %(refused)s refused (%(why)s).") % {
        "done": done,
        "refused": refused,
        "why": refusal_text(job.refused),
    }


async def _run_batch(
    request: Request[Any, Any, Any],
    spec: ListSpec,
    session: Any,
    actor: Actor,
    verb: BulkVerb,
    form: Any,
    ids_given: list[str],
    back: str,
) -> Response[Any] | Redirect:
    """A bulk verb as one audited batch job (app.batches) on the ticked rows, or on every row matching
    the list's filter ("all N matching"); the toast offers the undo."""
    hx = bool(request.headers.get("HX-Request"))
    change = batch_change(verb, str(form.get("value") or request.query_params.get("value") or ""))
    everything = str(form.get("all") or "") == "1" and spec.filter_type is not None
    try:
        if everything:
            assert spec.filter_type is not None
            params = dict(parse_qsl(str(form.get("query") or "").lstrip("?")))
            definitions = (
                await custom_fields.active_definitions(session, spec.entity.key)
                if spec.entity.customizable
                else []
            )
            filters = filters_from_form(spec.filters, spec.filter_type, definitions, params, {})
            if params.get("trashed") and hasattr(filters, "trashed"):
                filters = replace(filters, trashed=True)
            job = await batches.start(session, actor, spec.entity.key, change, filters=filters)
        else:
            ids = [i for i in (_view_id(part) for raw in ids_given for part in str(raw).split(",")) if i]
            job = await batches.start(session, actor, spec.entity.key, change, ids=ids)
        tenant = request.scope["state"]["tenant"]
        job = await batch_runs.dispatch(
            session, actor, job, getattr(request.app.state, "arq", None), tenant.schema_name
        )
    except DomainError as exc:
        await session.rollback()
        ticked = [] if everything else bulk.parse_ids(ids_given)
        reason = _whole_batch_reason(exc)
        if ticked and reason:
            # Refused for every ticked row alike (no permission, a bad tag): counted as the rows.
            message = bulk_message(bulk.BulkOutcome(refused=[(i, reason) for i in ticked]))
        else:
            message = _("Nothing was changed: %(why)s") % {"why": _batch_refusal(exc)}
        return htmx_done(message) if hx else Redirect(back, status_code=303)
    if not hx:
        return Redirect(back, status_code=303)
    events = {spec.changed_event: job.done}
    if job.status != batches.BatchStatus.DONE:
        return htmx_done(
            _("%(n)s records are being changed in the background; the list updates when it is done.")
            % {"n": job.total},
            **events,
        )
    if batches.can_undo(job):
        return htmx_undo(batch_message(job), f"/batches/{job.id}/undo", _("Undo"), **events)
    return htmx_done(batch_message(job), **events)


def _whole_batch_reason(exc: DomainError) -> str | None:
    if isinstance(exc, PermissionDenied):
        return bulk.FORBIDDEN
    if isinstance(exc, ValidationFailed) and exc.errors and exc.errors[0].field.startswith("change."):
        return bulk.INVALID
    return None


def _batch_refusal(exc: DomainError) -> str:
    if isinstance(exc, PermissionDenied):
        return _("you do not have the permission for this action.")
    if isinstance(exc, ValidationFailed) and exc.errors:
        code = exc.errors[0].code
        if code == "too_many":
            return _("at most %(n)s records at once; narrow the filter.") % {"n": f"{batches.BATCH_MAX:,}"}
        if code == "empty":
            return _("no rows to change.")
        if code == "required":
            return _("choose what to change them to.")
    return _("the request was not accepted.")


async def list_extras(session: Any, actor: Actor, spec: ListSpec, query: ListQuery) -> dict[str, Any]:
    """What a kit list adds to its ``ListView`` for saved views and batch verbs: the views' tabs, the
    open view (``?view=<id>``, one the actor may see, else none) and the workflow's stages."""
    extras: dict[str, Any] = {}
    try:
        found = await saved_views.list_views(session, actor, spec.entity.key) if spec.views else []
    except DomainError:
        found = []
    extras["saved_views"] = found
    chosen = _view_id(query.kept.get("view"))
    active = next((v for v in found if v.id == chosen), None)
    if chosen is not None and active is None:
        query.kept.pop("view", None)
    extras["active_view"] = active
    extras["active_editable"] = bool(active and saved_views.may_edit(actor, active, spec.entity))
    if spec.entity.workflow_field and any(v.batch == batches.STAGE for v in spec.bulk):
        current = await workflows.current(session, spec.entity.key)
        locale = locale_var.get()
        extras["stages"] = [(s.key, s.label_in(locale)) for s in current.definition.states]
    return extras


def filters_from_form(
    filters: FilterSpec, target: type, definitions: Sequence[Any], form: Mapping[str, str], query: Any
) -> Any:
    """A list's filters posted by a form (the export button: the list's own parameter names, or the
    value names), else from the query string; any bad value is refused (``ValidationFailed``)."""
    merged: dict[str, str] = {}
    for f in filters:
        for param, name in f.params():
            for source in (form, query):
                value = (source.get(param) or source.get(name) or "").strip()
                if value:
                    merged[param] = value
                    break
    for source in (query, form):
        merged.update({k: v for k, v in source.items() if k.startswith("cf.") and isinstance(v, str)})
    merged.pop("trashed", None)
    parsed = filters.from_params(merged, definitions)
    if parsed.errors:
        raise ValidationFailed(parsed.errors)
    return filters.build(target, parsed.values)


__all__ = [
    "ASSIGN_OWNER",
    "DELETE",
    "PAGE_SIZES",
    "RESTORE",
    "BulkVerb",
    "Column",
    "ListQuery",
    "ListSpec",
    "ListView",
    "MOVE_STAGE",
    "STANDARD_ACTIONS",
    "RowAction",
    "list_response",
    "open_list",
    "open_workflow_list",
    "results_only",
    "add_to_list",
    "batch_change",
    "remove_from_list",
    "filters_from_form",
    "ignore_filter_value",
    "list_extras",
    "load_page",
    "parse_list_query",
    "replace",
    "run_bulk",
]
